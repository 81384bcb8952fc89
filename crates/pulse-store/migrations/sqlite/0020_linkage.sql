-- L1–L4, T1: performance → development → incentive.

-- A closed period's metric values, taken once per period and person so a
-- rule's history stays exact after people, models or rules change. The peer
-- group (job family, level) is the one the person was in at the time.
CREATE TABLE period_metrics (
    period_id   BIGINT  NOT NULL REFERENCES periods(id),
    person_id   BIGINT  NOT NULL REFERENCES people(id),
    metric      TEXT    NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    rank        BIGINT  NOT NULL,
    peers       BIGINT  NOT NULL,
    percentile  DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (period_id, person_id, metric)
);

-- Which periods have their metrics taken, with each person's group then.
CREATE TABLE period_people (
    period_id   BIGINT  NOT NULL REFERENCES periods(id),
    person_id   BIGINT  NOT NULL REFERENCES people(id),
    job_family  TEXT    NOT NULL,
    level       TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    PRIMARY KEY (period_id, person_id)
);

CREATE TABLE period_snapshots (
    period_id   BIGINT  NOT NULL PRIMARY KEY REFERENCES periods(id),
    people      BIGINT  NOT NULL,
    taken_at    BIGINT  NOT NULL,
    -- The last evaluation of the period's rules (the scheduler reads it).
    evaluated_at BIGINT
);

-- What actions may name: talent pools, courses (a course may train one
-- competency dimension, T1's learning package), eligibilities.
CREATE TABLE linkage_items (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    dimension    TEXT    NOT NULL DEFAULT '',
    hours        BIGINT,
    created_at   BIGINT  NOT NULL,
    UNIQUE (kind, name)
);

CREATE TABLE linkage_rules (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    condition    TEXT    NOT NULL,
    actions_json TEXT    NOT NULL,
    -- '' = everyone; otherwise only this job family is evaluated.
    job_family   TEXT    NOT NULL DEFAULT '',
    enabled      BIGINT  NOT NULL DEFAULT 1,
    created_by   TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL
);

-- One row per (rule, person, period, action): evaluating twice finds it and
-- changes nothing (L4). The action and the chain are the ones decided on.
CREATE TABLE linkage_outcomes (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    rule_id         BIGINT  NOT NULL REFERENCES linkage_rules(id),
    rule_name       TEXT    NOT NULL,
    person_id       BIGINT  NOT NULL REFERENCES people(id),
    period_id       BIGINT  NOT NULL REFERENCES periods(id),
    action_idx      BIGINT  NOT NULL,
    kind            TEXT    NOT NULL,
    action_json     TEXT    NOT NULL,
    chain_json      TEXT    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'active',
    reversed_reason TEXT,
    reversed_by     TEXT,
    reversed_at     BIGINT,
    created_at      BIGINT  NOT NULL,
    UNIQUE (rule_id, person_id, period_id, action_idx)
);
CREATE INDEX linkage_outcomes_person ON linkage_outcomes (person_id, period_id);
CREATE INDEX linkage_outcomes_period ON linkage_outcomes (period_id, kind);

-- T1: the required competency vector of a role (0–100 per dimension).
CREATE TABLE role_profiles (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    job_family   TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    updated_at   BIGINT  NOT NULL
);

CREATE TABLE role_requirements (
    profile_id  BIGINT  NOT NULL REFERENCES role_profiles(id),
    dimension   TEXT    NOT NULL,
    required    BIGINT  NOT NULL,
    PRIMARY KEY (profile_id, dimension)
);

-- H3: views of a development path and clicks on its suggestions.
CREATE TABLE development_activity (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT  NOT NULL REFERENCES people(id),
    viewer_id   BIGINT  NOT NULL REFERENCES people(id),
    action      TEXT    NOT NULL,
    target      TEXT    NOT NULL DEFAULT '',
    at          BIGINT  NOT NULL
);
CREATE INDEX development_activity_person ON development_activity (person_id, at);
