-- Foundation schema (issue 2). Instants are BIGINT milliseconds since the Unix
-- epoch (UTC) on both engines; calendar dates are DATE (TEXT 'YYYY-MM-DD' here).

CREATE TABLE org_units (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    parent_id   BIGINT  REFERENCES org_units(id),
    sort_order  BIGINT  NOT NULL DEFAULT 0,
    created_at  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL
);
CREATE INDEX org_units_parent ON org_units(parent_id);

CREATE TABLE people (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    employee_no   TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    job_family    TEXT    NOT NULL,
    level         TEXT    NOT NULL,
    org_unit_id   BIGINT  NOT NULL REFERENCES org_units(id),
    manager_id    BIGINT  REFERENCES people(id),
    hire_date     DATE,
    status        TEXT    NOT NULL DEFAULT 'active',
    email         TEXT,
    wecom_userid  TEXT,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);
CREATE INDEX people_org_unit ON people(org_unit_id);
CREATE INDEX people_manager ON people(manager_id);
CREATE INDEX people_name ON people(name);

CREATE TABLE accounts (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id      BIGINT  NOT NULL UNIQUE REFERENCES people(id),
    login          TEXT    NOT NULL UNIQUE,
    password_hash  TEXT    NOT NULL,
    disabled_at    BIGINT,
    created_at     BIGINT  NOT NULL
);

CREATE TABLE role_grants (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,
    scope        TEXT    NOT NULL,
    anchor_unit  BIGINT  REFERENCES org_units(id),
    UNIQUE (account_id, role)
);

CREATE TABLE sessions (
    id_digest     TEXT    PRIMARY KEY,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    csrf_token    TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT  NOT NULL
);
CREATE INDEX sessions_expiry ON sessions(expires_at);

CREATE TABLE login_failures (
    id     INTEGER PRIMARY KEY AUTOINCREMENT,
    login  TEXT    NOT NULL,
    at     BIGINT  NOT NULL
);
CREATE INDEX login_failures_login_at ON login_failures(login, at);

CREATE TABLE api_tokens (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    name          TEXT    NOT NULL,
    token_digest  TEXT    NOT NULL UNIQUE,
    account_id    BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    scopes        TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL,
    expires_at    BIGINT,
    revoked_at    BIGINT,
    last_used_at  BIGINT
);

CREATE TABLE audit_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           BIGINT  NOT NULL,
    actor_id     BIGINT,
    actor_label  TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    entity       TEXT    NOT NULL,
    entity_id    TEXT    NOT NULL,
    before_json  TEXT,
    after_json   TEXT
);
CREATE INDEX audit_entity ON audit_log(entity, entity_id);

-- S4: the audit trail is append-only, enforced by the database itself.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;

CREATE TABLE import_batches (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    file_name    TEXT    NOT NULL,
    file_bytes   BLOB    NOT NULL,
    uploaded_by  BIGINT  REFERENCES accounts(id),
    created_at   BIGINT  NOT NULL,
    status       TEXT    NOT NULL,
    row_count    BIGINT  NOT NULL,
    summary_json TEXT    NOT NULL
);
