//! The one chart module of Pulse: radar, bar, line, heatmap and word cloud
//! as server-rendered SVG. Every chart scales to its container (viewBox,
//! readable at 360 px), carries a `<title>` and `role="img"` for screen
//! readers, and measures text with a CJK-aware width model (a Han character
//! or full-width sign is one em, Latin about 0.6 em) so Chinese labels are
//! laid out without a font file on the server.
//!
//! Hand-written rather than charts-rs: that crate needs a 19 MB CJK font
//! registered at run time for correct Chinese widths and has no word cloud.

mod radar;
pub use radar::{radar, wrap_label};

use std::fmt::Write;

/// Escapes text for SVG content and attributes.
pub use pulse_domain::delivery::escape as esc;

/// Width of `s` in px at font size `px`.
pub fn text_width(s: &str, px: f64) -> f64 {
    s.chars()
        .map(|c| {
            if c.is_ascii() {
                if c.is_ascii_uppercase() || c.is_ascii_digit() {
                    0.62
                } else {
                    0.55
                }
            } else {
                1.0
            }
        })
        .sum::<f64>()
        * px
}

fn open(w: f64, h: f64, title: &str, id: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {w} {h}\" width=\"100%\" role=\"img\" \
         aria-labelledby=\"{id}-t\" class=\"chart\" font-family=\"'Noto Sans CJK SC','PingFang SC','Microsoft YaHei',sans-serif\">\
         <title id=\"{id}-t\">{}</title>",
        esc(title)
    )
}

fn fmt1(v: f64) -> String {
    format!("{:.1}", v)
}

/// A radar axis: label, the person's value and the peer median (0–100).
pub struct Axis<'a> {
    pub label: &'a str,
    pub value: Option<f64>,
    pub peer: Option<f64>,
}

