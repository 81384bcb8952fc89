-- G1–G7: periods, KPI definitions, the goal tree with exact weights, live
-- weight rules and adjustment requests.

-- A quarter or a year. A closed period is frozen: goal edits are refused.
CREATE TABLE periods (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    starts_on  DATE    NOT NULL,
    ends_on    DATE    NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'open',
    closed_at  BIGINT
);

-- G3: what a KPI measures. direction: higher | lower; source: manual |
-- events | import | crm; formula for computed ones.
CREATE TABLE metrics (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    code         TEXT    NOT NULL UNIQUE,
    name         TEXT    NOT NULL,
    unit         TEXT    NOT NULL DEFAULT '',
    direction    TEXT    NOT NULL DEFAULT 'higher',
    source       TEXT    NOT NULL DEFAULT 'manual',
    formula      TEXT    NOT NULL DEFAULT '',
    description  TEXT    NOT NULL DEFAULT ''
);

-- G1/G2: kind company (TOP-N) | objective | key_result | kpi, owned by a unit
-- or a person, linked to a parent across owners. Targets are exact decimal
-- text. A person's active weighted goals of a period sum to 10000 bp;
-- base_weight_bp is what rules rescale from and return to.
CREATE TABLE goals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    period_id       BIGINT  NOT NULL REFERENCES periods(id),
    kind            TEXT    NOT NULL,
    title           TEXT    NOT NULL,
    org_unit_id     BIGINT  REFERENCES org_units(id),
    person_id       BIGINT  REFERENCES people(id),
    parent_id       BIGINT  REFERENCES goals(id),
    metric_id       BIGINT  REFERENCES metrics(id),
    target          TEXT,
    actual          TEXT,
    progress_bp     BIGINT  NOT NULL DEFAULT 0,
    base_weight_bp  BIGINT  NOT NULL DEFAULT 0,
    weight_bp       BIGINT  NOT NULL DEFAULT 0,
    state           TEXT    NOT NULL DEFAULT 'active',
    sort_order      BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX goals_person ON goals(person_id, period_id);
CREATE INDEX goals_unit ON goals(org_unit_id, period_id);
CREATE INDEX goals_parent ON goals(parent_id);

-- G4: every weight change, who/when/why, before → after. cause: manual |
-- rule | rule_ended | adjustment | template | import.
CREATE TABLE weight_changes (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    goal_id    BIGINT  NOT NULL REFERENCES goals(id),
    person_id  BIGINT  NOT NULL REFERENCES people(id),
    period_id  BIGINT  NOT NULL REFERENCES periods(id),
    before_bp  BIGINT  NOT NULL,
    after_bp   BIGINT  NOT NULL,
    cause      TEXT    NOT NULL,
    rule_id    BIGINT,
    note       TEXT    NOT NULL DEFAULT '',
    actor      TEXT    NOT NULL,
    at         BIGINT  NOT NULL
);
CREATE INDEX weight_changes_person ON weight_changes(person_id, period_id, at);

-- G5: "while condition holds for a region, KPI (metric) weighs weight_bp".
-- scope_unit_id limits the rule to one unit's regions (NULL: every region).
CREATE TABLE weight_rules (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    name           TEXT    NOT NULL UNIQUE,
    condition      TEXT    NOT NULL,
    metric_id      BIGINT  NOT NULL REFERENCES metrics(id),
    weight_bp      BIGINT  NOT NULL,
    scope_unit_id  BIGINT  REFERENCES org_units(id),
    priority       BIGINT  NOT NULL DEFAULT 0,
    enabled        BIGINT  NOT NULL DEFAULT 1,
    description    TEXT    NOT NULL DEFAULT '',
    created_at     BIGINT  NOT NULL,
    updated_at     BIGINT  NOT NULL
);

-- The last evaluation of each rule in each region: active | inactive |
-- overridden (active but a higher-priority rule wins) | error.
CREATE TABLE rule_states (
    rule_id       BIGINT  NOT NULL REFERENCES weight_rules(id),
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    state         TEXT    NOT NULL,
    inputs_json   TEXT    NOT NULL,
    error         TEXT,
    changed_at    BIGINT  NOT NULL,
    evaluated_at  BIGINT  NOT NULL,
    PRIMARY KEY (rule_id, org_unit_id)
);

-- Inputs of rule conditions: a region's metrics of a period.
CREATE TABLE region_metrics (
    org_unit_id  BIGINT            NOT NULL REFERENCES org_units(id),
    period_id    BIGINT            NOT NULL REFERENCES periods(id),
    name         TEXT              NOT NULL,
    value        DOUBLE PRECISION  NOT NULL,
    updated_at   BIGINT            NOT NULL,
    PRIMARY KEY (org_unit_id, period_id, name)
);

-- G6: 目标微调申请. state: pending | approved | rejected.
CREATE TABLE goal_adjustments (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    goal_id       BIGINT  NOT NULL REFERENCES goals(id),
    requester_id  BIGINT  NOT NULL REFERENCES people(id),
    approver_id   BIGINT  NOT NULL REFERENCES people(id),
    old_target    TEXT    NOT NULL,
    new_target    TEXT    NOT NULL,
    reason        TEXT    NOT NULL,
    state         TEXT    NOT NULL DEFAULT 'pending',
    comment       TEXT    NOT NULL DEFAULT '',
    created_at    BIGINT  NOT NULL,
    decided_at    BIGINT,
    decided_by    BIGINT  REFERENCES people(id)
);
CREATE INDEX goal_adjustments_approver ON goal_adjustments(approver_id, state);
CREATE INDEX goal_adjustments_goal ON goal_adjustments(goal_id, state);
-- At most one pending request per goal.
CREATE UNIQUE INDEX goal_adjustments_one_pending ON goal_adjustments(goal_id) WHERE state = 'pending';

-- Who approves adjustment requests for a unit's people (nearest unit up the
-- tree); without one, the region's director.
CREATE TABLE unit_approvers (
    org_unit_id  BIGINT  PRIMARY KEY REFERENCES org_units(id),
    person_id    BIGINT  NOT NULL REFERENCES people(id)
);
