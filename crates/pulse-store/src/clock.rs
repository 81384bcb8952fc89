//! Where "now" comes from. `pulse serve` reads the system clock; tests and
//! the demo builder set the instant, so nothing that a test checks depends on
//! the day the suite runs.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<Set>>);

/// A set clock: `base` plus, for a running one, the time since `start`.
#[derive(Debug)]
struct Set {
    base: AtomicI64,
    start: Option<Instant>,
}

impl Set {
    fn elapsed_ms(&self) -> i64 {
        self.start.map_or(0, |s| {
            i64::try_from(s.elapsed().as_millis()).unwrap_or(i64::MAX)
        })
    }
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock(None)
    }

    /// A clock standing at `ms` (since the epoch) until it is set or advanced.
    pub fn fixed(ms: i64) -> Clock {
        Clock(Some(Arc::new(Set {
            base: AtomicI64::new(ms),
            start: None,
        })))
    }

    /// A clock that starts at `ms` and then runs at the pace of real time,
    /// for tests whose workers wait for retries and leases: the calendar is
    /// the one the test chose, whatever the day the suite runs.
    pub fn running_from(ms: i64) -> Clock {
        Clock(Some(Arc::new(Set {
            base: AtomicI64::new(ms),
            start: Some(Instant::now()),
        })))
    }

    /// A clock standing at a China wall-clock time, e.g. `"2026-12-07 00:30"`.
    pub fn at_china_time(text: &str) -> Option<Clock> {
        Some(Clock::fixed(china_ms(text)?))
    }

    pub fn is_set(&self) -> bool {
        self.0.is_some()
    }

    pub fn now_ms(&self) -> i64 {
        match &self.0 {
            Some(s) => s.base.load(Ordering::SeqCst) + s.elapsed_ms(),
            #[allow(clippy::disallowed_methods)] // the system clock itself
            None => chrono::Utc::now().timestamp_millis(),
        }
    }

    /// Today in China time.
    pub fn today(&self) -> chrono::NaiveDate {
        pulse_domain::china_time::day_of_ms(self.now_ms())
    }

    /// Moves a set clock to `ms`; the system clock cannot be set.
    pub fn set(&self, ms: i64) {
        if let Some(s) = &self.0 {
            s.base.store(ms - s.elapsed_ms(), Ordering::SeqCst);
        }
    }

    /// Moves a set clock on by `ms`.
    pub fn advance(&self, ms: i64) {
        if let Some(s) = &self.0 {
            s.base.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

/// A China wall-clock time such as `"2026-12-07 00:30"` as ms since the epoch.
pub fn china_ms(text: &str) -> Option<i64> {
    let t = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").ok()?;
    Some(pulse_domain::china_time::local_ms(t))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_clock_moves_only_when_told() {
        let c = Clock::at_china_time("2026-12-31 23:59").unwrap();
        let copy = c.clone();
        assert_eq!(
            c.today(),
            chrono::NaiveDate::from_ymd_opt(2026, 12, 31).unwrap()
        );
        c.advance(60_000);
        assert_eq!(
            copy.today(),
            chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()
        );
        assert!(Clock::system().now_ms() > 1_700_000_000_000);
    }

    #[test]
    fn a_running_clock_keeps_the_chosen_calendar() {
        let start = china_ms("2026-01-05 00:30").unwrap();
        let c = Clock::running_from(start);
        let now = c.now_ms();
        assert!(now >= start && now < start + 60_000);
        c.set(start + 86_400_000);
        assert!(c.now_ms() >= start + 86_400_000);
        assert_eq!(
            c.today(),
            chrono::NaiveDate::from_ymd_opt(2026, 1, 6).unwrap()
        );
    }
}
