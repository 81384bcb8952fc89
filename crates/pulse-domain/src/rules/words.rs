//! Rules said in words: the values that fired a rule, what a preview would
//! change, in the reader's language.

use super::{Inputs, variable};

/// What a previewed rule would do in one region, as a sentence: "华东大区：
/// 已生效，无变化" rather than "触发，0 人 — → —".
pub struct PreviewFacts<'a> {
    pub region: &'a str,
    pub metric: &'a str,
    pub fires: bool,
    pub error: Option<&'a str>,
    pub people: i64,
    pub before_bp: Option<i64>,
    pub after_bp: Option<i64>,
}

pub fn preview_sentence(f: &PreviewFacts, lang: crate::Lang) -> String {
    let pct = |bp: Option<i64>| bp.map(crate::weights::percent).unwrap_or_default();
    let (region, metric) = (f.region, f.metric);
    match (lang, f.error, f.fires, f.people) {
        (crate::Lang::Zh, Some(e), _, _) => format!("{region}：条件无法计算（{e}）"),
        (crate::Lang::En, Some(e), _, _) => {
            format!("{region}: the condition cannot be computed ({e})")
        }
        (crate::Lang::Zh, None, false, _) => format!("{region}：条件不满足，权重不变"),
        (crate::Lang::En, None, false, _) => {
            format!("{region}: condition not met, weights unchanged")
        }
        (crate::Lang::Zh, None, true, 0) => format!("{region}：已生效，无变化"),
        (crate::Lang::En, None, true, 0) => format!("{region}: already in force, nothing changes"),
        (crate::Lang::Zh, None, true, n) => format!(
            "{region}：将生效，{n} 人的“{metric}”权重 {} → {}，其余指标按比例调整",
            pct(f.before_bp),
            pct(f.after_bp)
        ),
        (crate::Lang::En, None, true, n) => format!(
            "{region}: takes effect, \"{metric}\" weighs {} → {} for {n} {}, the other KPIs rescale",
            pct(f.before_bp),
            pct(f.after_bp),
            if n == 1 { "person" } else { "people" }
        ),
    }
}

/// The values a condition read, as a reader says them: "A类客户新增签约率
/// 18%" (rates are fractions, shown as percentages), in the reader's language.
pub fn fired_values(condition: &str, inputs: &Inputs, lang: crate::Lang) -> Vec<String> {
    inputs
        .numbers
        .iter()
        .filter(|(k, _)| mentions(condition, k))
        .map(|(k, v)| {
            let (label, rate) = match variable(k) {
                Some(var) => (short_label(lang.pick(var.zh, var.en)), is_rate(k)),
                None => (k.clone(), false),
            };
            let value = if rate {
                format!("{}%", trim_number(v * 100.0))
            } else {
                trim_number(*v)
            };
            format!("{label} {value}")
        })
        .collect()
}

/// A variable named as a whole word: `a_class_new_sign_rate` does not
/// mention `a_class_new_signings`.
fn mentions(condition: &str, name: &str) -> bool {
    condition.match_indices(name).any(|(i, _)| {
        let ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let before = condition[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = condition[i + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident(c));
        before && after
    })
}

fn is_rate(name: &str) -> bool {
    ["_rate", "penetration", "conversion", "attainment"]
        .iter()
        .any(|s| name.ends_with(s))
}

/// The label up to its explanation ("A类客户新增签约率 = …" → "A类客户新增签约率").
fn short_label(label: &str) -> String {
    let cut = [" = ", "（", " (", "，", ", e.g."]
        .iter()
        .filter_map(|sep| label.find(sep))
        .min()
        .unwrap_or(label.len());
    label[..cut].trim().to_string()
}

fn trim_number(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_read_as_sentences() {
        use crate::Lang;
        let f = |fires, people, error| PreviewFacts {
            region: "华东大区",
            metric: "新客户首单转化率",
            fires,
            error,
            people,
            before_bp: Some(2500),
            after_bp: Some(3500),
        };
        assert_eq!(
            preview_sentence(&f(true, 0, None), Lang::Zh),
            "华东大区：已生效，无变化"
        );
        assert_eq!(
            preview_sentence(&f(true, 12, None), Lang::Zh),
            "华东大区：将生效，12 人的“新客户首单转化率”权重 25% → 35%，其余指标按比例调整"
        );
        assert_eq!(
            preview_sentence(&f(false, 0, None), Lang::En),
            "华东大区: condition not met, weights unchanged"
        );
        assert!(preview_sentence(&f(false, 0, Some("除数为 0")), Lang::Zh).contains("无法计算"));
    }

    #[test]
    fn fired_values_read_as_words() {
        let mut i = Inputs::default();
        i.numbers.insert("a_class_new_sign_rate".into(), 0.182);
        i.numbers.insert("a_class_new_signings".into(), 9.0);
        i.numbers.insert("headcount".into(), 120.0);
        let c = "a_class_new_sign_rate > 0.15";
        assert_eq!(
            fired_values(c, &i, crate::Lang::Zh),
            vec!["A类客户新增签约率 18.2%"]
        );
        assert_eq!(
            fired_values(
                "headcount >= 100.0 && a_class_new_signings > 5.0",
                &i,
                crate::Lang::En
            ),
            vec![
                "new A-class signings this period 9",
                "active people in the region 120"
            ]
        );
    }
}
