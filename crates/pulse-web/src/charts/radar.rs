//! The capability radar (R2): rings, axes, two-line labels that fit a
//! 360 px phone, the person's polygon over the peer median's.

use std::fmt::Write as _;

use super::{Axis, esc, fmt1, open};

/// A label in at most two lines of about `max` characters (a CJK character
/// counts two), split at a space when there is one: a radar's side labels
/// must fit beside the rings on a 360 px phone.
pub fn wrap_label(label: &str, max: usize) -> Vec<String> {
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.is_ascii() { 1 } else { 2 })
            .sum::<usize>()
    };
    if width(label) <= max {
        return vec![label.to_string()];
    }
    let chars: Vec<char> = label.chars().collect();
    let half = width(label) / 2;
    let mut acc = 0;
    let mut cut = chars.len();
    for (i, c) in chars.iter().enumerate() {
        acc += if c.is_ascii() { 1 } else { 2 };
        if acc >= half {
            cut = i + 1;
            break;
        }
    }
    // Prefer the space nearest the middle for words.
    if let Some(space) = (0..chars.len())
        .filter(|i| chars[*i] == ' ')
        .min_by_key(|i| i.abs_diff(cut))
    {
        cut = space;
    }
    let first: String = chars[..cut].iter().collect();
    let second: String = chars[cut..].iter().collect();
    vec![first.trim().to_string(), second.trim().to_string()]
}

pub fn radar(id: &str, title: &str, axes: &[Axis<'_>], legend: (&str, &str)) -> String {
    // Wide enough that two-line labels fit on either side of the rings.
    let (w, h) = (420.0, 360.0);
    let (cx, cy, r) = (210.0, 175.0, 92.0);
    let n = axes.len().max(3) as f64;
    let at = |i: usize, v: f64| {
        let a = -std::f64::consts::FRAC_PI_2 + i as f64 * 2.0 * std::f64::consts::PI / n;
        (cx + r * v / 100.0 * a.cos(), cy + r * v / 100.0 * a.sin())
    };
    let mut s = open(w, h, title, id);
    for ring in [25.0, 50.0, 75.0, 100.0] {
        let pts: Vec<String> = (0..axes.len().max(3))
            .map(|i| {
                let (x, y) = at(i, ring);
                format!("{},{}", fmt1(x), fmt1(y))
            })
            .collect();
        let _ = write!(
            s,
            "<polygon points=\"{}\" fill=\"none\" stroke=\"#d0d7de\" stroke-width=\"1\"/>",
            pts.join(" ")
        );
    }
    for (i, a) in axes.iter().enumerate() {
        let (x, y) = at(i, 100.0);
        let _ = write!(
            s,
            "<line x1=\"{cx}\" y1=\"{cy}\" x2=\"{}\" y2=\"{}\" stroke=\"#d0d7de\"/>",
            fmt1(x),
            fmt1(y)
        );
        let (lx, ly) = at(i, 116.0);
        let anchor = if (lx - cx).abs() < 8.0 {
            "middle"
        } else if lx > cx {
            "start"
        } else {
            "end"
        };
        let lines = wrap_label(a.label, 14);
        // Two lines sit around the point; a top label grows upwards.
        let first_dy = match (lines.len(), ly < cy - r) {
            (1, _) => 0.0,
            (_, true) => -16.0,
            _ => -8.0,
        };
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" font-size=\"14\" text-anchor=\"{anchor}\" dominant-baseline=\"middle\" fill=\"#24292f\">",
            fmt1(lx),
            fmt1(ly + first_dy),
        );
        for (k, line) in lines.iter().enumerate() {
            let _ = write!(
                s,
                "<tspan x=\"{}\" dy=\"{}\">{}</tspan>",
                fmt1(lx),
                if k == 0 { 0 } else { 16 },
                esc(line)
            );
        }
        s.push_str("</text>");
    }
    let poly = |vals: Vec<f64>| -> String {
        vals.iter()
            .enumerate()
            .map(|(i, v)| {
                let (x, y) = at(i, *v);
                format!("{},{}", fmt1(x), fmt1(y))
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let peer: Vec<f64> = axes.iter().map(|a| a.peer.unwrap_or(0.0)).collect();
    let mine: Vec<f64> = axes.iter().map(|a| a.value.unwrap_or(0.0)).collect();
    let _ = write!(
        s,
        "<polygon class=\"peer\" points=\"{}\" fill=\"none\" stroke=\"#8c959f\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>",
        poly(peer)
    );
    let _ = write!(
        s,
        "<polygon class=\"mine\" points=\"{}\" fill=\"#0969da\" fill-opacity=\"0.25\" stroke=\"#0969da\" stroke-width=\"2\"/>",
        poly(mine)
    );
    let _ = write!(
        s,
        "<rect x=\"20\" y=\"333\" width=\"14\" height=\"10\" fill=\"#0969da\" fill-opacity=\"0.4\"/>\
         <text x=\"40\" y=\"342\" font-size=\"13\">{}</text>\
         <line x1=\"210\" y1=\"338\" x2=\"226\" y2=\"338\" stroke=\"#8c959f\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>\
         <text x=\"232\" y=\"342\" font-size=\"13\">{}</text></svg>",
        esc(legend.0),
        esc(legend.1)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_labels_wrap_into_two_lines() {
        assert_eq!(wrap_label("沟通质量", 14), vec!["沟通质量"]);
        assert_eq!(
            wrap_label("客户关系韧性与长期信任", 14),
            vec!["客户关系韧性", "与长期信任"]
        );
        assert_eq!(
            wrap_label("Customer relationship resilience", 14),
            vec!["Customer relationship", "resilience"]
        );
    }

    /// Every label line of a five-axis radar stays inside the drawing, so a
    /// phone shows it whole (a CJK character is as wide as the font size).
    #[test]
    fn labels_stay_inside_the_drawing() {
        let names = [
            "沟通质量",
            "需求洞察深度",
            "重点客户渗透",
            "医疗政策解读",
            "客户关系韧性",
        ];
        let axes: Vec<Axis> = names
            .iter()
            .map(|n| Axis {
                label: n,
                value: Some(50.0),
                peer: Some(40.0),
            })
            .collect();
        let svg = radar("r", "t", &axes, ("me", "peers"));
        for text in svg.split("<text ").skip(1) {
            let attr = |k: &str| -> f64 {
                let from = text.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
                text[from..from + text[from..].find('"').unwrap()]
                    .parse()
                    .unwrap()
            };
            let (x, size) = (attr("x"), attr("font-size"));
            let anchor = if text.contains("text-anchor=\"end\"") {
                -1.0
            } else if text.contains("text-anchor=\"middle\"") {
                -0.5
            } else {
                0.0
            };
            for line in text.split("<tspan").skip(1) {
                let body = &line[line.find('>').unwrap() + 1..line.find("</tspan>").unwrap()];
                let w = body
                    .chars()
                    .map(|c| if c.is_ascii() { size * 0.6 } else { size })
                    .sum::<f64>();
                let left = x + anchor * w;
                assert!(
                    left >= 0.0 && left + w <= 420.0,
                    "{body}: {left}..{}",
                    left + w
                );
            }
        }
    }
}
