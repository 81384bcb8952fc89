-- X5, S3: identity (OIDC, WeChat Work login, SCIM) and PIPL data rights.

-- One row per setting group (`oidc`, `wecom_login`, `privacy`), JSON body.
-- Secrets (the OIDC client secret, the WeChat Work app secret) live here and
-- are never sent back to a page or an API answer.
CREATE TABLE identity_settings (
    name        TEXT    PRIMARY KEY,
    body        TEXT    NOT NULL,
    updated_by  BIGINT  REFERENCES people(id),
    updated_at  BIGINT  NOT NULL
);

-- A sign-in in flight: the state (digest), the browser it started in
-- (digest of a cookie), the nonce and the PKCE verifier. Consumed once.
CREATE TABLE login_flows (
    state_digest    TEXT    PRIMARY KEY,
    kind            TEXT    NOT NULL,
    browser_digest  TEXT    NOT NULL,
    nonce           TEXT    NOT NULL,
    verifier        TEXT    NOT NULL,
    next_path       TEXT    NOT NULL,
    created_at      BIGINT  NOT NULL,
    consumed_at     BIGINT
);
CREATE INDEX login_flows_created ON login_flows(created_at);

-- The provider's subject linked to an account at its first sign-in.
CREATE TABLE sso_links (
    issuer      TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    account_id  BIGINT  NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    linked_at   BIGINT  NOT NULL,
    last_at     BIGINT  NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_links_account ON sso_links(account_id);

-- WeChat Work codes already spent (digest): a code works once.
CREATE TABLE wecom_codes (
    code_digest  TEXT    PRIMARY KEY,
    used_at      BIGINT  NOT NULL
);

-- SCIM: the client's own id for a person or a unit.
ALTER TABLE people ADD COLUMN scim_external_id TEXT;
ALTER TABLE people ADD COLUMN left_at BIGINT;
ALTER TABLE people ADD COLUMN anonymised_at BIGINT;
ALTER TABLE org_units ADD COLUMN scim_external_id TEXT;
UPDATE people SET left_at = updated_at WHERE status = 'left';
CREATE INDEX people_wecom_userid ON people(wecom_userid);
CREATE INDEX people_scim_external_id ON people(scim_external_id);
CREATE INDEX people_email ON people(email);

-- Art. 45 / S3: who looked at another person's review, rating or calibration
-- data. Append-only like the audit trail.
CREATE TABLE data_views (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          BIGINT  NOT NULL,
    viewer_id   BIGINT  NOT NULL REFERENCES people(id),
    subject_id  BIGINT  NOT NULL REFERENCES people(id),
    kind        TEXT    NOT NULL,
    ref         TEXT    NOT NULL
);
CREATE INDEX data_views_subject ON data_views(subject_id, at);
CREATE INDEX data_views_at ON data_views(at);
CREATE TRIGGER data_views_no_update BEFORE UPDATE ON data_views
BEGIN SELECT RAISE(ABORT, 'data_views is append-only'); END;
CREATE TRIGGER data_views_no_delete BEFORE DELETE ON data_views
BEGIN SELECT RAISE(ABORT, 'data_views is append-only'); END;

-- HR's notes on a person's record (Art. 46 corrections are made in place and
-- audited; an annotation keeps what could not be changed, with why).
CREATE TABLE data_annotations (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    person_id   BIGINT  NOT NULL REFERENCES people(id),
    topic       TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    author_id   BIGINT  NOT NULL REFERENCES people(id),
    created_at  BIGINT  NOT NULL
);
CREATE INDEX data_annotations_person ON data_annotations(person_id);
