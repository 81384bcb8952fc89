-- F1: a tag may belong to one job family (empty = every family), so the card
-- shows the author's own tags first (a sales rep does not start at 故障诊断).
ALTER TABLE feedback_tags ADD COLUMN job_family TEXT NOT NULL DEFAULT '';
