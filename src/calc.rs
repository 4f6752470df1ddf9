//! `tvistetrappa calc`: one month's payment calculation straight from an episode file, with
//! no database, so that a municipality can check the region's numbers (domain.md §5.6).
//! The file is read as a stream; only the totals per unit and the ids seen are kept.

use crate::domain::episodes::{Header, RowError};
use crate::domain::payment::{CalcError, Episode, Fraction, Model, Month, MonthCalculation, Rules, UnitResult};
use serde::Serialize;
use std::collections::HashSet;
use std::io::{Read, Write};

/// How many row errors are listed; the rest are counted.
pub const ERRORS_LISTED: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Table,
}

#[derive(Debug)]
pub enum CalcFailure {
    /// The file could not be read.
    Read(String),
    /// Rows or the header are invalid; `total` counts every error, `errors` lists the first.
    Invalid {
        errors: Vec<RowError>,
        total: usize,
    },
    Calculation(CalcError),
}

impl std::fmt::Display for CalcFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CalcFailure::Read(why) => write!(f, "cannot read the episode file: {why}"),
            CalcFailure::Invalid { errors, total } => {
                writeln!(f, "the episode file has {total} error(s); nothing was calculated:")?;
                for error in errors {
                    writeln!(f, "  {error}")?;
                }
                if *total > errors.len() {
                    writeln!(f, "  … and {} more", total - errors.len())?;
                }
                Ok(())
            }
            CalcFailure::Calculation(error) => write!(f, "{error}"),
        }
    }
}

/// Reads and validates every row, handing each valid episode and its line to `sink` as long
/// as no error has been found; returns the number of rows.
pub fn read_episodes(input: impl Read, mut sink: impl FnMut(Episode, u64)) -> Result<u64, CalcFailure> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input);
    let mut records = reader.records();
    let header_record = match records.next() {
        Some(Ok(record)) => record,
        Some(Err(e)) => return Err(CalcFailure::Read(e.to_string())),
        None => return Err(invalid(vec![RowError { line: 1, column: String::new(), message: "the file is empty; it needs a header row".into() }])),
    };
    let names: Vec<&str> = header_record.iter().collect();
    let header = Header::parse(&names).map_err(invalid)?;
    let mut errors = Vec::new();
    let mut total_errors = 0;
    let mut seen = HashSet::new();
    let mut rows = 0;
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                total_errors += 1;
                if errors.len() < ERRORS_LISTED {
                    errors.push(RowError { line, column: String::new(), message: format!("not readable as CSV: {e}") });
                }
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        rows += 1;
        let fields: Vec<&str> = record.iter().collect();
        match header.episode(&fields, line) {
            Ok(episode) => {
                if !seen.insert(episode.episode_id.clone()) {
                    total_errors += 1;
                    if errors.len() < ERRORS_LISTED {
                        errors.push(RowError {
                            line,
                            column: "episode_id".into(),
                            message: format!("{} appears more than once in the file", episode.episode_id),
                        });
                    }
                } else if total_errors == 0 {
                    sink(episode, line);
                }
            }
            Err(row_errors) => {
                total_errors += row_errors.len();
                errors.extend(row_errors.into_iter().take(ERRORS_LISTED.saturating_sub(errors.len())));
            }
        }
    }
    if total_errors > 0 {
        return Err(CalcFailure::Invalid { errors, total: total_errors });
    }
    Ok(rows)
}

fn invalid(errors: Vec<RowError>) -> CalcFailure {
    let total = errors.len();
    CalcFailure::Invalid { errors, total }
}

/// The month's statistics and, where its year has a daily amount, its money: what the
/// service stores for a month.
pub fn month_results(input: impl Read, month: Month, rules: &Rules) -> Result<Vec<UnitResult>, CalcFailure> {
    let mut calculation = MonthCalculation::new(month);
    read_episodes(input, |episode, _| calculation.add(&episode, rules))?;
    calculation.finish(rules).map_err(CalcFailure::Calculation)
}

/// The month's calculation as `calc` prints it: the amounts are the point, so a year
/// without a daily amount stops with a clear error naming the year (§5.5), never a guess.
pub fn calculate(input: impl Read, month: Month, rules: &Rules) -> Result<Vec<UnitResult>, CalcFailure> {
    let results = month_results(input, month, rules)?;
    if !rules.daily_rates.contains_key(&month.year) {
        return Err(CalcFailure::Calculation(CalcError::MissingDailyRate(month.year)));
    }
    Ok(results)
}

/// One unit as §5.6 names its fields.
#[derive(Debug, Serialize)]
pub struct UnitOutput {
    pub municipality_code: &'static str,
    pub district: Option<&'static str>,
    pub model: &'static str,
    pub care_provider: Option<String>,
    pub episodes_total: i64,
    pub episodes_included: i64,
    pub total_days: i64,
    pub episodes_with_days: i64,
    pub daily_rate_sek: i64,
    pub average_days: Option<String>,
    pub threshold_days: Option<String>,
    pub billable_days: String,
    pub amount_sek: i64,
}

#[derive(Debug, Serialize)]
pub struct Output {
    pub month: String,
    pub units: Vec<UnitOutput>,
}

