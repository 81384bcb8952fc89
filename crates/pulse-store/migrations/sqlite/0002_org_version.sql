-- A counter bumped in the same transaction as every org-unit change, so each
-- instance can cache the org tree and know, with one cheap read, when it is stale.
CREATE TABLE org_version (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    version  BIGINT  NOT NULL
);
INSERT INTO org_version (id, version) VALUES (1, 0);
