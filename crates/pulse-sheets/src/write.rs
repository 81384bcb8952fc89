//! Writing workbooks: exports and the "original rows plus an error column"
//! report of a failed import.

use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, XlsxError};

use crate::{Cell, RowError, Table};

/// A sheet to write: headers and typed rows.
#[derive(Debug, Clone, Default)]
pub struct XlsxTable {
    pub sheet_name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
    /// Column widths in characters; missing ones default to 14.
    pub widths: Vec<f64>,
}

impl XlsxTable {
    pub fn to_bytes(&self) -> Result<Vec<u8>, XlsxError> {
        write_tables(std::slice::from_ref(self))
    }
}

/// Writes several sheets into one workbook (the consolidated team workbook of
/// X2 will be several tables).
pub fn write_tables(tables: &[XlsxTable]) -> Result<Vec<u8>, XlsxError> {
    let mut wb = Workbook::new();
    let header = Format::new()
        .set_bold()
        .set_background_color(Color::RGB(0xE8EEF7))
        .set_border_bottom(FormatBorder::Thin);
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let datetime = Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    let error = Format::new().set_font_color(Color::RGB(0xC0392B));
    for t in tables {
        let ws = wb.add_worksheet();
        ws.set_name(&t.sheet_name)?;
        for (c, h) in t.headers.iter().enumerate() {
            let col = c as u16;
            ws.write_string_with_format(0, col, h, &header)?;
            ws.set_column_width(col, t.widths.get(c).copied().unwrap_or(14.0))?;
        }
        ws.set_freeze_panes(1, 0)?;
        let error_col = t.headers.iter().position(|h| h == ERROR_HEADER);
        for (r, row) in t.rows.iter().enumerate() {
            let r = (r + 1) as u32;
            for (c, cell) in row.iter().enumerate() {
                let col = c as u16;
                match cell {
                    Cell::Empty => {}
                    Cell::Text(s) if Some(c) == error_col => {
                        ws.write_string_with_format(r, col, s, &error)?;
                    }
                    Cell::Text(s) => {
                        ws.write_string(r, col, s)?;
                    }
                    Cell::Number(n) => {
                        ws.write_number(r, col, *n)?;
                    }
                    Cell::Bool(b) => {
                        ws.write_boolean(r, col, *b)?;
                    }
                    Cell::Date(d) => {
                        ws.write_datetime_with_format(r, col, d, &date)?;
                    }
                    Cell::DateTime(d) => {
                        ws.write_datetime_with_format(r, col, d, &datetime)?;
                    }
                }
            }
        }
    }
    wb.save_to_buffer()
}

pub const ERROR_HEADER: &str = "错误信息";

/// The uploaded rows as they were, with an added `错误信息` column listing every
/// problem of each row, so HR can fix the file in place and upload it again.
pub fn error_workbook(table: &Table, errors: &[RowError]) -> Result<Vec<u8>, XlsxError> {
    let mut headers = table.headers.clone();
    headers.push(ERROR_HEADER.to_string());
    let width = table.headers.len();
    let rows = table
        .rows
        .iter()
        .map(|row| {
            let mut cells = row.cells.clone();
            cells.resize(width, Cell::Empty);
            let msgs: Vec<String> = errors
                .iter()
                .filter(|e| e.row == row.number)
                .map(|e| {
                    if e.column.is_empty() {
                        e.message.clone()
                    } else {
                        format!("{}：{}", e.column, e.message)
                    }
                })
                .collect();
            cells.push(if msgs.is_empty() {
                Cell::Empty
            } else {
                Cell::Text(msgs.join("；"))
            });
            cells
        })
        .collect();
    let mut widths = vec![14.0; width];
    widths.push(48.0);
    XlsxTable {
        sheet_name: if table.sheet_name.is_empty() {
            "导入错误".into()
        } else {
            table.sheet_name.clone()
        },
        headers,
        rows,
        widths,
    }
    .to_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ColumnSpec, Columns, Row, read};

    #[test]
    fn written_workbook_reads_back_with_dates() {
        let t = XlsxTable {
            sheet_name: "人员".into(),
            headers: vec!["工号".into(), "姓名".into(), "入职日期".into()],
            rows: vec![vec![
                Cell::Text("1001".into()),
                Cell::Text("张三".into()),
                Cell::Date(chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()),
            ]],
            widths: vec![],
        };
        let bytes = t.to_bytes().unwrap();
        let grid = read(&bytes).unwrap();
        assert_eq!(grid.sheet_name, "人员");
        assert_eq!(
            grid.rows[1][2].as_date().unwrap(),
            chrono::NaiveDate::from_ymd_opt(2025, 3, 31)
        );
        assert_eq!(grid.rows[1][1].as_text(), "张三");
    }

    #[test]
    fn error_workbook_adds_error_column() {
        let table = Table {
            sheet_name: "CSV".into(),
            header_row: 1,
            headers: vec!["工号".into(), "姓名".into()],
            rows: vec![
                Row {
                    number: 2,
                    cells: vec![Cell::Text("1001".into())],
                },
                Row {
                    number: 3,
                    cells: vec![Cell::Text("1002".into()), Cell::Text("李四".into())],
                },
            ],
        };
        let errors = vec![RowError {
            row: 2,
            column: "姓名".into(),
            message: "姓名不能为空".into(),
            message_en: String::new(),
        }];
        let bytes = error_workbook(&table, &errors).unwrap();
        let spec = Columns(&[ColumnSpec {
            key: "no",
            names: &["工号"],
            required: true,
        }]);
        let (back, _) = spec.locate(read(&bytes).unwrap()).unwrap();
        assert_eq!(back.headers.last().unwrap(), ERROR_HEADER);
        assert_eq!(back.rows[0].cells[2].as_text(), "姓名：姓名不能为空");
        assert!(back.rows[1].cells.get(2).is_none_or(Cell::is_empty));
    }
}
