-- N1: to-dos. `source_key` names the underlying thing ("adjustment:42") so the
-- feature that handles it can close its to-dos by itself.
CREATE TABLE todos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT  NOT NULL REFERENCES people(id),
    kind        TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    link        TEXT    NOT NULL,
    source_key  TEXT    NOT NULL,
    due_at      BIGINT,
    state       TEXT    NOT NULL DEFAULT 'open',
    created_at  BIGINT  NOT NULL,
    closed_at   BIGINT
);
CREATE INDEX todos_person_state ON todos(person_id, state, due_at);
CREATE INDEX todos_source ON todos(source_key, state);
-- At most one open to-do per person for the same thing.
CREATE UNIQUE INDEX todos_one_open ON todos(person_id, kind, source_key) WHERE state = 'open';
