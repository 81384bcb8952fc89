//! Reading uploaded bytes into a grid. The format is decided by content, never
//! by the file name: a renamed .xls is read as .xls, a zip bomb is refused
//! before it is inflated, and CSV text is decoded from UTF-8 (with or without
//! BOM), UTF-16 or GBK/GB18030 — whatever Excel on a Chinese Windows wrote.

use std::io::Cursor;

use calamine::{Data, Ods, Reader, Xls, Xlsx};

use crate::{Cell, Grid};

/// Largest upload accepted (bytes on the wire).
pub const MAX_FILE_BYTES: usize = 32 * 1024 * 1024;
/// Largest total uncompressed size of an xlsx/ods package.
const MAX_UNZIPPED_BYTES: u64 = 512 * 1024 * 1024;
/// Highest believable compression ratio of one part of a package.
const MAX_RATIO: u64 = 200;
/// Most data rows one import takes.
pub const MAX_ROWS: usize = 200_000;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SheetError {
    #[error("文件为空")]
    EmptyFile,
    #[error("文件过大（上限 {} MB）", MAX_FILE_BYTES / 1024 / 1024)]
    TooLarge,
    #[error("工作表为空，没有任何数据")]
    Empty,
    #[error("表头下面没有数据行")]
    NoRows,
    #[error("未找到表头：前 20 行中没有同时包含 {0} 的行")]
    NoHeader(String),
    #[error("表头“{0}”出现了两次")]
    DuplicateHeader(String),
    #[error("行数过多（上限 {MAX_ROWS} 行），请拆分文件")]
    TooManyRows,
    #[error("文件解压后异常巨大，疑似压缩炸弹，已拒绝")]
    ZipBomb,
    #[error("无法识别文件格式：请上传 .xlsx、.xls、.ods 或 .csv 文件")]
    UnknownFormat,
    #[error("无法识别 CSV 文件的编码：请另存为 UTF-8 或 GBK 编码")]
    Encoding,
    #[error("无法读取文件：{0}")]
    Corrupt(String),
}

impl SheetError {
    /// English text for API clients that asked for it.
    pub fn message_en(&self) -> String {
        match self {
            SheetError::EmptyFile => "the file is empty".into(),
            SheetError::TooLarge => {
                format!("file too large (limit {} MB)", MAX_FILE_BYTES / 1024 / 1024)
            }
            SheetError::Empty => "the sheet has no data".into(),
            SheetError::NoRows => "no data rows below the header".into(),
            SheetError::NoHeader(cols) => {
                format!("no header row naming {cols} in the first 20 rows")
            }
            SheetError::DuplicateHeader(h) => format!("header '{h}' appears twice"),
            SheetError::TooManyRows => format!("too many rows (limit {MAX_ROWS}); split the file"),
            SheetError::ZipBomb => "the file inflates to an implausible size (zip bomb?)".into(),
            SheetError::UnknownFormat => {
                "unknown file format: upload .xlsx, .xls, .ods or .csv".into()
            }
            SheetError::Encoding => "cannot detect the CSV encoding: save as UTF-8 or GBK".into(),
            SheetError::Corrupt(e) => format!("cannot read the file: {e}"),
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            SheetError::EmptyFile | SheetError::Empty | SheetError::NoRows => "empty_sheet",
            SheetError::TooLarge | SheetError::TooManyRows => "too_large",
            SheetError::NoHeader(_) | SheetError::DuplicateHeader(_) => "bad_header",
            SheetError::ZipBomb => "zip_bomb",
            SheetError::UnknownFormat | SheetError::Corrupt(_) => "unreadable_file",
            SheetError::Encoding => "bad_encoding",
        }
    }
}

enum Format {
    Zip,
    Ole,
    Text,
}

fn sniff(bytes: &[u8]) -> Format {
    if bytes.starts_with(b"PK\x03\x04") {
        Format::Zip
    } else if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
        Format::Ole
    } else {
        Format::Text
    }
}

