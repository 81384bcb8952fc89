-- N2 preferences, person part: which personal channels (comma-separated
-- kinds, '' = inbox only) and quiet hours in China Standard Time minutes.
-- No row means the default: the one channel that reaches the person.
CREATE TABLE notify_preferences (
    person_id    BIGINT  PRIMARY KEY REFERENCES people(id),
    channels     TEXT    NOT NULL,
    quiet_start  BIGINT,
    quiet_end    BIGINT,
    updated_at   BIGINT  NOT NULL
);

-- N4: scheduled jobs run once across instances. An instance runs a job only
-- after taking its lease with one conditional UPDATE; the next run is due at
-- `next_due_at`.
CREATE TABLE job_runs (
    job               TEXT    PRIMARY KEY,
    next_due_at       BIGINT  NOT NULL,
    lease_until       BIGINT,
    owner             TEXT,
    runs              BIGINT  NOT NULL DEFAULT 0,
    last_started_at   BIGINT,
    last_finished_at  BIGINT,
    last_result       TEXT
);

-- N4: reminders (催填) and escalation per to-do.
ALTER TABLE todos ADD COLUMN reminded_at BIGINT;
ALTER TABLE todos ADD COLUMN reminders BIGINT NOT NULL DEFAULT 0;
ALTER TABLE todos ADD COLUMN escalated_at BIGINT;
CREATE INDEX todos_overdue ON todos(state, due_at);
