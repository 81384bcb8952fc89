//! Large workbooks written row by row (X2): each sheet goes to its own
//! temporary file as it is written (rust_xlsxwriter's constant-memory mode),
//! and the finished zip is written to any `Write`, so an HTTP response can
//! stream it. Memory stays flat however many rows a sheet has.

use std::io::Write;

use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet, XlsxError};

use crate::Cell;

/// How a column's values are shown in Excel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    /// Whole numbers (counts, points).
    Integer,
    /// Decimals shown with up to two places (targets, actuals).
    Decimal,
    /// A fraction shown as a percentage (0.25 → 25.0%).
    Percent,
    Date,
    DateTime,
}

/// One column of a streamed sheet.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub header: &'static str,
    pub kind: ColumnKind,
    /// Width in characters.
    pub width: f64,
}

pub const fn col(header: &'static str, kind: ColumnKind, width: f64) -> Column {
    Column {
        header,
        kind,
        width,
    }
}

struct Formats {
    header: Format,
    integer: Format,
    decimal: Format,
    percent: Format,
    date: Format,
    datetime: Format,
    wrap: Format,
}

/// A workbook being written sheet by sheet.
pub struct WorkbookStream {
    wb: Workbook,
    formats: Formats,
}

impl Default for WorkbookStream {
    fn default() -> Self {
        WorkbookStream::new()
    }
}

impl WorkbookStream {
    pub fn new() -> WorkbookStream {
        WorkbookStream {
            wb: Workbook::new(),
            formats: Formats {
                header: Format::new()
                    .set_bold()
                    .set_background_color(Color::RGB(0xE8EEF7))
                    .set_border_bottom(FormatBorder::Thin)
                    .set_align(FormatAlign::VerticalCenter),
                integer: Format::new().set_num_format("0"),
                decimal: Format::new().set_num_format("#,##0.##"),
                percent: Format::new().set_num_format("0.0%"),
                date: Format::new().set_num_format("yyyy-mm-dd"),
                datetime: Format::new().set_num_format("yyyy-mm-dd hh:mm"),
                wrap: Format::new().set_text_wrap(),
            },
        }
    }

    /// Starts a sheet: its header row (bold, frozen) and column widths. Rows
    /// are then written in order with [`SheetStream::row`]; call
    /// [`SheetStream::finish`] to add the header's filter buttons.
    pub fn sheet(&mut self, name: &str, columns: &[Column]) -> Result<SheetStream<'_>, XlsxError> {
        let ws = self.wb.add_worksheet_with_constant_memory()?;
        ws.set_name(name)?;
        for (c, column) in columns.iter().enumerate() {
            let c = c as u16;
            ws.set_column_width(c, column.width)?;
            ws.write_string_with_format(0, c, column.header, &self.formats.header)?;
        }
        ws.set_freeze_panes(1, 0)?;
        Ok(SheetStream {
            ws,
            formats: &self.formats,
            kinds: columns.iter().map(|c| c.kind).collect(),
            next_row: 1,
        })
    }

    /// Writes the finished workbook (a zip) to `out`; no seeking needed.
    pub fn save_to<W: Write + Send>(mut self, out: W) -> Result<(), XlsxError> {
        self.wb.save_to_writer(out)
    }
}

/// A sheet being written, one row at a time.
pub struct SheetStream<'a> {
    ws: &'a mut Worksheet,
    formats: &'a Formats,
    kinds: Vec<ColumnKind>,
    next_row: u32,
}

/// Excel's last row (1,048,576 rows, the header included).
const MAX_ROW: u32 = 1_048_575;

