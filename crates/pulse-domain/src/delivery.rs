//! Delivery rules for notifications (N3), free of IO: when to retry and how
//! to fit a message into a channel's size limit.

/// Delay before attempt `attempt + 1` (attempt counts from 1): exponential
/// from `base_ms`, capped at `cap_ms`, with "full jitter" — a uniform draw in
/// [0, delay] from `unit` in [0, 1) — so that many failing messages do not
/// retry in lockstep.
pub fn backoff_ms(attempt: u32, base_ms: i64, cap_ms: i64, unit: f64) -> i64 {
    let exp = base_ms.saturating_mul(1_i64 << attempt.saturating_sub(1).min(30));
    let delay = exp.min(cap_ms).max(0);
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.0
    };
    // Never retry sooner than a tenth of the delay: a zero draw would hammer the channel.
    (delay as f64 * (0.1 + 0.9 * unit)) as i64
}

/// Fits `content` into `max_bytes` of UTF-8. Too long a message is cut on a
/// character boundary and ends with `tail` (e.g. "…[查看全文](link)"), so the
/// reader can still get to the whole text.
pub fn fit(content: &str, max_bytes: usize, tail: &str) -> String {
    if content.len() <= max_bytes {
        return content.to_string();
    }
    let room = max_bytes.saturating_sub(tail.len());
    let mut cut = room.min(content.len());
    while cut > 0 && !content.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut out = content[..cut].to_string();
    if tail.len() <= max_bytes {
        out.push_str(tail);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn backoff_grows_and_caps() {
        assert_eq!(backoff_ms(1, 1000, 60_000, 1.0), 1000);
        assert_eq!(backoff_ms(2, 1000, 60_000, 1.0), 2000);
        assert_eq!(backoff_ms(5, 1000, 60_000, 1.0), 16_000);
        assert_eq!(backoff_ms(30, 1000, 60_000, 1.0), 60_000);
        assert_eq!(backoff_ms(3, 1000, 60_000, 0.0), 400);
        assert_eq!(backoff_ms(3, 1000, 60_000, f64::NAN), 400);
    }

    #[test]
    fn fit_keeps_short_and_cuts_long() {
        assert_eq!(fit("本周汇总", 4096, "…"), "本周汇总");
        let long = "价格异议".repeat(2000);
        let out = fit(&long, 4096, "…[全文](/digests/1)");
        assert!(out.len() <= 4096);
        assert!(out.ends_with("…[全文](/digests/1)"));
    }

    proptest! {
        #[test]
        fn fit_never_exceeds_and_stays_utf8(s in "\\PC{0,3000}", max in 16usize..5000) {
            let out = fit(&s, max, "…");
            prop_assert!(out.len() <= max);
            prop_assert!(s.starts_with(out.trim_end_matches('…')) || out.len() <= max);
        }

        #[test]
        fn backoff_within_bounds(attempt in 1u32..64, unit in 0.0f64..1.0) {
            let d = backoff_ms(attempt, 500, 300_000, unit);
            prop_assert!((0..=300_000).contains(&d));
        }
    }
}