/// Reads the first non-empty sheet of a workbook, or a CSV file.
pub fn read(bytes: &[u8]) -> Result<Grid, SheetError> {
    if bytes.is_empty() {
        return Err(SheetError::EmptyFile);
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SheetError::TooLarge);
    }
    let grid = match sniff(bytes) {
        Format::Zip => read_package(bytes)?,
        Format::Ole => {
            let wb: Xls<_> =
                Xls::new(Cursor::new(bytes)).map_err(|e| SheetError::Corrupt(e.to_string()))?;
            first_sheet(wb)?
        }
        Format::Text => read_csv(bytes)?,
    };
    if grid.rows.len() > MAX_ROWS + 20 {
        return Err(SheetError::TooManyRows);
    }
    Ok(grid)
}

fn read_package(bytes: &[u8]) -> Result<Grid, SheetError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| SheetError::Corrupt(e.to_string()))?;
    let mut total: u64 = 0;
    let mut is_ods = false;
    let mut is_xlsx = false;
    for i in 0..archive.len() {
        let f = archive
            .by_index_raw(i)
            .map_err(|e| SheetError::Corrupt(e.to_string()))?;
        total = total.saturating_add(f.size());
        if f.size() > 1024 * 1024 && f.size() / f.compressed_size().max(1) > MAX_RATIO {
            return Err(SheetError::ZipBomb);
        }
        match f.name().as_deref() {
            Ok("[Content_Types].xml") => is_xlsx = true,
            Ok("mimetype") => is_ods = true,
            _ => {}
        }
    }
    if total > MAX_UNZIPPED_BYTES {
        return Err(SheetError::ZipBomb);
    }
    if is_xlsx {
        let wb: Xlsx<_> =
            Xlsx::new(Cursor::new(bytes)).map_err(|e| SheetError::Corrupt(e.to_string()))?;
        first_sheet(wb)
    } else if is_ods {
        let wb: Ods<_> =
            Ods::new(Cursor::new(bytes)).map_err(|e| SheetError::Corrupt(e.to_string()))?;
        first_sheet(wb)
    } else {
        Err(SheetError::UnknownFormat)
    }
}

fn first_sheet<R, W>(mut wb: W) -> Result<Grid, SheetError>
where
    R: std::io::Read + std::io::Seek,
    W: Reader<R>,
    W::Error: std::fmt::Display,
{
    let names = wb.sheet_names().to_vec();
    for name in names {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| SheetError::Corrupt(e.to_string()))?;
        if range.is_empty() {
            continue;
        }
        if range.height() > MAX_ROWS + 20 {
            return Err(SheetError::TooManyRows);
        }
        // Keep absolute row numbers: a range may start below row 1.
        let (start_row, start_col) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<Cell>> = vec![Vec::new(); start_row as usize];
        for r in range.rows() {
            let mut cells: Vec<Cell> = vec![Cell::Empty; start_col as usize];
            cells.extend(r.iter().map(to_cell));
            rows.push(cells);
        }
        return Ok(Grid {
            sheet_name: name,
            rows,
        });
    }
    Err(SheetError::Empty)
}

fn to_cell(d: &Data) -> Cell {
    match d {
        Data::Empty | Data::Error(_) => Cell::Empty,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(t) if t.time() == chrono::NaiveTime::MIN => Cell::Date(t.date()),
            Some(t) => Cell::DateTime(t),
            None => Cell::Number(dt.as_f64()),
        },
        Data::DateTimeIso(s) => match crate::parse_date(s) {
            Ok(d) => Cell::Date(d),
            Err(_) => Cell::Text(s.clone()),
        },
        Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

/// Decodes CSV bytes: BOMs first, then strict UTF-8, then GB18030 (a superset
/// of GBK) only if it decodes without a single replacement character.
fn decode_text(bytes: &[u8]) -> Result<String, SheetError> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(str::to_string)
            .map_err(|_| SheetError::Encoding);
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        let (enc, _) = encoding_rs::Encoding::for_bom(bytes).ok_or(SheetError::Encoding)?;
        let (text, _, had_errors) = enc.decode(bytes);
        return if had_errors {
            Err(SheetError::Encoding)
        } else {
            Ok(text.into_owned())
        };
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok(s.to_string());
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        Err(SheetError::Encoding)
    } else {
        Ok(text.into_owned())
    }
}

