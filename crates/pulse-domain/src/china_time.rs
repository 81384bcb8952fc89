//! China Standard Time (UTC+8, no daylight saving): the wall clock every
//! calendar rule of Pulse is read in — periods, digest weeks, quiet hours,
//! the days people see on a page. One place, so no rule builds its own offset.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};

/// UTC+8, checked when compiling (a bad offset would not build).
#[allow(clippy::disallowed_methods)] // the one place the offset is built
pub const CST: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(o) => o,
    None => panic!("UTC+8 is a valid offset"),
};

pub fn offset() -> FixedOffset {
    CST
}

/// The instant `ms` (since the epoch) on China's wall clock.
pub fn at(ms: i64) -> Option<DateTime<FixedOffset>> {
    DateTime::from_timestamp_millis(ms).map(|t| t.with_timezone(&offset()))
}

/// The China-time calendar day of an instant.
pub fn day_of_ms(ms: i64) -> NaiveDate {
    at(ms).map(|t| t.date_naive()).unwrap_or_default()
}

/// Midnight China time of `day`, as ms since the epoch.
pub fn day_start_ms(day: NaiveDate) -> i64 {
    day.and_hms_opt(0, 0, 0).map_or(0, local_ms)
}

/// A China wall-clock time as ms since the epoch (UTC+8 has no gaps or folds).
pub fn local_ms(t: NaiveDateTime) -> i64 {
    offset()
        .from_local_datetime(&t)
        .single()
        .map_or(0, |t| t.timestamp_millis())
}

/// "2026-11-28 09:41", how users read an instant.
pub fn format_ms(ms: i64, pattern: &str) -> String {
    at(ms)
        .map(|t| t.format(pattern).to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn midnight_in_china_is_four_pm_utc_the_day_before() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let ms = day_start_ms(day);
        assert_eq!(
            DateTime::from_timestamp_millis(ms).unwrap().to_rfc3339(),
            "2026-11-30T16:00:00+00:00"
        );
        assert_eq!(day_of_ms(ms), day);
        assert_eq!(day_of_ms(ms - 1), day.pred_opt().unwrap());
        assert_eq!(
            format_ms(ms + 90 * 60_000, "%Y-%m-%d %H:%M"),
            "2026-12-01 01:30"
        );
    }
}
