-- N3: the transactional outbox. A message is inserted in the same transaction
-- as the change that causes it; the delivery worker claims due messages with a
-- lease, sends them and records the outcome. `idempotency_key` makes enqueueing
-- the same notification twice a no-op.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key  TEXT    NOT NULL UNIQUE,
    channel          TEXT    NOT NULL,
    target           TEXT    NOT NULL,
    subject          TEXT    NOT NULL,
    body             TEXT    NOT NULL,
    state            TEXT    NOT NULL DEFAULT 'pending',
    attempts         BIGINT  NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT  NOT NULL,
    lease_until      BIGINT,
    last_error       TEXT,
    created_at       BIGINT  NOT NULL,
    sent_at          BIGINT
);
CREATE INDEX outbox_due ON outbox(state, next_attempt_at);

-- Where messages go: a named channel of a kind (wecom_robot, …) and its settings.
-- Secrets live in config_json and are never sent back to pages or the API.
CREATE TABLE notify_channels (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL,
    config_json  TEXT    NOT NULL,
    enabled      BIGINT  NOT NULL DEFAULT 0,
    created_at   BIGINT  NOT NULL
);
