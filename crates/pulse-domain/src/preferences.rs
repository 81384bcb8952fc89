//! Personal notification preferences (N2): which channels carry a person's
//! messages and when they must stay quiet. Quiet hours delay messages, never
//! to-dos: the inbox always fills at once.

use serde::{Deserialize, Serialize};

use crate::Problem;

/// Channel kinds that reach one person (group robots reach teams).
pub const PERSONAL_KINDS: &[&str] = &["wecom_app", "email"];

/// Pulse serves Chinese enterprises: wall-clock rules such as quiet hours are
/// read in China Standard Time (UTC+8, no daylight saving).
pub const LOCAL_OFFSET_MINUTES: i64 = 8 * 60;

const DAY_MS: i64 = 24 * 60 * 60 * 1000;
const MINUTE_MS: i64 = 60 * 1000;

/// A daily window `[start, end)` in local minutes after midnight; `start > end`
/// wraps past midnight (22:00–07:30). Equal ends mean no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuietHours {
    pub start_minute: i64,
    pub end_minute: i64,
}

impl QuietHours {
    pub fn new(start_minute: i64, end_minute: i64) -> Result<QuietHours, Problem> {
        if !(0..1440).contains(&start_minute) || !(0..1440).contains(&end_minute) {
            return Err(Problem::new(
                "invalid_quiet_hours",
                "免打扰时段必须是 00:00–23:59 之间的时间",
                "quiet hours must be times between 00:00 and 23:59",
            ));
        }
        Ok(QuietHours {
            start_minute,
            end_minute,
        })
    }

    /// Parses `"22:00"`-style times.
    pub fn parse(start: &str, end: &str) -> Result<QuietHours, Problem> {
        QuietHours::new(parse_hhmm(start)?, parse_hhmm(end)?)
    }

    fn contains(&self, minute: i64) -> bool {
        let (s, e) = (self.start_minute, self.end_minute);
        if s <= e {
            s <= minute && minute < e
        } else {
            minute >= s || minute < e
        }
    }

    /// When a message created at `now_ms` (UTC epoch ms) may be sent: `None`
    /// when `now_ms` is outside the window, else the instant the window ends.
    pub fn release_at(&self, now_ms: i64) -> Option<i64> {
        let local = now_ms + LOCAL_OFFSET_MINUTES * MINUTE_MS;
        let day_start = local.div_euclid(DAY_MS) * DAY_MS;
        let minute = (local - day_start) / MINUTE_MS;
        if self.start_minute == self.end_minute || !self.contains(minute) {
            return None;
        }
        let mut end = day_start + self.end_minute * MINUTE_MS;
        if end <= local {
            end += DAY_MS;
        }
        Some(end - LOCAL_OFFSET_MINUTES * MINUTE_MS)
    }

    pub fn format(&self) -> (String, String) {
        (hhmm(self.start_minute), hhmm(self.end_minute))
    }
}

