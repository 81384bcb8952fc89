//! The archive a person downloads: `archive.json` (every section, machine
//! readable) and `archive.xlsx` (one sheet per section, headed in the
//! reader's language) in one zip.

use std::io::Write;

use pulse_domain::i18n::Lang;
use pulse_sheets::{Cell, XlsxTable};
use pulse_store::identity::privacy::Section;
use serde_json::Value;

use super::texts::column_label;

/// The zip's bytes. Pure, so it is tested without a server.
pub fn zip_archive(
    sections: &[Section],
    employee_no: &str,
    name: &str,
    generated_at: &str,
    lang: Lang,
) -> Result<Vec<u8>, String> {
    let json = serde_json::json!({
        "format": "pulse-personal-archive/1",
        "generated_at": generated_at,
        "person": {"employee_no": employee_no, "name": name},
        "sections": sections,
    });
    let json = serde_json::to_vec_pretty(&json).map_err(|e| e.to_string())?;
    let xlsx = pulse_sheets::write_tables(&tables(sections, lang)).map_err(|e| e.to_string())?;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (file, bytes) in [("archive.json", &json), ("archive.xlsx", &xlsx)] {
        zip.start_file(file, opts).map_err(|e| e.to_string())?;
        zip.write_all(bytes).map_err(|e| e.to_string())?;
    }
    Ok(zip.finish().map_err(|e| e.to_string())?.into_inner())
}

/// One sheet per section; the columns are the keys of its rows in the order
/// the first row has them, headed by their readable names.
pub fn tables(sections: &[Section], lang: Lang) -> Vec<XlsxTable> {
    sections
        .iter()
        .map(|s| {
            let mut keys: Vec<String> = Vec::new();
            for row in &s.rows {
                if let Value::Object(m) = row {
                    for k in m.keys() {
                        if !keys.contains(k) {
                            keys.push(k.clone());
                        }
                    }
                }
            }
            let rows = s
                .rows
                .iter()
                .map(|row| keys.iter().map(|k| cell(row.get(k))).collect())
                .collect();
            XlsxTable {
                sheet_name: sheet_name(lang.pick(s.title_zh, s.title_en)),
                headers: keys.iter().map(|k| column_label(k, lang)).collect(),
                widths: keys
                    .iter()
                    .map(|k| if is_long(k) { 48.0 } else { 16.0 })
                    .collect(),
                rows,
            }
        })
        .collect()
}

fn is_long(key: &str) -> bool {
    matches!(
        key,
        "observation" | "body" | "self_assessment" | "rationale" | "payload" | "before" | "after"
    )
}

fn cell(v: Option<&Value>) -> Cell {
    match v {
        None | Some(Value::Null) => Cell::Empty,
        Some(Value::String(s)) if s.is_empty() => Cell::Empty,
        Some(Value::String(s)) => Cell::Text(s.clone()),
        Some(Value::Number(n)) => n.as_f64().map_or(Cell::Empty, Cell::Number),
        Some(Value::Bool(b)) => Cell::Bool(*b),
        Some(other) => Cell::Text(other.to_string()),
    }
}

/// Excel allows 31 characters and none of `[]:*?/\` in a sheet's name.
fn sheet_name(title: &str) -> String {
    title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn sections() -> Vec<Section> {
        vec![
            Section {
                key: "profile",
                title_zh: "个人信息",
                title_en: "Profile",
                rows: vec![
                    serde_json::json!({"employee_no": "E1", "name": "王芳", "left_at": null}),
                ],
            },
            Section {
                key: "cards_received",
                title_zh: "收到的反馈卡片",
                title_en: "Feedback cards received",
                rows: vec![
                    serde_json::json!({"id": 7, "observation": "主动回访", "points": 5}),
                    serde_json::json!({"id": 8, "observation": "", "points": 0, "ack": true}),
                ],
            },
            Section {
                key: "views",
                title_zh: "谁查看了本人的评估数据",
                title_en: "Who viewed your review data",
                rows: vec![],
            },
        ]
    }

    #[test]
    fn the_zip_holds_the_json_and_a_workbook_with_a_sheet_per_section() {
        let bytes =
            zip_archive(&sections(), "E1", "王芳", "2026-12-04 10:00:00", Lang::Zh).unwrap();
        let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut json = String::new();
        z.by_name("archive.json")
            .unwrap()
            .read_to_string(&mut json)
            .unwrap();
        let v: Value = serde_json::from_str(&json).unwrap();
        assert_eq!(v["person"]["employee_no"], "E1");
        assert_eq!(v["sections"][1]["rows"][0]["observation"], "主动回访");
        let mut xlsx = Vec::new();
        z.by_name("archive.xlsx")
            .unwrap()
            .read_to_end(&mut xlsx)
            .unwrap();
        let grid = pulse_sheets::read(&xlsx).unwrap();
        // The reader gives the first sheet: the profile, headed in Chinese.
        let header: Vec<String> = grid.rows[0].iter().map(|c| c.as_text()).collect();
        assert_eq!(header, ["工号", "姓名", "离职时间"]);
        assert_eq!(grid.rows[1][1].as_text(), "王芳");
    }

    #[test]
    fn columns_are_the_union_of_row_keys_and_headers_follow_the_language() {
        let t = tables(&sections(), Lang::En);
        assert_eq!(t[1].sheet_name, "Feedback cards received");
        assert_eq!(
            t[1].headers,
            ["No.", "Observation", "Points", "Acknowledged"]
        );
        assert!(matches!(t[1].rows[1][1], Cell::Empty));
        assert!(matches!(t[1].rows[0][3], Cell::Empty));
        assert!(t[2].rows.is_empty());
    }

    #[test]
    fn sheet_names_fit_excel() {
        assert_eq!(sheet_name("a/b:c[d]"), "abcd");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }
}