pub fn output(month: Month, results: &[UnitResult]) -> Output {
    Output {
        month: month.to_string(),
        units: results
            .iter()
            .map(|r| UnitOutput {
                municipality_code: r.key.unit.municipality.as_str(),
                district: r.key.unit.district,
                model: r.key.model.as_str(),
                care_provider: r.key.care_provider.clone(),
                episodes_total: r.tally.episodes_total,
                episodes_included: r.tally.episodes_included,
                total_days: r.tally.total_days,
                episodes_with_days: r.tally.episodes_with_days,
                // `calculate` has made sure the year has its amount.
                daily_rate_sek: r.daily_rate_sek.unwrap_or_default(),
                average_days: (r.key.model == Model::Average).then(|| r.average_days.map(Fraction::two_decimals).unwrap_or_default()),
                threshold_days: (r.key.model == Model::Average).then(|| r.threshold_days.map(Fraction::two_decimals).unwrap_or_default()),
                billable_days: r.billable_days.two_decimals(),
                amount_sek: r.amount_sek.unwrap_or_default(),
            })
            .collect(),
    }
}

pub fn write(out: &mut impl Write, output: &Output, format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, output)?;
            writeln!(out)
        }
        Format::Table => {
            writeln!(out, "Beräkning för {}", output.month)?;
            writeln!(
                out,
                "{:<6} {:<22} {:<10} {:<24} {:>7} {:>7} {:>7} {:>6} {:>7} {:>7} {:>9} {:>7} {:>12}",
                "kommun", "stadsdelsområde", "modell", "vårdgivare", "vtf", "ingår", "dagar", "≥1 dag", "A", "T", "debit.dgr", "dagbel.", "belopp kr"
            )?;
            let mut total = 0;
            for u in &output.units {
                total += u.amount_sek;
                writeln!(
                    out,
                    "{:<6} {:<22} {:<10} {:<24} {:>7} {:>7} {:>7} {:>6} {:>7} {:>7} {:>9} {:>7} {:>12}",
                    u.municipality_code,
                    u.district.unwrap_or("-"),
                    u.model,
                    u.care_provider.as_deref().unwrap_or("-"),
                    u.episodes_total,
                    u.episodes_included,
                    u.total_days,
                    u.episodes_with_days,
                    u.average_days.as_deref().unwrap_or("-"),
                    u.threshold_days.as_deref().unwrap_or("-"),
                    u.billable_days,
                    u.daily_rate_sek,
                    u.amount_sek
                )?;
            }
            writeln!(out, "Summa: {total} kr")
        }
    }
}

/// `--rate YEAR=AMOUNT`.
pub fn parse_rate(text: &str) -> Result<(i32, i64), String> {
    let (year, amount) = text.split_once('=').ok_or_else(|| format!("--rate {text}: write YEAR=AMOUNT, for example 2021=8500"))?;
    let year: i32 = year.trim().parse().map_err(|_| format!("--rate {text}: {year} is not a year"))?;
    let amount: i64 = amount.trim().replace(' ', "").parse().map_err(|_| format!("--rate {text}: {amount} is not a whole number of kronor"))?;
    if !(1900..=2200).contains(&year) || amount <= 0 {
        return Err(format!("--rate {text}: give a year and a positive amount"));
    }
    Ok((year, amount))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "episode_id,municipality_code,care_type,admission_notice_at,ready_notice_at,discharged_at\n";

    #[test]
    fn a_small_file_gives_the_fields_of_the_brief() {
        let file = format!("{HEADER}a,0127,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-12 10:00\nb,0127,somatic,2022-03-01 08:00,2022-03-10 13:00,2022-03-11 10:00\n");
        let results = calculate(file.as_bytes(), Month::parse("2022-03").unwrap(), &Rules::default()).unwrap();
        let json = serde_json::to_value(output(Month::parse("2022-03").unwrap(), &results)).unwrap();
        // D = 2 and 0 → A = 1.00 ≤ 1.30 → nothing owed.
        assert_eq!(
            json,
            serde_json::json!({"month": "2022-03", "units": [{
                "municipality_code": "0127", "district": null, "model": "average", "care_provider": null,
                "episodes_total": 2, "episodes_included": 2, "total_days": 2, "episodes_with_days": 1,
                "daily_rate_sek": 9300, "average_days": "1.00", "threshold_days": "1.30",
                "billable_days": "0.00", "amount_sek": 0
            }]})
        );
    }

    #[test]
    fn every_invalid_row_is_listed_and_nothing_is_calculated() {
        let file = format!("{HEADER}a,0127,somatic,,,2022-03-12 10:00\nb,9999,somatic,,,2022-03-12\na,0127,somatic,,,2022-03-12 10:00\n");
        match calculate(file.as_bytes(), Month::parse("2022-03").unwrap(), &Rules::default()) {
            Err(CalcFailure::Invalid { errors, total }) => {
                assert_eq!(total, 3);
                assert_eq!((errors[0].line, errors[0].column.as_str()), (3, "municipality_code"));
                assert_eq!((errors[1].line, errors[1].column.as_str()), (3, "discharged_at"));
                assert_eq!((errors[2].line, errors[2].column.as_str()), (4, "episode_id"));
            }
            other => panic!("{other:?}"),
        }
        let empty = calculate(&b""[..], Month::parse("2022-03").unwrap(), &Rules::default());
        assert!(matches!(empty, Err(CalcFailure::Invalid { .. })));
    }

    #[test]
    fn rates_parse_from_the_command_line() {
        assert_eq!(parse_rate("2021=8500"), Ok((2021, 8500)));
        assert!(parse_rate("2021").is_err());
        assert!(parse_rate("x=1").is_err());
        assert!(parse_rate("2021=-5").is_err());
    }
}
