-- N2/N4 preferences, unit part: which group robot gets a unit's team-level
-- messages. Units without one use their nearest ancestor's.
CREATE TABLE unit_channels (
    org_unit_id   BIGINT  PRIMARY KEY REFERENCES org_units(id),
    channel_name  TEXT    NOT NULL REFERENCES notify_channels(name)
);
