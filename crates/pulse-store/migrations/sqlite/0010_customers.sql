-- X3: the CRM's customer list. tier A/B/C; the A-class list drives KPIs such
-- as 重点客户渗透率 and the region inputs of weight rules. external_id is the
-- CRM's own key, so pulls and pushes update rather than duplicate.
CREATE TABLE customers (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id     TEXT    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    tier            TEXT    NOT NULL,
    region_unit_id  BIGINT  NOT NULL REFERENCES org_units(id),
    owner_id        BIGINT  REFERENCES people(id),
    signed_on       DATE,
    search_key      TEXT    NOT NULL DEFAULT '',
    source          TEXT    NOT NULL,
    updated_at      BIGINT  NOT NULL
);
CREATE INDEX customers_region ON customers(region_unit_id, tier);
CREATE INDEX customers_owner ON customers(owner_id);

-- Where customers are pulled from: a JSON endpoint, where the list sits in
-- the answer (JSON pointer) and a JSON pointer per field. The token is a
-- secret: never shown back.
CREATE TABLE crm_sources (
    name            TEXT    PRIMARY KEY,
    url             TEXT    NOT NULL,
    token           TEXT    NOT NULL DEFAULT '',
    mapping_json    TEXT    NOT NULL,
    enabled         BIGINT  NOT NULL DEFAULT 0,
    last_pulled_at  BIGINT,
    last_result     TEXT,
    updated_at      BIGINT  NOT NULL
);
