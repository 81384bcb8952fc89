//! Search keys for Chinese names: people type pinyin on phones, often just
//! the initials ("zw" for 张伟), so names are also stored in that form.

use pinyin::ToPinyin;

/// `张伟` → `zhangwei zw`; letters and digits are kept, lower-cased; other
/// characters are dropped. Empty when the name has nothing searchable.
pub fn search_key(name: &str) -> String {
    let mut full = String::new();
    let mut initials = String::new();
    for (c, py) in name.chars().zip(name.to_pinyin()) {
        match py {
            Some(p) => {
                full.push_str(p.plain());
                initials.push_str(p.first_letter());
            }
            None if c.is_ascii_alphanumeric() => {
                let lower = c.to_ascii_lowercase();
                full.push(lower);
                initials.push(lower);
            }
            None => {}
        }
    }
    if full.is_empty() {
        String::new()
    } else {
        format!("{full} {initials}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_pinyin_and_initials() {
        assert_eq!(search_key("张伟"), "zhangwei zw");
        assert_eq!(search_key("欧阳娜娜"), "ouyangnana oynn");
        assert_eq!(search_key("Li 雷"), "lilei lil");
        assert_eq!(search_key("<b>"), "b b");
        assert_eq!(search_key("！？"), "");
    }
}
