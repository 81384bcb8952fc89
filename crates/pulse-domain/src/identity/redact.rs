//! PIPL anonymisation of a departed person: their name, 工号 and contacts
//! taken out of free texts others wrote (cards, reviews, notes), so the
//! counts and scores those texts sit beside stay while nobody can be named.

/// What identifies the person in a text.
#[derive(Debug, Clone, Default)]
pub struct Identifiers {
    pub name: String,
    pub employee_no: String,
    pub email: Option<String>,
    pub wecom_userid: Option<String>,
}

/// The stand-in name a departed person gets: "已离职员工 #<id>".
pub fn placeholder(person_id: i64) -> String {
    format!("已离职员工 #{person_id}")
}

impl Identifiers {
    /// The strings to replace, longest first so "李晓明" goes before "晓明".
    fn needles(&self) -> Vec<String> {
        let mut n = vec![
            self.name.trim().to_string(),
            self.employee_no.trim().to_string(),
        ];
        let chars: Vec<char> = self.name.trim().chars().collect();
        // Colleagues call 李晓明 "晓明": a 3- or 4-character Chinese name's given
        // part is as identifying as the whole.
        if (3..=4).contains(&chars.len())
            && chars.iter().all(|c| ('\u{4e00}'..='\u{9fff}').contains(c))
        {
            n.push(chars[chars.len() - 2..].iter().collect());
        }
        n.extend(self.email.iter().map(|s| s.trim().to_string()));
        n.extend(self.wecom_userid.iter().map(|s| s.trim().to_string()));
        n.retain(|s| s.chars().count() >= 2);
        n.sort_by_key(|s| std::cmp::Reverse(s.len()));
        n.dedup();
        n
    }

    /// `text` with every identifier replaced by `with`; `None` when nothing changed.
    pub fn redact(&self, text: &str, with: &str) -> Option<String> {
        let mut out = text.to_string();
        for needle in self.needles() {
            if out.contains(&needle) {
                out = out.replace(&needle, with);
            }
        }
        (out != text).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn li() -> Identifiers {
        Identifiers {
            name: "李晓明".into(),
            employee_no: "E10023".into(),
            email: Some("li.xm@corp.cn".into()),
            wecom_userid: Some("wxE10023".into()),
        }
    }

    #[test]
    fn names_and_contacts_go() {
        let p = placeholder(7);
        assert_eq!(
            li().redact(
                "李晓明的客户回访很及时，晓明还带了新人（li.xm@corp.cn）",
                &p
            )
            .unwrap(),
            "已离职员工 #7的客户回访很及时，已离职员工 #7还带了新人（已离职员工 #7）"
        );
        assert_eq!(li().redact("wxE10023 提交", "某人").unwrap(), "某人 提交");
        assert_eq!(li().redact("王芳表现稳定", &p), None);
    }

    proptest! {
        #[test]
        fn nothing_identifying_survives(prefix in "[a-z王芳 ]{0,12}", suffix in "[a-z王芳 ]{0,12}") {
            let text = format!("{prefix}李晓明{suffix}E10023");
            let out = li().redact(&text, "◯").unwrap();
            prop_assert!(!out.contains("晓明"));
            prop_assert!(!out.contains("E10023"));
        }
    }
}
