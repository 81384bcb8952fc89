//! Column specs: which headers an importer knows, found wherever the header
//! row is (title rows above it are common in HR workbooks).

use crate::{Cell, Grid, Row, SheetError, Table};

#[derive(Debug, Clone, Copy)]
pub struct ColumnSpec {
    pub key: &'static str,
    /// Header names accepted for this column; the first is the canonical Chinese one.
    pub names: &'static [&'static str],
    pub required: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Columns(pub &'static [ColumnSpec]);

/// Where each known column sits in a table.
#[derive(Debug, Clone)]
pub struct HeaderMap {
    positions: Vec<(&'static str, usize, String)>,
}

impl HeaderMap {
    pub fn index(&self, key: &str) -> Option<usize> {
        self.positions
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, i, _)| *i)
    }

    /// The header text as the file wrote it, for error messages.
    pub fn header(&self, key: &str) -> String {
        self.positions
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, _, h)| h.clone())
            .unwrap_or_else(|| key.to_string())
    }

    pub fn cell<'a>(&self, row: &'a Row, key: &str) -> &'a Cell {
        static EMPTY: Cell = Cell::Empty;
        self.index(key)
            .and_then(|i| row.cells.get(i))
            .unwrap_or(&EMPTY)
    }

    pub fn text(&self, row: &Row, key: &str) -> String {
        self.cell(row, key).as_text()
    }
}

fn normalise(h: &str) -> String {
    h.trim()
        .trim_start_matches('\u{feff}')
        .trim_end_matches(['*', '＊'])
        .trim()
        .to_lowercase()
}

/// How many leading rows may be titles or notes before the header.
const HEADER_SEARCH_ROWS: usize = 20;

impl Columns {
    fn spec_for(&self, header: &str) -> Option<&'static ColumnSpec> {
        let h = normalise(header);
        self.0
            .iter()
            .find(|c| c.names.iter().any(|n| normalise(n) == h))
    }

    /// Finds the header row (the first of the top rows naming every required
    /// column) and returns the table below it with the column positions.
    pub fn locate(&self, grid: Grid) -> Result<(Table, HeaderMap), SheetError> {
        if grid.rows.iter().all(|r| r.iter().all(Cell::is_empty)) {
            return Err(SheetError::Empty);
        }
        let required: Vec<&ColumnSpec> = self.0.iter().filter(|c| c.required).collect();
        let header_idx = grid.rows.iter().take(HEADER_SEARCH_ROWS).position(|row| {
            required.iter().all(|spec| {
                row.iter().any(|c| {
                    self.spec_for(&c.as_text())
                        .is_some_and(|s| s.key == spec.key)
                })
            })
        });
        let Some(header_idx) = header_idx else {
            let names: Vec<&str> = required.iter().map(|c| c.names[0]).collect();
            return Err(SheetError::NoHeader(names.join("、")));
        };
        let header_cells = &grid.rows[header_idx];
        let headers: Vec<String> = header_cells.iter().map(Cell::as_text).collect();
        let mut positions = Vec::new();
        for (i, h) in headers.iter().enumerate() {
            if let Some(spec) = self.spec_for(h) {
                if positions.iter().any(|(k, _, _)| *k == spec.key) {
                    return Err(SheetError::DuplicateHeader(h.clone()));
                }
                positions.push((spec.key, i, h.clone()));
            }
        }
        let rows: Vec<Row> = grid
            .rows
            .into_iter()
            .enumerate()
            .skip(header_idx + 1)
            .map(|(i, cells)| Row {
                number: i + 1,
                cells,
            })
            .filter(|r| !r.is_blank())
            .collect();
        if rows.is_empty() {
            return Err(SheetError::NoRows);
        }
        Ok((
            Table {
                sheet_name: grid.sheet_name,
                header_row: header_idx + 1,
                headers,
                rows,
            },
            HeaderMap { positions },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: Columns = Columns(&[
        ColumnSpec {
            key: "no",
            names: &["工号", "employee_no"],
            required: true,
        },
        ColumnSpec {
            key: "name",
            names: &["姓名", "name"],
            required: true,
        },
        ColumnSpec {
            key: "mgr",
            names: &["上级工号"],
            required: false,
        },
    ]);

    fn t(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn header_below_title_rows_is_found() {
        let grid = Grid {
            sheet_name: "花名册".into(),
            rows: vec![
                vec![t("2026年人员花名册")],
                vec![],
                vec![t("姓名"), t("工号*"), t("备注")],
                vec![t("张三"), Cell::Number(1001.0)],
                vec![t(""), t("")],
                vec![t("李四"), t("1002")],
            ],
        };
        let (table, map) = SPEC.locate(grid).unwrap();
        assert_eq!(table.header_row, 3);
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0].number, 4);
        assert_eq!(table.rows[1].number, 6);
        assert_eq!(map.text(&table.rows[0], "no"), "1001");
        assert_eq!(map.header("no"), "工号*");
        assert_eq!(map.text(&table.rows[0], "mgr"), "");
    }

    #[test]
    fn missing_header_and_empty_sheet() {
        let grid = Grid {
            sheet_name: "s".into(),
            rows: vec![vec![t("工号")], vec![t("1")]],
        };
        assert!(matches!(SPEC.locate(grid), Err(SheetError::NoHeader(ref n)) if n == "工号、姓名"));
        let grid = Grid {
            sheet_name: "s".into(),
            rows: vec![vec![Cell::Empty]],
        };
        assert!(matches!(SPEC.locate(grid), Err(SheetError::Empty)));
        let grid = Grid {
            sheet_name: "s".into(),
            rows: vec![vec![t("工号"), t("姓名")]],
        };
        assert!(matches!(SPEC.locate(grid), Err(SheetError::NoRows)));
    }
}
