-- C1–C6: calibration sessions. A session takes the submitted reviews of a
-- cycle's population (a region, a job family, or both) as its cases; the
-- committee scores each case blind, the facilitator records the final
-- rating, and finalizing writes it back to the review.
CREATE TABLE calibration_sessions (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    name             TEXT    NOT NULL,
    cycle_id         BIGINT  NOT NULL REFERENCES review_cycles(id),
    region_unit_id   BIGINT  REFERENCES org_units(id),
    job_family       TEXT    NOT NULL DEFAULT '',
    facilitator_id   BIGINT  NOT NULL REFERENCES people(id),
    scheduled_at     BIGINT  NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'prepared',
    sigma_threshold  DOUBLE PRECISION NOT NULL DEFAULT 1.2,
    guidance         TEXT    NOT NULL DEFAULT '20-70-10',
    current_case_id  BIGINT,
    pre_scoring_at   BIGINT,
    live_at          BIGINT,
    revealed_at      BIGINT,
    finalized_at     BIGINT,
    -- H4: live → finalized.
    duration_ms      BIGINT,
    created_by       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL,
    updated_at       BIGINT  NOT NULL
);

CREATE TABLE calibration_members (
    session_id  BIGINT NOT NULL REFERENCES calibration_sessions(id),
    person_id   BIGINT NOT NULL REFERENCES people(id),
    PRIMARY KEY (session_id, person_id)
);
CREATE INDEX calibration_members_person ON calibration_members (person_id);

CREATE TABLE calibration_cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id      BIGINT  NOT NULL REFERENCES calibration_sessions(id),
    review_id       BIGINT  NOT NULL REFERENCES reviews(id),
    -- The pseudonym's number (案例 07), shuffled from the session's seed.
    seq             BIGINT  NOT NULL,
    -- The manager's rating when the session locked the review.
    manager_rating  DOUBLE PRECISION,
    round           BIGINT  NOT NULL DEFAULT 1,
    flagged         BIGINT  NOT NULL DEFAULT 0,
    final_rating    DOUBLE PRECISION,
    rationale       TEXT    NOT NULL DEFAULT '',
    -- 9-box potential: low / medium / high, from the manager or the committee.
    potential       TEXT,
    -- A 9-box move may set the performance row too; NULL follows the rating.
    performance     TEXT,
    decided_by      TEXT,
    decided_at      BIGINT,
    UNIQUE (session_id, seq),
    UNIQUE (session_id, review_id)
);
CREATE INDEX calibration_cases_review ON calibration_cases (review_id);

-- Every round keeps its scores: a re-scoring round adds rows, it never
-- overwrites the last round's.
CREATE TABLE calibration_scores (
    case_id    BIGINT  NOT NULL REFERENCES calibration_cases(id),
    round      BIGINT  NOT NULL,
    member_id  BIGINT  NOT NULL REFERENCES people(id),
    score      DOUBLE PRECISION NOT NULL CHECK (score >= 1 AND score <= 5),
    scored_at  BIGINT  NOT NULL,
    PRIMARY KEY (case_id, round, member_id)
);

-- 9-box moves, each logged.
CREATE TABLE calibration_moves (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     BIGINT  NOT NULL REFERENCES calibration_cases(id),
    from_box    BIGINT,
    to_box      BIGINT  NOT NULL,
    moved_by    TEXT    NOT NULL,
    moved_at    BIGINT  NOT NULL
);

-- The live stream, replayable from Last-Event-ID. Bodies carry no identity:
-- they go to committee clients while scoring is blind.
CREATE TABLE calibration_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id  BIGINT  NOT NULL REFERENCES calibration_sessions(id),
    kind        TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX calibration_events_session ON calibration_events (session_id, id);

-- C2 middle screen: the HRBP's competency keyword dictionary.
CREATE TABLE competency_keywords (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    competency  TEXT    NOT NULL,
    keyword     TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL,
    UNIQUE (competency, keyword)
);
