//! Typed cell values and the lenient readers HR files need (dates as Excel
//! serials or as any of the text forms Chinese offices write).

use chrono::{Duration, NaiveDate, NaiveDateTime};

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Empty,
    Text(String),
    Number(f64),
    Bool(bool),
    Date(NaiveDate),
    DateTime(NaiveDateTime),
}

impl Cell {
    pub fn is_empty(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(s) => s.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as text, the way a person reads it in Excel. Integral numbers
    /// lose their `.0` so that 工号 10023 read as a float stays "10023".
    pub fn as_text(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.trim().to_string(),
            Cell::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
            Cell::Number(n) => n.to_string(),
            Cell::Bool(b) => b.to_string(),
            Cell::Date(d) => d.format("%Y-%m-%d").to_string(),
            Cell::DateTime(dt) => dt.format("%Y-%m-%d %H:%M:%S").to_string(),
        }
    }

    /// A date from a date cell, an Excel serial number or text.
    pub fn as_date(&self) -> Result<Option<NaiveDate>, String> {
        match self {
            Cell::Empty => Ok(None),
            Cell::Date(d) => Ok(Some(*d)),
            Cell::DateTime(dt) => Ok(Some(dt.date())),
            Cell::Number(n) => excel_serial_to_date(*n).map(Some),
            Cell::Text(s) if s.trim().is_empty() => Ok(None),
            Cell::Text(s) => parse_date(s).map(Some),
            Cell::Bool(_) => Err("不是日期".into()),
        }
    }
}

/// Excel's 1900 date system (serial 1 = 1900-01-01, with the phantom 1900-02-29).
fn excel_serial_to_date(serial: f64) -> Result<NaiveDate, String> {
    if !(1.0..=2_958_465.0).contains(&serial) {
        return Err(format!("{serial} 不是有效的 Excel 日期序号"));
    }
    let days = serial.floor() as i64;
    let base = NaiveDate::from_ymd_opt(1899, 12, 30).expect("valid base date");
    // Serials before 1900-03-01 are off by one because of Excel's leap-year bug.
    let days = if days < 60 { days + 1 } else { days };
    Ok(base + Duration::days(days))
}

/// Parses the text date forms found in HR sheets: 2025-03-31, 2025/3/31,
/// 2025.3.31, 2025年3月31日, 20250331, and a serial number typed as text.
pub fn parse_date(raw: &str) -> Result<NaiveDate, String> {
    let s = raw.trim();
    let s = s.split([' ', 'T']).next().unwrap_or(s);
    if s.len() == 8
        && s.chars().all(|c| c.is_ascii_digit())
        && let Ok(d) = NaiveDate::parse_from_str(s, "%Y%m%d")
    {
        return Ok(d);
    }
    if !s.is_empty()
        && s.len() <= 7
        && s.chars().all(|c| c.is_ascii_digit() || c == '.')
        && let Ok(n) = s.parse::<f64>()
    {
        return excel_serial_to_date(n);
    }
    let normalised: String = s
        .replace(['年', '月'], "-")
        .replace('日', "")
        .replace(['/', '.'], "-");
    NaiveDate::parse_from_str(&normalised, "%Y-%m-%d")
        .map_err(|_| format!("“{raw}”不是可识别的日期（例：2025-03-31）"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn excel_serials() {
        assert_eq!(
            Cell::Number(45747.0).as_date().unwrap(),
            Some(d(2025, 3, 31))
        );
        assert_eq!(Cell::Number(1.0).as_date().unwrap(), Some(d(1900, 1, 1)));
        assert_eq!(Cell::Number(61.0).as_date().unwrap(), Some(d(1900, 3, 1)));
        assert!(Cell::Number(-3.0).as_date().is_err());
    }

    #[test]
    fn text_dates() {
        for s in [
            "2025-03-31",
            "2025/3/31",
            "2025.3.31",
            "2025年3月31日",
            "20250331",
            "45747",
            "2025-03-31 00:00:00",
        ] {
            assert_eq!(parse_date(s).unwrap(), d(2025, 3, 31), "{s}");
        }
        assert!(parse_date("2025-02-30").is_err());
        assert!(parse_date("明天").is_err());
    }

    #[test]
    fn numbers_as_text() {
        assert_eq!(Cell::Number(10023.0).as_text(), "10023");
        assert_eq!(Cell::Number(0.5).as_text(), "0.5");
        assert!(Cell::Text("  ".into()).is_empty());
    }
}
