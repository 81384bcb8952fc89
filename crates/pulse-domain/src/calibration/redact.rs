//! C3: what a committee client may read while scoring is blind. Texts
//! (review prose, feedback observations) are redacted on the server: the
//! person's name and given name, employee number, unit, manager and
//! customers become neutral words.

use crate::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mask {
    Person,
    Colleague,
    Unit,
    Customer,
    EmployeeNo,
}

impl Mask {
    fn word(self, lang: Lang) -> &'static str {
        match self {
            Mask::Person => lang.pick("该员工", "the employee"),
            Mask::Colleague => lang.pick("某同事", "a colleague"),
            Mask::Unit => lang.pick("某部门", "a unit"),
            Mask::Customer => lang.pick("某客户", "a customer"),
            Mask::EmployeeNo => lang.pick("某工号", "an employee number"),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Redactor {
    /// Longest first, so 华山医院东院 goes before 华山医院.
    terms: Vec<(String, Mask)>,
}

impl Redactor {
    pub fn new(terms: impl IntoIterator<Item = (String, Mask)>) -> Redactor {
        let mut out: Vec<(String, Mask)> = Vec::new();
        for (t, m) in terms {
            let t = t.trim().to_string();
            if t.chars().count() < 2 || out.iter().any(|(x, _)| *x == t) {
                continue;
            }
            // A Chinese name's given name (张伟华 → 伟华) is how colleagues write.
            if m == Mask::Person && t.chars().count() >= 3 && t.chars().all(|c| !c.is_ascii()) {
                let given: String = t.chars().skip(1).collect();
                out.push((given, m));
            }
            out.push((t, m));
        }
        out.sort_by_key(|(t, _)| std::cmp::Reverse(t.chars().count()));
        Redactor { terms: out }
    }

    pub fn apply(&self, text: &str, lang: Lang) -> String {
        let mut s = text.to_string();
        for (t, m) in &self.terms {
            if s.contains(t.as_str()) {
                s = s.replace(t.as_str(), m.word(lang));
            }
        }
        s
    }

    /// No protected term is left in `text`.
    pub fn is_clean(&self, text: &str) -> bool {
        self.terms.iter().all(|(t, _)| !text.contains(t.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_units_and_customers_become_neutral_words() {
        let r = Redactor::new([
            ("张伟华".to_string(), Mask::Person),
            ("E10023".to_string(), Mask::EmployeeNo),
            ("上海二组".to_string(), Mask::Unit),
            ("华山医院".to_string(), Mask::Customer),
            ("华山医院东院".to_string(), Mask::Customer),
            ("李强".to_string(), Mask::Colleague),
        ]);
        let out = r.apply(
            "张伟华（E10023，上海二组）在华山医院东院和华山医院推进顺利，伟华得到李强认可",
            Lang::Zh,
        );
        assert_eq!(
            out,
            "该员工（某工号，某部门）在某客户和某客户推进顺利，该员工得到某同事认可"
        );
        assert!(r.is_clean(&out));
        assert!(!r.is_clean("伟华"));
        assert_eq!(r.apply("张伟华 visited", Lang::En), "the employee visited");
    }
}