impl SheetStream<'_> {
    /// Appends a row; cells line up with the sheet's columns. Rows past
    /// Excel's limit are refused rather than silently dropped.
    pub fn row(&mut self, cells: &[Cell]) -> Result<(), XlsxError> {
        let r = self.next_row;
        if r > MAX_ROW {
            return Err(XlsxError::RowColumnLimitError);
        }
        for (c, cell) in cells.iter().enumerate() {
            let kind = self.kinds.get(c).copied().unwrap_or(ColumnKind::Text);
            let c = c as u16;
            let f = self.formats;
            match (cell, kind) {
                (Cell::Empty, _) => {}
                (Cell::Text(s), _) if s.contains('\n') => {
                    self.ws.write_string_with_format(r, c, s, &f.wrap)?;
                }
                (Cell::Text(s), _) => {
                    self.ws.write_string(r, c, s)?;
                }
                (Cell::Number(n), ColumnKind::Integer) => {
                    self.ws.write_number_with_format(r, c, *n, &f.integer)?;
                }
                (Cell::Number(n), ColumnKind::Percent) => {
                    self.ws.write_number_with_format(r, c, *n, &f.percent)?;
                }
                (Cell::Number(n), _) => {
                    self.ws.write_number_with_format(r, c, *n, &f.decimal)?;
                }
                (Cell::Bool(b), _) => {
                    self.ws.write_boolean(r, c, *b)?;
                }
                (Cell::Date(d), _) => {
                    self.ws.write_datetime_with_format(r, c, d, &f.date)?;
                }
                (Cell::DateTime(d), _) => {
                    self.ws.write_datetime_with_format(r, c, d, &f.datetime)?;
                }
            }
        }
        self.next_row += 1;
        Ok(())
    }

    /// Rows written so far (the header not counted).
    pub fn rows(&self) -> u32 {
        self.next_row - 1
    }

    /// Puts filter buttons on the header over every written row.
    pub fn finish(self) -> Result<(), XlsxError> {
        let last_col = self.kinds.len().saturating_sub(1) as u16;
        self.ws.autofilter(0, 0, self.next_row - 1, last_col)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn a_streamed_workbook_reads_back_with_its_sheets_types_and_filters() {
        let mut wb = WorkbookStream::new();
        let cols = [
            col("工号", ColumnKind::Text, 10.0),
            col("进度", ColumnKind::Percent, 8.0),
            col("次数", ColumnKind::Integer, 8.0),
            col("日期", ColumnKind::Date, 12.0),
        ];
        let mut s = wb.sheet("人员", &cols).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        for i in 0..3000 {
            s.row(&[
                Cell::Text(format!("E{i}")),
                Cell::Number(0.25),
                Cell::Number(f64::from(i)),
                Cell::Date(day),
            ])
            .unwrap();
        }
        assert_eq!(s.rows(), 3000);
        s.finish().unwrap();
        let s = wb.sheet("空表", &cols).unwrap();
        s.finish().unwrap();
        let mut bytes = Vec::new();
        wb.save_to(&mut bytes).unwrap();

        use calamine::{Data, Reader, Xlsx};
        use std::io::{Cursor, Read};
        let mut book: Xlsx<_> =
            calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
        assert_eq!(book.sheet_names(), ["人员", "空表"]);
        let people = book.worksheet_range("人员").unwrap();
        assert_eq!(people.height(), 3001);
        assert_eq!(people.get((0, 1)), Some(&Data::String("进度".into())));
        assert_eq!(people.get((3000, 0)), Some(&Data::String("E2999".into())));
        assert_eq!(people.get((1, 1)), Some(&Data::Float(0.25)));
        assert_eq!(people.get((3000, 2)), Some(&Data::Float(2999.0)));
        assert!(matches!(people.get((1, 3)), Some(Data::DateTime(_))));
        let empty = book.worksheet_range("空表").unwrap();
        assert_eq!(empty.height(), 1, "a sheet with no rows keeps its header");

        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut xml = String::new();
        zip.by_name("xl/worksheets/sheet1.xml")
            .unwrap()
            .read_to_string(&mut xml)
            .unwrap();
        assert!(xml.contains(r#"<autoFilter ref="A1:D3001"/>"#));
        assert!(xml.contains(r#"state="frozen""#));
        let styles = {
            let mut s = String::new();
            zip.by_name("xl/styles.xml")
                .unwrap()
                .read_to_string(&mut s)
                .unwrap();
            s
        };
        assert!(styles.contains("0.0%") && styles.contains("yyyy-mm-dd"));
    }
}
