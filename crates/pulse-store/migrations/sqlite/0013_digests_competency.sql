-- D1: the HRBP-edited text dictionary: domain terms kept whole by the
-- segmenter, stop words left out of the counts (on top of the shipped lists).
CREATE TABLE text_terms (
    term        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('domain', 'stop')),
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (term, kind)
);

-- D1, D2: one weekly digest per manager and week (Monday, China time).
CREATE TABLE digests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    manager_id    BIGINT  NOT NULL REFERENCES people(id),
    week_start    TEXT    NOT NULL,
    cards         BIGINT  NOT NULL,
    flagged       BIGINT  NOT NULL,
    body_json     TEXT    NOT NULL,
    generated_at  BIGINT  NOT NULL,
    UNIQUE (manager_id, week_start)
);
CREATE INDEX digests_week ON digests(week_start);

-- R1: competency dimensions per job family, each mapped to a metric.
CREATE TABLE competency_dimensions (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    job_family     TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    metric         TEXT    NOT NULL,
    normalisation  TEXT    NOT NULL CHECK (normalisation IN ('percentile', 'target')),
    target         TEXT,
    sort_order     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL,
    UNIQUE (job_family, name)
);

-- R2 / H3: every view of a radar, by whom.
CREATE TABLE radar_views (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id  BIGINT  NOT NULL REFERENCES people(id),
    viewer_id  BIGINT  NOT NULL REFERENCES people(id),
    viewed_at  BIGINT  NOT NULL
);
CREATE INDEX radar_views_person ON radar_views(person_id, viewed_at);
