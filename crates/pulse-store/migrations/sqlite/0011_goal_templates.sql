-- G1: KPI templates per job family, so an HRBP gives 2,100 people their
-- goals with one action. A template's lines sum to exactly 10000 bp.
CREATE TABLE goal_templates (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    job_family  TEXT    NOT NULL,
    metric_id   BIGINT  NOT NULL REFERENCES metrics(id),
    weight_bp   BIGINT  NOT NULL,
    target      TEXT,
    sort_order  BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (job_family, metric_id)
);
