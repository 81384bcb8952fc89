//! Reminders (催填, N4): when an overdue to-do gets a nudge and when it is
//! escalated one step up the owner's reporting line. For the to-dos that
//! usually run late — a manager's approvals and reviews — that step is the
//! manager's manager.

use serde::{Deserialize, Serialize};

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReminderPolicy {
    /// Hours between two nudges for the same to-do.
    pub every_hours: i64,
    /// Days overdue before the owner's manager is told.
    pub escalate_after_days: i64,
    /// Nudges per to-do at most; after that only the escalation speaks.
    pub max_nudges: i64,
}

impl Default for ReminderPolicy {
    fn default() -> Self {
        ReminderPolicy {
            every_hours: 24,
            escalate_after_days: 3,
            max_nudges: 5,
        }
    }
}

impl ReminderPolicy {
    /// Settings an admin can get wrong are refused with the reason.
    pub fn validate(&self) -> Result<(), String> {
        if !(1..=24 * 30).contains(&self.every_hours) {
            return Err("提醒间隔须在 1 到 720 小时之间".into());
        }
        if !(1..=90).contains(&self.escalate_after_days) {
            return Err("升级天数须在 1 到 90 天之间".into());
        }
        if !(0..=50).contains(&self.max_nudges) {
            return Err("提醒次数上限须在 0 到 50 之间".into());
        }
        Ok(())
    }
}

/// What a to-do's reminder state is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TodoClock {
    pub due_at: i64,
    pub reminded_at: Option<i64>,
    pub nudges: i64,
    pub escalated_at: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Decision {
    pub nudge: bool,
    pub escalate: bool,
}

/// Decides for one open to-do at `now`. A to-do that is not yet overdue gets
/// nothing; an overdue one is nudged at most every `every_hours` and at most
/// `max_nudges` times; it is escalated once, after `escalate_after_days`.
pub fn decide(policy: &ReminderPolicy, t: &TodoClock, now: i64) -> Decision {
    if now <= t.due_at {
        return Decision::default();
    }
    let nudge = t.nudges < policy.max_nudges
        && t.reminded_at
            .is_none_or(|at| now - at >= policy.every_hours * HOUR_MS);
    let escalate =
        t.escalated_at.is_none() && now - t.due_at >= policy.escalate_after_days * DAY_MS;
    Decision { nudge, escalate }
}

/// Whole days a to-do is overdue at `now` (0 while less than a day late).
pub fn days_overdue(due_at: i64, now: i64) -> i64 {
    ((now - due_at).max(0)) / DAY_MS
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DUE: i64 = 1_764_172_800_000;

    fn clock() -> TodoClock {
        TodoClock {
            due_at: DUE,
            reminded_at: None,
            nudges: 0,
            escalated_at: None,
        }
    }

    #[test]
    fn nothing_before_due_then_nudge_then_escalate() {
        let p = ReminderPolicy::default();
        assert_eq!(decide(&p, &clock(), DUE), Decision::default());
        assert_eq!(
            decide(&p, &clock(), DUE + 1),
            Decision {
                nudge: true,
                escalate: false
            }
        );
        let reminded = TodoClock {
            reminded_at: Some(DUE + 1),
            nudges: 1,
            ..clock()
        };
        assert!(!decide(&p, &reminded, DUE + 23 * HOUR_MS).nudge);
        assert!(decide(&p, &reminded, DUE + 1 + 24 * HOUR_MS).nudge);
        let d = decide(&p, &reminded, DUE + 3 * DAY_MS);
        assert!(d.escalate);
        let escalated = TodoClock {
            escalated_at: Some(DUE + 3 * DAY_MS),
            ..reminded
        };
        assert!(!decide(&p, &escalated, DUE + 10 * DAY_MS).escalate);
        let tired = TodoClock {
            nudges: 5,
            ..escalated
        };
        assert!(!decide(&p, &tired, DUE + 10 * DAY_MS).nudge);
        assert_eq!(days_overdue(DUE, DUE + 3 * DAY_MS - 1), 2);
    }

    #[test]
    fn bad_policies_are_refused() {
        for p in [
            ReminderPolicy {
                every_hours: 0,
                ..Default::default()
            },
            ReminderPolicy {
                escalate_after_days: 0,
                ..Default::default()
            },
            ReminderPolicy {
                max_nudges: -1,
                ..Default::default()
            },
        ] {
            assert!(p.validate().is_err(), "{p:?}");
        }
        assert!(ReminderPolicy::default().validate().is_ok());
    }

    proptest! {
        /// Running the job at any sequence of times never nudges more often
        /// than the interval or more than the limit, and escalates at most once.
        #[test]
        fn nudges_are_spaced_and_bounded(steps in proptest::collection::vec(1i64..(30 * HOUR_MS), 1..60),
                                          every in 1i64..48, days in 1i64..10, max in 0i64..8) {
            let p = ReminderPolicy { every_hours: every, escalate_after_days: days, max_nudges: max };
            let mut t = clock();
            let mut now = DUE - 5 * HOUR_MS;
            let mut nudge_times = Vec::new();
            let mut escalations = 0;
            for step in steps {
                now += step;
                let d = decide(&p, &t, now);
                if d.nudge {
                    prop_assert!(now > DUE);
                    nudge_times.push(now);
                    t.reminded_at = Some(now);
                    t.nudges += 1;
                }
                if d.escalate {
                    prop_assert!(now - DUE >= days * DAY_MS);
                    escalations += 1;
                    t.escalated_at = Some(now);
                }
            }
            prop_assert!(nudge_times.len() as i64 <= max);
            prop_assert!(escalations <= 1);
            for w in nudge_times.windows(2) {
                prop_assert!(w[1] - w[0] >= every * HOUR_MS);
            }
        }
    }
}
