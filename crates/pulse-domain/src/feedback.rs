//! The 15-minute feedback card (F1): exactly three tags from the HRBP's
//! library, each rated 1–5, and a key observation of 1–20 user-perceived
//! characters. Characters are grapheme clusters, so "价格异议" is 4 and a
//! family emoji made of several code points is 1, as a person counts them.

use unicode_segmentation::UnicodeSegmentation;

use crate::Problem;

pub const TAGS_PER_CARD: usize = 3;
pub const OBSERVATION_MAX: usize = 20;
pub const RATING_MIN: i64 = 1;
pub const RATING_MAX: i64 = 5;
/// Points a valid card earns (F2).
pub const POINTS_PER_CARD: i64 = 1;

/// User-perceived characters (extended grapheme clusters).
pub fn grapheme_len(s: &str) -> usize {
    s.graphemes(true).count()
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagRating {
    pub tag: String,
    pub rating: i64,
}

/// Checks a card against the active tag library and returns the observation
/// as stored (trimmed). The first problem found is reported, in the order a
/// person fills the form: tags, ratings, observation.
pub fn check_card(
    tags: &[TagRating],
    observation: &str,
    library: &[&str],
) -> Result<String, Problem> {
    if tags.len() != TAGS_PER_CARD {
        return Err(Problem::new(
            "tags_count",
            format!(
                "请恰好选择 {TAGS_PER_CARD} 个标签（现在 {} 个）",
                tags.len()
            ),
            format!("pick exactly {TAGS_PER_CARD} tags (got {})", tags.len()),
        ));
    }
    for (i, t) in tags.iter().enumerate() {
        let name = t.tag.trim();
        if !library.contains(&name) {
            return Err(Problem::new(
                "tag_unknown",
                format!("标签“{name}”不在标签库中"),
                format!("the tag \"{name}\" is not in the tag library"),
            ));
        }
        if tags[..i].iter().any(|o| o.tag.trim() == name) {
            return Err(Problem::new(
                "tag_duplicate",
                format!("标签“{name}”选了两次"),
                format!("the tag \"{name}\" was picked twice"),
            ));
        }
        if t.rating == 0 {
            // A picked tag left unrated (the phone form's chips).
            return Err(Problem::new(
                "rating_out_of_range",
                format!("请给“{name}”打 {RATING_MIN}–{RATING_MAX} 分"),
                format!("rate \"{name}\" {RATING_MIN}–{RATING_MAX}"),
            ));
        }
        if !(RATING_MIN..=RATING_MAX).contains(&t.rating) {
            return Err(Problem::new(
                "rating_out_of_range",
                format!(
                    "“{name}”的评分必须是 {RATING_MIN}–{RATING_MAX}（现在 {}）",
                    t.rating
                ),
                format!(
                    "the rating of \"{name}\" must be {RATING_MIN}–{RATING_MAX} (got {})",
                    t.rating
                ),
            ));
        }
    }
    let obs = observation.trim();
    let n = grapheme_len(obs);
    if n == 0 {
        return Err(Problem::new(
            "observation_required",
            "请写下一句关键观察（1–20 个字）",
            "write a key observation (1–20 characters)",
        ));
    }
    if n > OBSERVATION_MAX {
        return Err(Problem::new(
            "observation_too_long",
            format!("关键观察最多 {OBSERVATION_MAX} 个字（现在 {n} 个）"),
            format!("the key observation is at most {OBSERVATION_MAX} characters (got {n})"),
        ));
    }
    if obs.chars().any(char::is_control) {
        return Err(Problem::new(
            "observation_control_chars",
            "关键观察不能包含换行或控制字符",
            "the key observation cannot contain line breaks or control characters",
        ));
    }
    Ok(obs.to_string())
}

/// Whether a card written at `card_at` for an event at `event_at` is inside
/// the points window (F2). A card may be written before the event's
/// recorded time only by clock skew; a minute of it is tolerated.
pub fn in_window(event_at_ms: i64, card_at_ms: i64, window_hours: i64) -> bool {
    let skew = 60_000;
    card_at_ms + skew >= event_at_ms && card_at_ms - event_at_ms <= window_hours * 3_600_000
}

/// The employee's answer to a manager's reply (F4), feeding the trust metric.
pub fn check_ack(ack: &str) -> Result<&'static str, Problem> {
    match ack {
        "clear" => Ok("clear"),
        "unclear" => Ok("unclear"),
        _ => Err(Problem::new(
            "invalid_ack",
            "回应只能是“我清楚下一步”(clear) 或“还不清楚”(unclear)",
            "the answer is clear or unclear",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &[&str] = &["沟通质量", "需求洞察深度", "方案匹配度", "跟进及时性"];

    fn t(tag: &str, rating: i64) -> TagRating {
        TagRating {
            tag: tag.into(),
            rating,
        }
    }

    fn three() -> Vec<TagRating> {
        vec![t("沟通质量", 4), t("需求洞察深度", 3), t("方案匹配度", 5)]
    }

    #[test]
    fn graphemes_count_as_people_see_them() {
        assert_eq!(grapheme_len("价格异议"), 4);
        assert_eq!(grapheme_len("👨‍👩‍👧"), 1, "a family emoji is one character");
        assert_eq!(
            grapheme_len("e\u{301}"),
            1,
            "a combining accent joins its letter"
        );
        assert_eq!(grapheme_len("🇨🇳ok"), 3);
    }

    #[test]
    fn a_good_card_passes_and_is_trimmed() {
        assert_eq!(
            check_card(&three(), "  客户关注交付周期 ", LIB).unwrap(),
            "客户关注交付周期"
        );
        let twenty = "一".repeat(19) + "👍";
        assert_eq!(check_card(&three(), &twenty, LIB).unwrap(), twenty);
    }

    #[test]
    fn bad_cards_name_their_problem() {
        let code = |tags: &[TagRating], obs: &str| check_card(tags, obs, LIB).unwrap_err().code;
        assert_eq!(code(&three()[..2], "好"), "tags_count");
        let mut four = three();
        four.push(t("跟进及时性", 3));
        assert_eq!(code(&four, "好"), "tags_count");
        assert_eq!(
            code(
                &[t("沟通质量", 4), t("不存在", 3), t("方案匹配度", 5)],
                "好"
            ),
            "tag_unknown"
        );
        assert_eq!(
            code(
                &[t("沟通质量", 4), t("沟通质量", 3), t("方案匹配度", 5)],
                "好"
            ),
            "tag_duplicate"
        );
        assert_eq!(
            code(
                &[t("沟通质量", 0), t("需求洞察深度", 3), t("方案匹配度", 5)],
                "好"
            ),
            "rating_out_of_range"
        );
        assert_eq!(
            code(
                &[t("沟通质量", 6), t("需求洞察深度", 3), t("方案匹配度", 5)],
                "好"
            ),
            "rating_out_of_range"
        );
        assert_eq!(
            code(&three(), " \u{3000} \t"),
            "observation_required",
            "full-width space is whitespace"
        );
        assert_eq!(code(&three(), &"一".repeat(21)), "observation_too_long");
        assert_eq!(
            code(&three(), "第一行\n第二行"),
            "observation_control_chars"
        );
        let msg = check_card(&three(), &"价".repeat(21), LIB).unwrap_err();
        assert!(msg.zh.contains("21"), "{}", msg.zh);
    }

    #[test]
    fn the_window_counts_from_the_event() {
        let h = 3_600_000;
        assert!(in_window(0, 15 * 60_000, 72));
        assert!(in_window(0, 72 * h, 72));
        assert!(!in_window(0, 72 * h + 1, 72));
        assert!(in_window(60_000, 0, 72), "a minute of clock skew");
        assert!(!in_window(10 * 60_000, 0, 72), "a card before the event");
    }
}
