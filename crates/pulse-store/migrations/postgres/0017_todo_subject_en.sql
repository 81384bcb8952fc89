-- O5: a to-do's subject is written in both languages when it is made, so an
-- English reader does not get the Chinese one (empty = same as subject).
ALTER TABLE todos ADD COLUMN subject_en TEXT NOT NULL DEFAULT '';
