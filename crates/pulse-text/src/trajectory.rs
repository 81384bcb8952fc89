//! C2 middle screen: a capability growth trajectory from texts. Each text
//! (review prose, feedback observations) is cut into sentences; a sentence
//! counts for a competency when it contains one of the competency's
//! keywords (the HRBP's dictionary); its tone comes from the sentiment
//! lexicon with negation ([`crate::tone`]). A competency's score in a
//! quarter is 3 + 2 × the mean leaning of its sentences (1 … 5), so it is
//! explainable: every point lists the sentences it came from.

use std::collections::BTreeMap;

use crate::Analyzer;
use crate::tone::tone;

#[derive(Debug, Clone, PartialEq)]
pub struct Source<'a> {
    pub quarter: &'a str,
    /// Where the text came from, for the link back (e.g. `review:12`).
    pub reference: String,
    pub text: &'a str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sentence {
    pub reference: String,
    pub text: String,
    /// −1 … 1.
    pub leaning: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    pub quarter: String,
    /// 1 … 5; `None` when no sentence of the quarter speaks of it.
    pub score: Option<f64>,
    pub sentences: Vec<Sentence>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub competency: String,
    pub points: Vec<Point>,
}

const ENDS: &[char] = &['。', '！', '？', '；', '\n', '!', '?', ';'];

pub fn sentences(text: &str) -> Vec<&str> {
    text.split(ENDS)
        .map(str::trim)
        .filter(|s| s.chars().count() >= 2)
        .collect()
}

/// `dictionary`: (competency, keywords) in display order; `quarters` in
/// time order.
pub fn trajectory(
    analyzer: &Analyzer,
    dictionary: &[(String, Vec<String>)],
    quarters: &[String],
    sources: &[Source<'_>],
) -> Vec<Series> {
    let mut found: BTreeMap<(usize, usize), Vec<Sentence>> = BTreeMap::new();
    for src in sources {
        let Some(qi) = quarters.iter().position(|q| q == src.quarter) else {
            continue;
        };
        for s in sentences(src.text) {
            let lowered = s.to_lowercase();
            let mut leaning = None;
            for (ci, (_, words)) in dictionary.iter().enumerate() {
                if words
                    .iter()
                    .any(|w| !w.is_empty() && lowered.contains(&w.to_lowercase()))
                {
                    let l = *leaning.get_or_insert_with(|| tone(analyzer, s).leaning());
                    found.entry((ci, qi)).or_default().push(Sentence {
                        reference: src.reference.clone(),
                        text: s.to_string(),
                        leaning: l,
                    });
                }
            }
        }
    }
    dictionary
        .iter()
        .enumerate()
        .map(|(ci, (name, _))| Series {
            competency: name.clone(),
            points: quarters
                .iter()
                .enumerate()
                .map(|(qi, q)| {
                    let sentences = found.remove(&(ci, qi)).unwrap_or_default();
                    let score = (!sentences.is_empty()).then(|| {
                        let mean = sentences.iter().map(|s| s.leaning).sum::<f64>()
                            / sentences.len() as f64;
                        ((3.0 + 2.0 * mean) * 10.0).round() / 10.0
                    });
                    Point {
                        quarter: q.clone(),
                        score,
                        sentences,
                    }
                })
                .collect(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Segmenter;

    #[test]
    fn scores_follow_the_tone_of_the_sentences_that_name_the_competency() {
        let seg = Segmenter::default();
        let a = seg.default_analyzer();
        let dict = vec![
            (
                "复杂谈判策略".to_string(),
                vec!["谈判".to_string(), "价格异议".to_string()],
            ),
            ("客户洞察".to_string(), vec!["需求".to_string()]),
        ];
        let quarters = vec!["2026Q1".to_string(), "2026Q2".to_string()];
        let srcs = vec![
            Source {
                quarter: "2026Q1",
                reference: "card:1".into(),
                text: "谈判准备不足，价格异议处理滞后。",
            },
            Source {
                quarter: "2026Q2",
                reference: "review:2".into(),
                text: "谈判表现出色，成功化解价格异议。客户需求把握到位！",
            },
            Source {
                quarter: "2025Q4",
                reference: "card:3".into(),
                text: "谈判很好",
            },
        ];
        let t = trajectory(&a, &dict, &quarters, &srcs);
        assert_eq!(t.len(), 2);
        let neg = &t[0].points[0];
        let pos = &t[0].points[1];
        assert!(neg.score.unwrap() < 3.0, "{neg:?}");
        assert!(pos.score.unwrap() > 3.0, "{pos:?}");
        assert_eq!(pos.sentences[0].reference, "review:2");
        assert_eq!(t[1].points[0].score, None);
        assert_eq!(t[1].points[1].sentences.len(), 1);
        // Negation turns praise around.
        let n = trajectory(
            &a,
            &dict,
            &quarters,
            &[Source {
                quarter: "2026Q1",
                reference: "x".into(),
                text: "谈判不够出色",
            }],
        );
        assert!(n[0].points[0].score.unwrap() <= 3.0);
    }
}
