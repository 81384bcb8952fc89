//! W3: what leaves Pulse for an outside language model is pseudonymised.
//! Names of people and customers and employee numbers become placeholders
//! such as `[P1]`, and come back only if the reply kept every placeholder.

use crate::Problem;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Person,
    Customer,
    EmployeeNo,
}

impl Kind {
    fn letter(self) -> char {
        match self {
            Kind::Person => 'P',
            Kind::Customer => 'C',
            Kind::EmployeeNo => 'E',
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Pseudonyms {
    /// (real, placeholder), longest real text first so "华山医院东院" is
    /// replaced before "华山医院".
    pairs: Vec<(String, String)>,
}

impl Pseudonyms {
    pub fn new<'a>(terms: impl IntoIterator<Item = (&'a str, Kind)>) -> Pseudonyms {
        let mut pairs: Vec<(String, String)> = Vec::new();
        let mut counts = [0u32; 3];
        for (real, kind) in terms {
            let real = real.trim();
            if real.chars().count() < 2 || pairs.iter().any(|(r, _)| r == real) {
                continue;
            }
            let slot = kind as usize;
            counts[slot] += 1;
            pairs.push((
                real.to_string(),
                format!("[{}{}]", kind.letter(), counts[slot]),
            ));
        }
        pairs.sort_by_key(|(r, _)| std::cmp::Reverse(r.chars().count()));
        Pseudonyms { pairs }
    }

    pub fn mask(&self, text: &str) -> String {
        let mut out = text.to_string();
        for (real, ph) in &self.pairs {
            out = out.replace(real.as_str(), ph);
        }
        out
    }

    /// The placeholders a masked text carries.
    fn used<'a>(&'a self, masked: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.pairs
            .iter()
            .map(|(_, ph)| ph.as_str())
            .filter(move |ph| masked.contains(ph))
    }

    /// Puts the real names back. Refused when the reply dropped a
    /// placeholder the request carried (the model rewrote a name away) or
    /// still holds a real name (it should never have seen one).
    pub fn unmask(&self, masked: &str, reply: &str) -> Result<String, Problem> {
        if let Some(ph) = self.used(masked).find(|ph| !reply.contains(ph)) {
            return Err(Problem::new(
                "placeholder_dropped",
                format!("润色结果丢失了占位符 {ph}"),
                format!("the polished text dropped the placeholder {ph}"),
            ));
        }
        let mut out = reply.to_string();
        for (real, ph) in &self.pairs {
            out = out.replace(ph.as_str(), real);
        }
        Ok(out)
    }

    /// True when no real term appears in `text`: the check every outgoing
    /// request passes.
    pub fn is_clean(&self, text: &str) -> bool {
        self.pairs
            .iter()
            .all(|(real, _)| !text.contains(real.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_go_out_as_placeholders_and_come_back() {
        let p = Pseudonyms::new([
            ("李娜", Kind::Person),
            ("SH0123", Kind::EmployeeNo),
            ("华山医院", Kind::Customer),
            ("华山医院东院", Kind::Customer),
            ("王", Kind::Person),
        ]);
        let text = "李娜（SH0123）在华山医院东院和华山医院的服务获得好评。";
        let masked = p.mask(text);
        assert_eq!(masked, "[P1]（[E1]）在[C2]和[C1]的服务获得好评。");
        assert!(p.is_clean(&masked));
        let reply = "[P1]（[E1]）在[C2]与[C1]的服务赢得客户好评。";
        assert_eq!(
            p.unmask(&masked, reply).unwrap(),
            "李娜（SH0123）在华山医院东院与华山医院的服务赢得客户好评。"
        );
        let dropped = p
            .unmask(&masked, "她在两家医院的服务赢得好评。")
            .unwrap_err();
        assert_eq!(dropped.code, "placeholder_dropped");
    }
}
