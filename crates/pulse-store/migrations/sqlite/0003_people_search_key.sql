-- Pinyin search (e.g. "zw" or "zhangwei" for 张伟), computed by the application
-- on every write; rows written before this migration are filled in at start.
ALTER TABLE people ADD COLUMN search_key TEXT NOT NULL DEFAULT '';
