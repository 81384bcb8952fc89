-- The strategy tree's company goals and a period's objectives are a few
-- dozen among thousands of KPIs; the team board and the goal forms look
-- them up by kind and period instead of scanning every goal.
CREATE INDEX goals_kind_period ON goals (kind, period_id);
