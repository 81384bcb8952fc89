//! W2: how much the manager changed the draft, and how long they actively
//! wrote. Both feed the org-health figure "review writing time".

use similar::{DiffTag, TextDiff};

/// Idle gaps longer than this are not writing time.
pub const IDLE_GAP_MS: i64 = 5 * 60 * 1000;

/// Changed regions between the draft and the submitted text: runs of
/// inserted, deleted or replaced characters, where two changes closer than
/// two unchanged characters count as one (a word retyped is one edit, not
/// one per character).
pub fn edit_count(draft: &str, submitted: &str) -> u32 {
    let diff = TextDiff::configure()
        .algorithm(similar::Algorithm::Patience)
        .diff_chars(draft, submitted);
    let mut regions = 0;
    let mut in_region = false;
    for op in diff.ops() {
        match op.tag() {
            DiffTag::Equal => {
                if op.old_range().len() >= 2 {
                    in_region = false;
                }
            }
            _ => {
                if !in_region {
                    regions += 1;
                    in_region = true;
                }
            }
        }
    }
    regions
}

/// Active writing time so far, carried from one activity ping to the next:
/// a ping within [`IDLE_GAP_MS`] of the previous one adds the gap, a longer
/// gap (the manager left the page) adds nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WritingClock {
    pub active_ms: i64,
    pub last_at: Option<i64>,
}

impl WritingClock {
    pub fn ping(self, now: i64) -> WritingClock {
        let add = match self.last_at {
            Some(last) if now > last && now - last <= IDLE_GAP_MS => now - last,
            _ => 0,
        };
        WritingClock {
            active_ms: self.active_ms + add,
            last_at: Some(self.last_at.map_or(now, |l| l.max(now))),
        }
    }

    pub fn seconds(&self) -> i64 {
        self.active_ms / 1000
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn distinct_changes_are_counted_once_each() {
        let draft = "2026年9月12日，张三走访了华山医院。客户评价5分。";
        assert_eq!(edit_count(draft, draft), 0);
        assert_eq!(
            edit_count(
                draft,
                "2026年9月12日，张三走访了华山医院。客户评价为满分5分。"
            ),
            1
        );
        let two = "2026年9月12日，张三拜访了华山医院。客户评价5分，非常好。";
        assert_eq!(edit_count(draft, two), 2);
        assert_eq!(edit_count("", "全新的文字"), 1);
    }

    #[test]
    fn idle_gaps_do_not_count() {
        let c = WritingClock::default().ping(0);
        let c = c.ping(60_000).ping(120_000);
        assert_eq!(c.seconds(), 120);
        // Lunch: 40 minutes away adds nothing, then two more minutes.
        let c = c.ping(120_000 + 40 * 60_000).ping(120_000 + 42 * 60_000);
        assert_eq!(c.seconds(), 240);
        // A ping from the past (clock skew between instances) adds nothing.
        assert_eq!(c.ping(0).seconds(), 240);
    }

    proptest! {
        #[test]
        fn an_unchanged_text_has_no_edits_and_a_changed_one_has_some(a in "\\PC{0,60}", b in "\\PC{0,60}") {
            prop_assert_eq!(edit_count(&a, &a), 0);
            let n = edit_count(&a, &b);
            prop_assert_eq!(n == 0, a == b);
            prop_assert!(n as usize <= a.chars().count().max(b.chars().count()));
        }

        #[test]
        fn writing_time_never_exceeds_the_span_nor_goes_down(pings in proptest::collection::vec(0i64..4_000_000, 1..40)) {
            let mut c = WritingClock::default();
            let mut prev = 0;
            for p in &pings {
                c = c.ping(*p);
                prop_assert!(c.active_ms >= prev);
                prev = c.active_ms;
            }
            let span = pings.iter().max().unwrap() - pings.iter().min().unwrap();
            prop_assert!(c.active_ms <= span);
        }
    }
}
