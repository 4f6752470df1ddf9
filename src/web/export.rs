//! Report tables, shown as HTML and downloaded as CSV (semicolons, decimal commas, a
//! byte-order mark: what Swedish Excel opens as is) or as one XLSX workbook with a sheet
//! per table, figures as numbers.

use super::error::AppError;
use crate::domain::payment::Fraction;

/// One cell: text, a whole number, or an exact figure shown with two decimals (the page
/// the Swedish way, CSV with a decimal comma, the workbook as a number).
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// Shown and written with two decimals.
    Decimal(Fraction),
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    /// As the page shows it.
    pub fn shown(&self) -> String {
        match self {
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => super::format::integer(n),
            Cell::Decimal(f) => super::format::hundredths(f),
        }
    }

    pub fn is_number(&self) -> bool {
        !matches!(self, Cell::Text(_))
    }
}

/// A report table: a key for its download address, a title (the caption and sheet name),
/// column headings and rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub key: &'static str,
    pub title: String,
    pub headings: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// Whether a column holds figures (judged by its first row), to align its heading.
    pub fn numeric(&self, column: &usize) -> bool {
        self.rows.first().and_then(|row| row.get(*column)).is_some_and(Cell::is_number)
    }
}

/// Text a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab, CR) gets a leading
/// apostrophe, as OWASP recommends for CSV; figures are ours and stay as they are.
fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{text}"))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// One file with the tables one after the other, a blank line between them.
pub fn csv(tables: &[&Table]) -> Result<Vec<u8>, AppError> {
    let failed = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut writer = csv::WriterBuilder::new().delimiter(b';').flexible(true).from_writer(b"\xEF\xBB\xBF".to_vec());
    for (i, table) in tables.iter().enumerate() {
        if i > 0 {
            writer.write_record([""]).map_err(failed)?;
        }
        writer.write_record(table.headings.iter().map(|h| neutralised(h).into_owned())).map_err(failed)?;
        for row in &table.rows {
            writer
                .write_record(row.iter().map(|cell| match cell {
                    Cell::Decimal(f) => f.two_decimals().replace('.', ","),
                    Cell::Int(n) => n.to_string(),
                    Cell::Text(s) => neutralised(s).into_owned(),
                }))
                .map_err(failed)?;
        }
    }
    writer.into_inner().map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// Excel refuses these in sheet names, and more than 31 characters.
fn sheet_name(title: &str) -> String {
    title.chars().filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\')).take(31).collect()
}

/// One workbook: a first sheet with the report's title and period (when `heading` has
/// any), then a sheet per table.
pub fn xlsx(heading: &[(&str, String)], tables: &[Table]) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let failed = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    if !heading.is_empty() {
        let cover = workbook.add_worksheet().set_name("Rapport").map_err(failed)?;
        for (row, (label, value)) in heading.iter().enumerate() {
            cover.write_string_with_format(row as u32, 0, *label, &bold).map_err(failed)?;
            cover.write_string(row as u32, 1, value).map_err(failed)?;
        }
        cover.set_column_width(0, 24).map_err(failed)?;
        cover.set_column_width(1, 40).map_err(failed)?;
    }
    for table in tables {
        let sheet = workbook.add_worksheet().set_name(sheet_name(&table.title)).map_err(failed)?;
        for (col, heading) in table.headings.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, *heading, &bold).map_err(failed)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (col, cell) in row.iter().enumerate() {
                let col = col as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, col, s),
                    Cell::Int(n) => sheet.write_number(r, col, *n as f64),
                    Cell::Decimal(f) => sheet.write_number(r, col, f.round_to_hundredths() as f64 / 100.0),
                }
                .map_err(failed)?;
            }
        }
        sheet.set_column_width(0, 30).map_err(failed)?;
    }
    workbook.save_to_buffer().map_err(failed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        Table {
            key: "prov",
            title: "Prov: tabell [1]".into(),
            headings: vec!["Enhet", "Antal", "Genomsnitt"],
            rows: vec![vec![Cell::text("Botkyrka; syd"), Cell::Int(3), Cell::Decimal(Fraction::new(5, 2))]],
        }
    }

    #[test]
    fn csv_uses_semicolons_and_decimal_commas_after_a_bom() {
        let bytes = csv(&[&table()]).unwrap();
        assert!(bytes.starts_with(b"\xEF\xBB\xBF"));
        let text = String::from_utf8(bytes[3..].to_vec()).unwrap();
        assert_eq!(text, "Enhet;Antal;Genomsnitt\n\"Botkyrka; syd\";3;2,50\n");
        let two = String::from_utf8(csv(&[&table(), &table()]).unwrap()[3..].to_vec()).unwrap();
        // The csv crate writes an empty record as "" (an empty cell), which Excel shows blank.
        assert_eq!(two.lines().nth(2), Some("\"\""), "an empty line between tables");
    }

    #[test]
    fn csv_text_that_looks_like_a_formula_is_neutralised_and_figures_are_not() {
        let table = Table {
            key: "prov",
            title: "Prov".into(),
            headings: vec!["Rubrik", "Belopp"],
            rows: vec![
                vec![Cell::text("=HYPERLINK(\"http://x\")"), Cell::Int(-5)],
                vec![Cell::text("+1"), Cell::Decimal(Fraction::new(-5, 2))],
                vec![Cell::text("-1+2"), Cell::Int(1)],
                vec![Cell::text("@SUM(A1)"), Cell::Int(1)],
                vec![Cell::text("\tx"), Cell::Int(1)],
                vec![Cell::text("\rx"), Cell::Int(1)],
                vec![Cell::text("vanlig text = ok"), Cell::Int(1)],
            ],
        };
        let text = String::from_utf8(csv(&[&table]).unwrap()[3..].to_vec()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\")\";-5");
        assert_eq!(lines[2], "'+1;-2,50");
        assert_eq!(lines[3], "'-1+2;1");
        assert_eq!(lines[4], "'@SUM(A1);1");
        assert_eq!(lines[5], "'\tx;1");
        assert!(text.contains("\"'\rx\""));
        assert_eq!(lines.last().copied(), Some("vanlig text = ok;1"));
    }

    #[test]
    fn sheet_names_lose_what_excel_refuses() {
        assert_eq!(sheet_name("Prov: tabell [1]"), "Prov tabell 1");
        assert_eq!(sheet_name(&"x".repeat(40)).len(), 31);
    }

    #[test]
    fn the_workbook_is_a_zip() {
        let bytes = xlsx(&[("Rapport", "Prov".into())], &[table()]).unwrap();
        assert!(bytes.starts_with(b"PK"));
    }
}
