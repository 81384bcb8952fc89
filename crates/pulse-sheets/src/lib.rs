//! The import/export framework (X1, X2).
//!
//! Every import in Pulse (people, org units, later goals, customers, scores)
//! goes through the same steps: [`read`] turns uploaded bytes (xlsx, xls, ods
//! or CSV in any encoding Excel writes) into a [`Table`]; a [`Columns`] spec
//! finds the header row by its Chinese or English names; per-row parsing
//! collects [`RowError`]s; [`error_workbook`] hands the original rows back with
//! an error column. Writing a feature's importer means writing its column spec
//! and its row parser, nothing else.

mod cells;
mod columns;
mod read;
mod stream;
mod write;

pub use cells::{Cell, parse_date};
pub use columns::{ColumnSpec, Columns, HeaderMap};
pub use read::{MAX_FILE_BYTES, MAX_ROWS, SheetError, read};
pub use rust_xlsxwriter::XlsxError;
pub use stream::{Column, ColumnKind, SheetStream, WorkbookStream, col};
pub use write::{XlsxTable, error_workbook, write_tables};

/// One row-level problem, reported to the person who uploaded the file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// Row number as shown by Excel (1-based, counting the header and title rows).
    pub row: usize,
    /// Column header as written in the file, or empty for whole-row problems.
    pub column: String,
    pub message: String,
    pub message_en: String,
}

/// A table read from a file: the header row and every data row below it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub sheet_name: String,
    /// Row number (1-based) of the header row in the file.
    pub header_row: usize,
    pub headers: Vec<String>,
    pub rows: Vec<Row>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Row number (1-based) in the file.
    pub number: usize,
    pub cells: Vec<Cell>,
}

impl Row {
    pub fn is_blank(&self) -> bool {
        self.cells.iter().all(Cell::is_empty)
    }
}

/// Raw grid before the header row is known.
#[derive(Debug, Clone, Default)]
pub struct Grid {
    pub sheet_name: String,
    pub rows: Vec<Vec<Cell>>,
}
