-- The goal roll-up walks children by parent among active goals; without this
-- SQLite built a transient index over all goals on every team board (5-16 ms).
CREATE INDEX goals_parent_state ON goals (parent_id, state);
