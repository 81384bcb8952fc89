-- Person-addressed messages (WeChat Work app message, later email): who inside
-- the channel receives it, e.g. the person's WeChat Work user id.
ALTER TABLE outbox ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
