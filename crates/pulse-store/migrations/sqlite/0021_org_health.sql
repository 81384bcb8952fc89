-- H1–H4, S3: organisational health.

-- H1: an alignment round — a reproducible random sample of active
-- frontline staff (seed and population size recorded).
CREATE TABLE alignment_rounds (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL,
    seed         BIGINT  NOT NULL,
    sample_size  BIGINT  NOT NULL,
    stratified   BIGINT  NOT NULL DEFAULT 0,
    population   BIGINT  NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open',
    created_by   BIGINT  REFERENCES people(id),
    created_at   BIGINT  NOT NULL,
    closed_at    BIGINT
);

-- Who was drawn (their unit when drawn), and when they answered.
CREATE TABLE alignment_members (
    round_id      BIGINT  NOT NULL REFERENCES alignment_rounds(id),
    person_id     BIGINT  NOT NULL REFERENCES people(id),
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    submitted_at  BIGINT,
    PRIMARY KEY (round_id, person_id)
);

-- A sampled person's three busiest tasks, the TOP goal each supports (none
-- = NULL) and the HRBP's verdict, given once.
CREATE TABLE alignment_tasks (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id     BIGINT  NOT NULL REFERENCES alignment_rounds(id),
    person_id    BIGINT  NOT NULL REFERENCES people(id),
    position     BIGINT  NOT NULL CHECK (position BETWEEN 1 AND 3),
    task         TEXT    NOT NULL,
    goal_id      BIGINT  REFERENCES goals(id),
    verdict      TEXT    CHECK (verdict IN ('agree', 'disagree')),
    verified_by  BIGINT  REFERENCES people(id),
    verified_at  BIGINT,
    UNIQUE (round_id, person_id, position)
);
CREATE INDEX alignment_tasks_queue ON alignment_tasks (round_id, verdict);

-- H2: an anonymous survey of one question. Its population (the active
-- frontline staff under `org_unit_id` at launch) is fixed when launched.
CREATE TABLE surveys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    title        TEXT    NOT NULL,
    org_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    min_group    BIGINT  NOT NULL CHECK (min_group >= 3),
    population   BIGINT  NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'open',
    launched_by  BIGINT  REFERENCES people(id),
    opened_at    BIGINT  NOT NULL,
    closed_at    BIGINT
);

-- Participation, kept apart from answers: who may answer and whether they
-- did (so nobody answers twice). Rows are written at launch and only ever
-- flipped, so neither their order nor any time says who answered when.
CREATE TABLE survey_invitees (
    survey_id    BIGINT  NOT NULL REFERENCES surveys(id),
    person_id    BIGINT  NOT NULL REFERENCES people(id),
    org_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    answered     BIGINT  NOT NULL DEFAULT 0,
    PRIMARY KEY (survey_id, person_id)
);

-- Answers, kept only as counts per unit and option: no person, no time,
-- no row per answer. Every cell exists from launch with 0.
CREATE TABLE survey_counts (
    survey_id    BIGINT  NOT NULL REFERENCES surveys(id),
    org_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    option       BIGINT  NOT NULL CHECK (option BETWEEN 1 AND 5),
    n            BIGINT  NOT NULL DEFAULT 0 CHECK (n >= 0),
    PRIMARY KEY (survey_id, org_unit_id, option)
);

-- H4: the dashboard's targets and the survey default (one row).
CREATE TABLE health_settings (
    id                 BIGINT  PRIMARY KEY CHECK (id = 1),
    target_points      BIGINT  NOT NULL DEFAULT 45,
    engagement_target  DOUBLE PRECISION NOT NULL DEFAULT 2.5,
    min_group          BIGINT  NOT NULL DEFAULT 5 CHECK (min_group >= 3),
    updated_at         BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO health_settings (id) VALUES (1);