/// Radar of one person (filled) against the peer median (dashed), 0–100.
/// Horizontal bars: (label, value, shown text), scaled to `max`.
pub fn bars(id: &str, title: &str, items: &[(&str, f64, String)], max: f64) -> String {
    let row = 28.0;
    let h = 10.0 + row * items.len() as f64;
    let label_w = items
        .iter()
        .map(|i| text_width(i.0, 13.0))
        .fold(40.0, f64::max)
        .min(150.0);
    let bar_w = 360.0 - label_w - 70.0;
    let mut s = open(360.0, h, title, id);
    for (k, (label, v, text)) in items.iter().enumerate() {
        let y = 8.0 + k as f64 * row;
        let w = if max > 0.0 {
            (v / max).clamp(0.0, 1.0) * bar_w
        } else {
            0.0
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"13\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>\
             <rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"16\" rx=\"3\" fill=\"#0969da\"/>\
             <text x=\"{}\" y=\"{}\" font-size=\"12\" dominant-baseline=\"middle\">{}</text>",
            fmt1(label_w + 4.0),
            fmt1(y + 8.0),
            esc(label),
            fmt1(label_w + 10.0),
            fmt1(y),
            fmt1(w),
            fmt1(label_w + 14.0 + w),
            fmt1(y + 8.0),
            esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

/// Lines over shared x labels: (series name, values; None = gap).
pub fn lines(id: &str, title: &str, x: &[String], series: &[(&str, Vec<Option<f64>>)]) -> String {
    let (w, h, left, top, bottom) = (360.0, 220.0, 36.0, 14.0, 40.0);
    let max = series
        .iter()
        .flat_map(|s| s.1.iter().flatten())
        .fold(0.0_f64, |a, b| a.max(*b))
        .max(1.0);
    let n = x.len().max(2) as f64;
    let px = |i: usize| left + (w - left - 10.0) * i as f64 / (n - 1.0);
    let py = |v: f64| top + (h - top - bottom) * (1.0 - v / max);
    let colours = ["#0969da", "#cf222e", "#1a7f37", "#8250df"];
    let mut s = open(w, h, title, id);
    let _ = write!(
        s,
        "<line x1=\"{left}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"#8c959f\"/>",
        py(0.0),
        w - 10.0,
        py(0.0)
    );
    let _ = write!(
        s,
        "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>",
        left - 4.0,
        py(max) + 4.0,
        fmt1(max)
    );
    let step = (x.len() / 6).max(1);
    for (i, l) in x.iter().enumerate().step_by(step) {
        // The last label ends at the right edge instead of running past it.
        let anchor = if i + 1 == x.len() && x.len() > 1 {
            "end"
        } else {
            "middle"
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"{anchor}\">{}</text>",
            fmt1(px(i)),
            h - bottom + 16.0,
            esc(l)
        );
    }
    for (k, (name, vals)) in series.iter().enumerate() {
        let c = colours[k % colours.len()];
        let mut d = String::new();
        let mut pen = false;
        for (i, v) in vals.iter().enumerate() {
            match v {
                Some(v) => {
                    let _ = write!(
                        d,
                        "{}{},{} ",
                        if pen { "L" } else { "M" },
                        fmt1(px(i)),
                        fmt1(py(*v))
                    );
                    pen = true;
                }
                None => pen = false,
            }
        }
        let _ = write!(
            s,
            "<path d=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"2\"/>",
            d.trim()
        );
        // A dot per reading of the first series, so a lone reading still shows.
        for (i, v) in vals.iter().enumerate().filter(|_| k == 0) {
            if let Some(v) = v {
                let _ = write!(
                    s,
                    "<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{c}\"/>",
                    fmt1(px(i)),
                    fmt1(py(*v))
                );
            }
        }
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" fill=\"{c}\">{}</text>",
            left + 90.0 * k as f64,
            h - 6.0,
            esc(name)
        );
    }
    s.push_str("</svg>");
    s
}

/// A heatmap: rows × columns of values 0–`max` (None = no data).
pub fn heatmap(
    id: &str,
    title: &str,
    rows: &[String],
    cols: &[String],
    values: &[Vec<Option<f64>>],
    max: f64,
) -> String {
    let label_w = rows
        .iter()
        .map(|r| text_width(r, 12.0))
        .fold(30.0, f64::max)
        .min(120.0)
        + 6.0;
    let cell_w = ((360.0 - label_w) / cols.len().max(1) as f64).max(8.0);
    let cell_h = 24.0;
    let head = 34.0;
    let h = head + cell_h * rows.len() as f64;
    let w = label_w + cell_w * cols.len() as f64;
    let mut s = open(w.max(360.0), h, title, id);
    for (j, c) in cols.iter().enumerate() {
        let x = fmt1(label_w + cell_w * (j as f64 + 0.5));
        // A label wider than its column goes on two lines.
        let chars: Vec<char> = c.chars().collect();
        let lines: Vec<String> = if text_width(c, 11.0) > cell_w - 2.0 && chars.len() > 1 {
            let half = chars.len().div_ceil(2);
            vec![
                chars[..half].iter().collect(),
                chars[half..].iter().collect(),
            ]
        } else {
            vec![c.clone()]
        };
        let top = if lines.len() == 2 { 13.0 } else { 24.0 };
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                "<text x=\"{x}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\">{}</text>",
                top + 12.0 * k as f64,
                esc(line)
            );
        }
    }
    for (i, r) in rows.iter().enumerate() {
        let y = head + cell_h * i as f64;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"12\" text-anchor=\"end\" dominant-baseline=\"middle\">{}</text>",
            label_w - 4.0,
            fmt1(y + cell_h / 2.0),
            esc(r)
        );
        for (j, v) in values
            .get(i)
            .map(Vec::as_slice)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let (fill, text) = match v {
                Some(v) => {
                    let t = if max > 0.0 {
                        (v / max).clamp(0.0, 1.0)
                    } else {
                        0.0
                    };
                    (format!("rgba(9,105,218,{:.2})", 0.1 + 0.85 * t), fmt1(*v))
                }
                None => ("#f6f8fa".to_string(), "–".to_string()),
            };
            let x = label_w + cell_w * j as f64;
            let dark = v.is_some_and(|v| max > 0.0 && v / max > 0.55);
            let _ = write!(
                s,
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{fill}\"><title>{} · {}: {}</title></rect>\
                 <text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"middle\" dominant-baseline=\"middle\" fill=\"{}\">{}</text>",
                fmt1(x + 1.0),
                fmt1(y + 1.0),
                fmt1(cell_w - 2.0),
                cell_h - 2.0,
                esc(r),
                esc(cols.get(j).map_or("", String::as_str)),
                text,
                fmt1(x + cell_w / 2.0),
                fmt1(y + cell_h / 2.0),
                if dark { "#ffffff" } else { "#24292f" },
                v.map_or("–".to_string(), |v| format!("{v:.0}"))
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// A word of the cloud.
pub struct Word<'a> {
    pub text: &'a str,
    pub weight: f64,
    pub flagged: bool,
    pub href: Option<String>,
}

/// Where a word was placed (its box, text baseline at y + h·0.8).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Placed {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
    pub size: f64,
}

impl Placed {
    pub fn overlaps(&self, o: &Placed) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }
}

const CLOUD_W: f64 = 360.0;
const CLOUD_H: f64 = 240.0;