pub fn hhmm(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn parse_hhmm(s: &str) -> Result<i64, Problem> {
    let bad = || {
        Problem::new(
            "invalid_time",
            format!("“{s}”不是有效时间，请用 HH:MM 格式，例如 22:00"),
            format!("'{s}' is not a valid time; use HH:MM, e.g. 22:00"),
        )
    };
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let h: i64 = h.parse().map_err(|_| bad())?;
    let m: i64 = m.parse().map_err(|_| bad())?;
    if !(0..24).contains(&h) || !(0..60).contains(&m) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// Checks a chosen channel list: known personal kinds, no repeats.
pub fn validate_channels(kinds: &[String]) -> Result<(), Problem> {
    for (i, k) in kinds.iter().enumerate() {
        if !PERSONAL_KINDS.contains(&k.as_str()) {
            return Err(Problem::new(
                "invalid_channel",
                format!("未知的个人通知渠道“{k}”（可选：企业微信应用消息 wecom_app、邮件 email）"),
                format!("unknown personal channel '{k}' (choose wecom_app or email)"),
            ));
        }
        if kinds[..i].contains(k) {
            return Err(Problem::new(
                "duplicate_channel",
                format!("渠道“{k}”重复"),
                format!("channel '{k}' is listed twice"),
            ));
        }
    }
    Ok(())
}

/// The channels a person's message goes to. With no saved choice, the first
/// one that can reach them: the WeChat Work app when they have a WeChat Work
/// id, else email when they have an address — one message, not two. A saved
/// choice is followed as is (an empty choice means inbox only).
pub fn effective_channels(
    saved: Option<&[String]>,
    has_wecom_id: bool,
    has_email: bool,
) -> Vec<&'static str> {
    match saved {
        Some(kinds) => PERSONAL_KINDS
            .iter()
            .copied()
            .filter(|k| kinds.iter().any(|s| s == k))
            .collect(),
        None if has_wecom_id => vec!["wecom_app"],
        None if has_email => vec!["email"],
        None => vec!["wecom_app"],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// 2026-11-27 00:00 China time, in UTC epoch ms.
    const MIDNIGHT_CST: i64 = 1_764_172_800_000;

    fn at(h: i64, m: i64) -> i64 {
        MIDNIGHT_CST + (h * 60 + m) * MINUTE_MS
    }

    #[test]
    fn wrapping_window_releases_next_morning() {
        let q = QuietHours::parse("22:00", "07:30").unwrap();
        assert_eq!(q.release_at(at(23, 15)), Some(at(24 + 7, 30)));
        assert_eq!(q.release_at(at(3, 0)), Some(at(7, 30)));
        assert_eq!(q.release_at(at(7, 30)), None, "end is exclusive");
        assert_eq!(q.release_at(at(21, 59)), None);
        assert_eq!(q.release_at(at(22, 0)), Some(at(24 + 7, 30)));
    }

    #[test]
    fn daytime_window_and_empty_window() {
        let q = QuietHours::parse("12:00", "13:30").unwrap();
        assert_eq!(q.release_at(at(12, 45)), Some(at(13, 30)));
        assert_eq!(q.release_at(at(14, 0)), None);
        let none = QuietHours::parse("08:00", "08:00").unwrap();
        assert_eq!(none.release_at(at(8, 0)), None);
    }

    #[test]
    fn bad_times_are_refused_clearly() {
        for bad in ["24:00", "7", "ab:cd", "12:60", ""] {
            let e = QuietHours::parse(bad, "07:00").unwrap_err();
            assert_eq!(e.code, "invalid_time", "{bad}");
        }
        assert!(QuietHours::new(-1, 10).is_err());
    }

    #[test]
    fn default_channel_is_the_one_that_reaches_the_person() {
        assert_eq!(effective_channels(None, true, true), vec!["wecom_app"]);
        assert_eq!(effective_channels(None, false, true), vec!["email"]);
        let both = vec!["email".to_string(), "wecom_app".to_string()];
        assert_eq!(
            effective_channels(Some(&both), false, false),
            vec!["wecom_app", "email"]
        );
        assert!(effective_channels(Some(&[]), true, true).is_empty());
        assert!(validate_channels(&["sms".into()]).is_err());
        assert!(validate_channels(&["email".into(), "email".into()]).is_err());
    }

    proptest! {
        /// A held message is released exactly at the window's end, after
        /// now, within a day, and the release instant itself is not quiet.
        #[test]
        fn release_is_the_end_of_the_window(start in 0i64..1440, end in 0i64..1440, offset in 0i64..(3 * 1440)) {
            let q = QuietHours::new(start, end).unwrap();
            let now = MIDNIGHT_CST + offset * MINUTE_MS + 17_000;
            if let Some(release) = q.release_at(now) {
                prop_assert!(release > now);
                prop_assert!(release - now <= DAY_MS);
                prop_assert_eq!(q.release_at(release), None);
                let local_minute = (release + LOCAL_OFFSET_MINUTES * MINUTE_MS).rem_euclid(DAY_MS) / MINUTE_MS;
                prop_assert_eq!(local_minute, end);
            }
        }
    }
}