fn read_csv(bytes: &[u8]) -> Result<Grid, SheetError> {
    let text = decode_text(bytes)?;
    if text.contains('\0') {
        return Err(SheetError::UnknownFormat);
    }
    let first_line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| first_line.matches(*d as char).count())
        .unwrap_or(b',');
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| SheetError::Corrupt(e.to_string()))?;
        if rows.len() > MAX_ROWS + 20 {
            return Err(SheetError::TooManyRows);
        }
        rows.push(
            record
                .iter()
                .map(|s| {
                    if s.trim().is_empty() {
                        Cell::Empty
                    } else {
                        Cell::Text(s.to_string())
                    }
                })
                .collect(),
        );
    }
    Ok(Grid {
        sheet_name: "CSV".into(),
        rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(g: &Grid, row: usize) -> Vec<String> {
        g.rows[row].iter().map(Cell::as_text).collect()
    }

    #[test]
    fn csv_utf8_with_and_without_bom() {
        let plain = "工号,姓名\n1001,张三\n";
        let g = read(plain.as_bytes()).unwrap();
        assert_eq!(texts(&g, 1), vec!["1001", "张三"]);
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(plain.as_bytes());
        let g = read(&bom).unwrap();
        assert_eq!(texts(&g, 0), vec!["工号", "姓名"]);
    }

    #[test]
    fn csv_gbk_is_decoded_not_mojibake() {
        let (gbk, _, _) = encoding_rs::GBK.encode("工号,姓名,部门\n1001,张三,华东大区\n");
        assert!(std::str::from_utf8(&gbk).is_err());
        let g = read(&gbk).unwrap();
        assert_eq!(texts(&g, 1), vec!["1001", "张三", "华东大区"]);
    }

    #[test]
    fn csv_utf16_tab_separated() {
        let mut bytes = vec![0xFF, 0xFE];
        for u in "工号\t姓名\r\n1001\t李四\r\n".encode_utf16() {
            bytes.extend_from_slice(&u.to_le_bytes());
        }
        let g = read(&bytes).unwrap();
        assert_eq!(texts(&g, 1), vec!["1001", "李四"]);
    }

    /// A zip whose directory promises 2 GB from 16 bytes: refused before inflating.
    fn fake_bomb() -> Vec<u8> {
        let name = b"[Content_Types].xml";
        let (comp, uncomp) = (16u32, 0x7FFF_FFFFu32);
        let mut z = Vec::new();
        z.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        z.extend_from_slice(&[20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&comp.to_le_bytes());
        z.extend_from_slice(&uncomp.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name);
        z.extend_from_slice(&[0u8; 16]);
        let cd_offset = z.len() as u32;
        z.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        z.extend_from_slice(&[20, 0, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        z.extend_from_slice(&comp.to_le_bytes());
        z.extend_from_slice(&uncomp.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0u8; 12]);
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(name);
        let cd_size = z.len() as u32 - cd_offset;
        z.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        z.extend_from_slice(&[0, 0, 0, 0, 1, 0, 1, 0]);
        z.extend_from_slice(&cd_size.to_le_bytes());
        z.extend_from_slice(&cd_offset.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z
    }

    #[test]
    fn zip_bomb_is_refused_before_inflating() {
        assert!(matches!(read(&fake_bomb()), Err(SheetError::ZipBomb)));
    }

    #[test]
    fn binary_garbage_is_refused() {
        assert!(matches!(read(&[]), Err(SheetError::EmptyFile)));
        assert!(read(&[0x00, 0xFF, 0x81, 0x00, 0x9F]).is_err());
        assert!(matches!(
            read(b"PK\x03\x04garbage"),
            Err(SheetError::Corrupt(_))
        ));
    }
}