/// Places words heaviest first along a spiral from the centre; a word that
/// fits nowhere is left out (and listed in the table beside the cloud).
pub fn place_words(words: &[Word<'_>]) -> Vec<Option<Placed>> {
    let max = words
        .iter()
        .map(|w| w.weight)
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let mut order: Vec<usize> = (0..words.len()).collect();
    order.sort_by(|a, b| words[*b].weight.total_cmp(&words[*a].weight).then(a.cmp(b)));
    let mut placed: Vec<Placed> = Vec::new();
    let mut out = vec![None; words.len()];
    for i in order {
        let size = 13.0 + 23.0 * (words[i].weight / max).sqrt();
        let (w, h) = (text_width(words[i].text, size) + 4.0, size * 1.15);
        let mut t = 0.0_f64;
        while t < 400.0 {
            let r = 2.2 * t;
            let x = CLOUD_W / 2.0 + r * t.cos() * 1.4 - w / 2.0;
            let y = CLOUD_H / 2.0 + r * t.sin() * 0.8 - h / 2.0;
            let p = Placed { x, y, w, h, size };
            let inside = x >= 0.0 && y >= 0.0 && x + w <= CLOUD_W && y + h <= CLOUD_H;
            if inside && !placed.iter().any(|q| q.overlaps(&p)) {
                placed.push(p);
                out[i] = Some(p);
                break;
            }
            t += 0.12;
        }
    }
    out
}

pub fn word_cloud(id: &str, title: &str, words: &[Word<'_>]) -> String {
    let mut s = open(CLOUD_W, CLOUD_H, title, id);
    for (w, p) in words.iter().zip(place_words(words)) {
        let Some(p) = p else { continue };
        let colour = if w.flagged { "#cf222e" } else { "#0550ae" };
        let text = format!(
            "<text x=\"{}\" y=\"{}\" font-size=\"{}\" fill=\"{colour}\"{}>{}</text>",
            fmt1(p.x + 2.0),
            fmt1(p.y + p.h * 0.8),
            fmt1(p.size),
            if w.flagged {
                " font-weight=\"bold\""
            } else {
                ""
            },
            esc(w.text)
        );
        match &w.href {
            Some(h) => {
                let _ = write!(s, "<a href=\"{}\">{text}</a>", esc(h));
            }
            None => s.push_str(&text),
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn charts_carry_titles_and_escape_labels() {
        let svg = radar(
            "r",
            "能力雷达图",
            &[
                Axis {
                    label: "沟通质量",
                    value: Some(80.0),
                    peer: Some(50.0),
                },
                Axis {
                    label: "需求<洞察>",
                    value: None,
                    peer: Some(50.0),
                },
                Axis {
                    label: "重点客户渗透",
                    value: Some(30.0),
                    peer: Some(50.0),
                },
            ],
            ("我", "同级中位数"),
        );
        assert!(svg.contains("<title id=\"r-t\">能力雷达图</title>"));
        assert!(svg.contains("需求&lt;洞察&gt;"));
        assert!(svg.contains("role=\"img\""));
        let b = bars("b", "标签均分", &[("沟通质量", 4.2, "4.2".into())], 5.0);
        assert!(b.contains("沟通质量"));
        let l = lines(
            "l",
            "趋势",
            &["W46".into(), "W47".into()],
            &[("价格异议", vec![Some(2.0), Some(9.0)])],
        );
        assert!(l.contains("<path d=\"M"));
        let h = heatmap(
            "h",
            "热力图",
            &["华东".into()],
            &["1月".into()],
            &[vec![Some(0.5)]],
            1.0,
        );
        assert!(h.contains("华东"));
        // Five long column labels at 360 px: each goes on two lines.
        let cols: Vec<String> = [
            "沟通质量",
            "需求洞察深度",
            "重点客户渗透",
            "医疗政策解读",
            "客户关系韧性",
        ]
        .iter()
        .map(|c| c.to_string())
        .collect();
        let h = heatmap(
            "h2",
            "团队能力热力图",
            &["易销售".into()],
            &cols,
            &[vec![Some(72.0); 5]],
            100.0,
        );
        assert!(h.contains(">需求洞<") && h.contains(">察深度<"), "{h}");
        assert!(h.contains(">72<"), "values are written in the cells");
    }

    #[test]
    fn chinese_is_measured_wider_than_latin() {
        assert_eq!(text_width("价格异议", 10.0), 40.0);
        assert!(text_width("GMP", 10.0) < text_width("备件使", 10.0));
    }

    fn words_from(v: &[(String, f64)]) -> Vec<Word<'_>> {
        v.iter()
            .map(|(t, w)| Word {
                text: t,
                weight: *w,
                flagged: false,
                href: None,
            })
            .collect()
    }

    #[test]
    fn the_heaviest_word_is_placed_and_flagged_words_are_red() {
        let v = vec![
            ("价格异议".to_string(), 30.0),
            ("交付周期".to_string(), 10.0),
        ];
        let mut words = words_from(&v);
        words[0].flagged = true;
        words[0].href = Some("/digests/1/cards?term=价格异议".into());
        let svg = word_cloud("w", "高频词", &words);
        assert!(svg.contains("fill=\"#cf222e\" font-weight=\"bold\">价格异议"));
        assert!(svg.contains("<a href=\"/digests/1/cards?term=价格异议\">"));
        assert!(place_words(&words).iter().all(Option::is_some));
    }

    proptest! {
        /// Words never overlap and never leave the canvas, whatever the
        /// words and weights.
        #[test]
        fn words_never_overlap(v in proptest::collection::vec(("[价格异议交付周期备件样机客户科室GMPab]{1,6}", 1.0f64..50.0), 1..60)) {
            let words = words_from(&v);
            let placed: Vec<Placed> = place_words(&words).into_iter().flatten().collect();
            prop_assert!(!placed.is_empty());
            for (i, a) in placed.iter().enumerate() {
                prop_assert!(a.x >= 0.0 && a.y >= 0.0 && a.x + a.w <= CLOUD_W && a.y + a.h <= CLOUD_H);
                for b in &placed[i + 1..] {
                    prop_assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
                }
            }
        }
    }
}
