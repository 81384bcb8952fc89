-- P1–P5: business events as performance evidence. One table for every kind;
-- the kind's own fields live in payload_json (checked by pulse_domain::events).
CREATE TABLE events (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    kind          TEXT    NOT NULL,
    person_id     BIGINT  NOT NULL REFERENCES people(id),
    customer_id   BIGINT  REFERENCES customers(id),
    occurred_at   BIGINT  NOT NULL,
    payload_json  TEXT    NOT NULL DEFAULT '{}',
    source        TEXT    NOT NULL,
    created_by    BIGINT,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX events_person_time ON events(person_id, occurred_at);
CREATE INDEX events_time ON events(occurred_at);
CREATE INDEX events_customer ON events(customer_id, occurred_at);

-- P3: photos of a work order, kept as evidence. The bytes live in the object
-- store (data dir or S3-compatible); taken_at is the EXIF capture time.
CREATE TABLE event_photos (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id      BIGINT  NOT NULL REFERENCES events(id),
    object_key    TEXT    NOT NULL UNIQUE,
    content_type  TEXT    NOT NULL,
    bytes         BIGINT  NOT NULL,
    sha256        TEXT    NOT NULL,
    taken_at      BIGINT,
    created_at    BIGINT  NOT NULL
);
CREATE INDEX event_photos_event ON event_photos(event_id);

-- P5: a retried request with the same Idempotency-Key returns the first
-- answer; the same key with another body is refused.
CREATE TABLE idempotency_keys (
    scope          TEXT    NOT NULL,
    key            TEXT    NOT NULL,
    request_hash   TEXT    NOT NULL,
    status         BIGINT  NOT NULL,
    response_json  TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL,
    PRIMARY KEY (scope, key)
);

-- F1: the HRBP-managed tag library.
CREATE TABLE feedback_tags (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    description  TEXT    NOT NULL DEFAULT '',
    active       BIGINT  NOT NULL DEFAULT 1,
    sort_order   BIGINT  NOT NULL DEFAULT 0,
    updated_at   BIGINT  NOT NULL
);

-- F1: one card per event (the unique event_id is the guard).
CREATE TABLE feedback_cards (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id        BIGINT  NOT NULL UNIQUE REFERENCES events(id),
    author_id       BIGINT  NOT NULL REFERENCES people(id),
    observation     TEXT    NOT NULL,
    points_awarded  BIGINT  NOT NULL DEFAULT 0,
    ack             TEXT,
    ack_at          BIGINT,
    created_at      BIGINT  NOT NULL
);
CREATE INDEX feedback_cards_author ON feedback_cards(author_id, created_at);
CREATE INDEX feedback_cards_time ON feedback_cards(created_at);

CREATE TABLE feedback_ratings (
    card_id  BIGINT  NOT NULL REFERENCES feedback_cards(id),
    tag_id   BIGINT  NOT NULL REFERENCES feedback_tags(id),
    rating   BIGINT  NOT NULL CHECK (rating BETWEEN 1 AND 5),
    PRIMARY KEY (card_id, tag_id)
);

-- F4: a manager's reply to a card (card_id set) or their own feedback to a
-- person (card_id NULL).
CREATE TABLE feedback_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    card_id     BIGINT  REFERENCES feedback_cards(id),
    from_id     BIGINT  NOT NULL REFERENCES people(id),
    to_id       BIGINT  NOT NULL REFERENCES people(id),
    body        TEXT    NOT NULL,
    created_at  BIGINT  NOT NULL
);
CREATE INDEX feedback_messages_to ON feedback_messages(to_id, created_at);
CREATE INDEX feedback_messages_card ON feedback_messages(card_id);

-- F2: points. The balance row is the lock: every change is one conditional
-- UPDATE of it, so concurrent redemptions cannot overdraw, and the CHECK is
-- the last line. The ledger is append-only.
CREATE TABLE point_balances (
    person_id  BIGINT  PRIMARY KEY REFERENCES people(id),
    balance    BIGINT  NOT NULL CHECK (balance >= 0)
);
CREATE TABLE points_ledger (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      BIGINT  NOT NULL REFERENCES people(id),
    delta          BIGINT  NOT NULL,
    balance_after  BIGINT  NOT NULL CHECK (balance_after >= 0),
    reason         TEXT    NOT NULL,
    source_key     TEXT    UNIQUE,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX points_ledger_person ON points_ledger(person_id, id);
CREATE TRIGGER points_ledger_no_update BEFORE UPDATE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;
CREATE TRIGGER points_ledger_no_delete BEFORE DELETE ON points_ledger
BEGIN SELECT RAISE(ABORT, 'points_ledger is append-only'); END;

-- F2: the reward catalog and redemptions (a voucher plus HR's fulfilment to-do).
CREATE TABLE rewards (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT    NOT NULL UNIQUE,
    kind         TEXT    NOT NULL,
    description  TEXT    NOT NULL DEFAULT '',
    cost         BIGINT  NOT NULL DEFAULT 10 CHECK (cost > 0),
    stock        BIGINT  CHECK (stock >= 0),
    active       BIGINT  NOT NULL DEFAULT 1,
    sort_order   BIGINT  NOT NULL DEFAULT 0,
    updated_at   BIGINT  NOT NULL
);
CREATE TABLE redemptions (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    reward_id     BIGINT  NOT NULL REFERENCES rewards(id),
    person_id     BIGINT  NOT NULL REFERENCES people(id),
    cost          BIGINT  NOT NULL,
    voucher_code  TEXT    NOT NULL UNIQUE,
    state         TEXT    NOT NULL DEFAULT 'pending',
    created_at    BIGINT  NOT NULL,
    fulfilled_at  BIGINT
);
CREATE INDEX redemptions_person ON redemptions(person_id, created_at);

-- Settings HR changes at runtime (e.g. the feedback points window).
CREATE TABLE app_settings (
    name        TEXT    PRIMARY KEY,
    value       TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL
);
