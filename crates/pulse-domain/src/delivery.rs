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

/// Renders the small markdown subset Pulse writes in messages (paragraph
/// lines, `**bold**`, `[text](url)`, `> quote`, `- item`, and WeChat Work's
/// `<font color="warning">…</font>`) as the HTML part of an email. Every other
/// character is escaped, so a name or note can never inject markup.
pub fn markdown_to_html(md: &str) -> String {
    let mut out = String::from(
        "<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.6\">\n",
    );
    let mut in_list = false;
    for line in md.lines() {
        let trimmed = line.trim_start();
        let item = trimmed.strip_prefix("- ");
        if in_list && item.is_none() {
            out.push_str("</ul>\n");
            in_list = false;
        }
        if let Some(item) = item {
            if !in_list {
                out.push_str("<ul>\n");
                in_list = true;
            }
            out.push_str(&format!("<li>{}</li>\n", inline_html(item)));
        } else if let Some(q) = trimmed.strip_prefix('>') {
            out.push_str(&format!(
                "<blockquote style=\"color:#555;border-left:3px solid #ccc;margin:0;padding-left:8px\">{}</blockquote>\n",
                inline_html(q.trim_start())
            ));
        } else if trimmed.is_empty() {
            out.push_str("<br>\n");
        } else {
            out.push_str(&format!(
                "<p style=\"margin:0\">{}</p>\n",
                inline_html(trimmed)
            ));
        }
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// The same subset as plain text: markers dropped, links as `text (url)`.
pub fn markdown_to_text(md: &str) -> String {
    let mut out = String::new();
    for line in md.lines() {
        let mut rest = line;
        while !rest.is_empty() {
            if let Some((text, url, after)) = link_at(rest) {
                out.push_str(&format!("{text} ({url})"));
                rest = after;
            } else if let Some(after) = rest.strip_prefix("**") {
                rest = after;
            } else if let Some(after) = strip_font_tag(rest) {
                rest = after;
            } else {
                let c = rest.chars().next().unwrap_or_default();
                out.push(c);
                rest = &rest[c.len_utf8()..];
            }
        }
        out.push('\n');
    }
    out
}

/// Escapes text for HTML and XML (SVG) content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `[text](url)` at the start of `s`: (text, url, rest).
fn link_at(s: &str) -> Option<(&str, &str, &str)> {
    let body = s.strip_prefix('[')?;
    let close = body.find("](")?;
    let text = &body[..close];
    let after = &body[close + 2..];
    let end = after.find(')')?;
    let url = &after[..end];
    if text.contains('[') || url.contains(char::is_whitespace) {
        return None;
    }
    Some((text, url, &after[end + 1..]))
}

fn strip_font_tag(s: &str) -> Option<&str> {
    if let Some(after) = s.strip_prefix("</font>") {
        return Some(after);
    }
    let after = s.strip_prefix("<font color=\"")?;
    let end = after.find("\">")?;
    after[..end]
        .chars()
        .all(|c| c.is_ascii_alphanumeric())
        .then(|| &after[end + 2..])
}

fn font_colour(s: &str) -> Option<(&'static str, &str)> {
    let after = s.strip_prefix("<font color=\"")?;
    let end = after.find("\">")?;
    let colour = match &after[..end] {
        "warning" => "#d9480f",
        "info" => "#2f9e44",
        "comment" => "#868e96",
        _ => return None,
    };
    Some((colour, &after[end + 2..]))
}

fn inline_html(line: &str) -> String {
    let mut out = String::new();
    let mut rest = line;
    let mut bold = false;
    let mut fonts = 0;
    while !rest.is_empty() {
        if let Some((text, url, after)) = link_at(rest) {
            let safe =
                url.starts_with("https://") || url.starts_with("http://") || url.starts_with('/');
            if safe {
                out.push_str(&format!("<a href=\"{}\">{}</a>", escape(url), escape(text)));
            } else {
                out.push_str(&escape(text));
            }
            rest = after;
        } else if let Some(after) = rest.strip_prefix("**") {
            out.push_str(if bold { "</strong>" } else { "<strong>" });
            bold = !bold;
            rest = after;
        } else if let Some((colour, after)) = font_colour(rest) {
            out.push_str(&format!("<span style=\"color:{colour}\">"));
            fonts += 1;
            rest = after;
        } else if let Some(after) = rest.strip_prefix("</font>").filter(|_| fonts > 0) {
            out.push_str("</span>");
            fonts -= 1;
            rest = after;
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push_str(&escape(&c.to_string()));
            rest = &rest[c.len_utf8()..];
        }
    }
    if bold {
        out.push_str("</strong>");
    }
    for _ in 0..fonts {
        out.push_str("</span>");
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

    /// Drops the tags the renderer itself opens with attributes.
    fn regex_free_strip(s: &str) -> String {
        let mut out = s.to_string();
        for open in ["<span style=\"", "<a href=\"", "<blockquote style=\""] {
            while let Some(i) = out.find(open) {
                let end = out[i..].find('>').map(|e| i + e + 1).unwrap_or(out.len());
                out.replace_range(i..end, "");
            }
        }
        out.replace("</a>", "")
    }

    #[test]
    fn markdown_renders_to_safe_html_and_plain_text() {
        let md = "**本周汇总** 华东\n> 价格异议 <font color=\"warning\">+40%</font>\n- 第一项\n- [查看](/digests/1)\n<script>alert(1)</script> [x](javascript:alert(1))";
        let html = markdown_to_html(md);
        assert!(html.contains("<strong>本周汇总</strong> 华东"));
        assert!(html.contains("<span style=\"color:#d9480f\">+40%</span>"));
        assert!(
            html.contains("<ul>\n<li>第一项</li>\n<li><a href=\"/digests/1\">查看</a></li>\n</ul>")
        );
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
        let text = markdown_to_text(md);
        assert!(
            text.starts_with("本周汇总 华东\n> 价格异议 +40%\n"),
            "{text}"
        );
        assert!(text.contains("查看 (/digests/1)"));
    }

    proptest! {
        #[test]
        fn fit_never_exceeds_and_stays_utf8(s in "\\PC{0,3000}", max in 16usize..5000) {
            let out = fit(&s, max, "…");
            prop_assert!(out.len() <= max);
            prop_assert!(s.starts_with(out.trim_end_matches('…')) || out.len() <= max);
        }

        #[test]
        fn html_never_carries_raw_tags(s in "\\PC{0,300}") {
            let html = markdown_to_html(&s);
            let body = html.trim_start_matches("<!DOCTYPE html><html><body style=\"font-family:sans-serif;line-height:1.6\">\n");
            let stripped = ["<p style=\"margin:0\">", "</p>", "<br>", "<ul>", "</ul>", "<li>", "</li>", "<strong>", "</strong>", "</span>", "</body></html>", "</blockquote>"]
                .iter().fold(body.to_string(), |acc, t| acc.replace(t, ""));
            let stripped = regex_free_strip(&stripped);
            prop_assert!(!stripped.contains('<'), "{}", stripped);
        }

        #[test]
        fn backoff_within_bounds(attempt in 1u32..64, unit in 0.0f64..1.0) {
            let d = backoff_ms(attempt, 500, 300_000, unit);
            prop_assert!((0..=300_000).contains(&d));
        }
    }
}
