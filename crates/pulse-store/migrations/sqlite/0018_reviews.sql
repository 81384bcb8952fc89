-- W1–W3: review cycles and reviews. A cycle covers a period and a
-- population; it holds one review per person, written by the person's
-- manager at launch (HR may reassign). A person has at most one review per
-- period, whatever the cycle: launching twice is refused.
CREATE TABLE review_cycles (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    name              TEXT    NOT NULL,
    period_id         BIGINT  NOT NULL REFERENCES periods(id),
    population_kind   TEXT    NOT NULL,
    population_value  TEXT    NOT NULL DEFAULT '',
    scale_max         BIGINT  NOT NULL DEFAULT 5,
    allow_halves      BIGINT  NOT NULL DEFAULT 0,
    self_assessment   BIGINT  NOT NULL DEFAULT 0,
    due_on            DATE    NOT NULL,
    state             TEXT    NOT NULL DEFAULT 'open',
    created_by        TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    completed_at      BIGINT
);

CREATE TABLE reviews (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    cycle_id           BIGINT  NOT NULL REFERENCES review_cycles(id),
    period_id          BIGINT  NOT NULL REFERENCES periods(id),
    person_id          BIGINT  NOT NULL REFERENCES people(id),
    reviewer_id        BIGINT  NOT NULL REFERENCES people(id),
    state              TEXT    NOT NULL DEFAULT 'draft',
    rating             DOUBLE PRECISION,
    calibrated_rating  DOUBLE PRECISION,
    -- G7's weighted score of the period, in basis points, taken at submission.
    goal_score_bp      BIGINT,
    body               TEXT    NOT NULL DEFAULT '',
    self_text          TEXT    NOT NULL DEFAULT '',
    -- The last draft Pulse gave the manager and the evidence it cites (JSON ids).
    draft_text         TEXT    NOT NULL DEFAULT '',
    draft_evidence     TEXT    NOT NULL DEFAULT '[]',
    draft_source       TEXT    NOT NULL DEFAULT '',
    -- W2: active writing time, carried from ping to ping (idle gaps over
    -- five minutes add nothing).
    opened_at          BIGINT,
    last_active_at     BIGINT,
    active_ms          BIGINT  NOT NULL DEFAULT 0,
    edit_count         BIGINT,
    writing_seconds    BIGINT,
    submitted_at       BIGINT,
    released_at        BIGINT,
    acknowledged_at    BIGINT,
    ack_comment        TEXT    NOT NULL DEFAULT '',
    created_at         BIGINT  NOT NULL,
    updated_at         BIGINT  NOT NULL,
    UNIQUE (period_id, person_id)
);
CREATE INDEX reviews_cycle ON reviews (cycle_id, state);
CREATE INDEX reviews_reviewer ON reviews (reviewer_id, cycle_id);
CREATE INDEX reviews_person ON reviews (person_id);
