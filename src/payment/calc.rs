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

/// A row with more fields than this is refused whatever its header (there are 20 columns).
const COLUMN_LIMIT: usize = 24;

/// The episode ids of a file (or a chunk of it), kept to find an id given twice.
enum Seen {
    /// The ids themselves: a repeat is certain, and found at its row.
    Ids(HashSet<Box<str>, foldhash::fast::RandomState>),
    /// 64-bit fingerprints of the ids under one seed for all chunks, appended as read and
    /// sorted once at the end (no string to compare, no random access per row). A repeated
    /// print may be two ids that collide (about once in 10⁸ files of a million rows), so
    /// the file is then read again with [`Seen::Ids`].
    Fingerprints(Vec<u64>, foldhash::quality::FixedState),
}

impl Default for Seen {
    fn default() -> Self {
        Seen::Ids(HashSet::default())
    }
}

impl Seen {
    /// Whether `id` was seen before (always false for fingerprints, which
    /// [`finish`](Self::finish) checks at the end).
    fn repeated(&mut self, id: &str) -> bool {
        match self {
            Seen::Ids(ids) => ids.contains(id),
            Seen::Fingerprints(prints, seed) => {
                prints.push(std::hash::BuildHasher::hash_one(&*seed, id));
                false
            }
        }
    }

    /// Keeps `id` once the episode is done with it (ids only: fingerprints are kept at once).
    fn keep(&mut self, id: String) {
        if let Seen::Ids(ids) = self {
            ids.insert(id.into_boxed_str());
        }
    }

    /// Sorts the fingerprints; true if one came twice.
    fn finish(&mut self) -> bool {
        match self {
            Seen::Ids(_) => false,
            Seen::Fingerprints(prints, _) => {
                prints.sort_unstable();
                prints.windows(2).any(|w| w[0] == w[1])
            }
        }
    }

    /// Whether two finished fingerprint sets share a print.
    fn overlaps(&self, other: &Seen) -> bool {
        let (Seen::Fingerprints(a, _), Seen::Fingerprints(b, _)) = (self, other) else { return true };
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            match a[i].cmp(&b[j]) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => return true,
            }
        }
        false
    }
}

/// What reading a run of rows found: the number of rows, the errors (the first
/// [`ERRORS_LISTED`] and a count), the ids seen, and how many lines the run spanned.
#[derive(Default)]
struct Rows {
    rows: u64,
    errors: Vec<RowError>,
    total_errors: usize,
    seen: Seen,
    lines: u64,
    /// A fingerprint came twice: only a reading by ids can tell whether an id did.
    uncertain: bool,
}

impl Rows {
    fn error(&mut self, error: RowError) {
        self.total_errors += 1;
        if self.errors.len() < ERRORS_LISTED {
            self.errors.push(error);
        }
    }

    fn into_result(self) -> Result<u64, CalcFailure> {
        if self.total_errors > 0 {
            return Err(CalcFailure::Invalid { errors: self.errors, total: self.total_errors });
        }
        Ok(self.rows)
    }
}

fn csv_reader<R: Read>(input: R) -> csv::Reader<R> {
    csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(input)
}

/// Reads the header row.
fn read_header<R: Read>(reader: &mut csv::Reader<R>) -> Result<Header, CalcFailure> {
    let mut record = csv::StringRecord::new();
    match reader.read_record(&mut record) {
        Ok(true) => {}
        Ok(false) => {
            return Err(invalid(vec![RowError { line: 1, column: String::new(), message: "the file is empty; it needs a header row".into() }]))
        }
        Err(e) => return Err(CalcFailure::Read(e.to_string())),
    }
    let names: Vec<&str> = record.iter().collect();
    Header::parse(&names).map_err(invalid)
}

/// Reads and validates the rows `reader` has left, numbered by the reader's own line count,
/// handing each valid episode and its line to `sink` as long as no error has been found.
fn read_rows<R: Read>(reader: &mut csv::Reader<R>, header: &Header, seen: Seen, mut sink: impl FnMut(&Episode, u64)) -> Rows {
    let mut found = Rows { seen, ..Rows::default() };
    let mut record = csv::StringRecord::new();
    let at = |position: Option<&csv::Position>| position.map_or(0, |p| p.line());
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                let line = at(e.position());
                found.error(RowError { line, column: String::new(), message: format!("not readable as CSV: {e}") });
                continue;
            }
        }
        let line = at(record.position());
        // A blank row: its fields, joined, are only white space.
        if record.as_slice().trim().is_empty() {
            continue;
        }
        found.rows += 1;
        // The fields on the stack: a file has at most as many columns as there are names.
        let mut fields = [""; COLUMN_LIMIT];
        let parsed = if record.len() <= COLUMN_LIMIT {
            record.iter().zip(fields.iter_mut()).for_each(|(value, field)| *field = value);
            header.episode_of_record(record.as_slice(), &fields[..record.len()], line)
        } else {
            header.episode(&record.iter().collect::<Vec<_>>(), line)
        };
        match parsed {
            Ok(episode) => {
                if found.seen.repeated(&episode.episode_id) {
                    let message = format!("{} appears more than once in the file", episode.episode_id);
                    found.error(RowError { line, column: "episode_id".into(), message });
                    continue;
                }
                if found.total_errors == 0 {
                    sink(&episode, line);
                }
                // The episode's own id goes into the set: no copy per row.
                found.seen.keep(episode.episode_id);
            }
            Err(row_errors) => {
                for error in row_errors {
                    found.error(error);
                }
            }
        }
    }
    found.lines = reader.position().line() - 1;
    found.uncertain = found.seen.finish();
    found
}

/// Reads and validates every row, handing each valid episode and its line to `sink` as long
/// as no error has been found; returns the number of rows.
pub fn read_episodes(input: impl Read, sink: impl FnMut(&Episode, u64)) -> Result<u64, CalcFailure> {
    let mut reader = csv_reader(input);
    let header = read_header(&mut reader)?;
    read_rows(&mut reader, &header, Seen::default(), sink).into_result()
}

/// Feeds what it reads on, noting whether a double quote went past: a chunk boundary found
/// by looking for a newline is only sound where no quoted field (which may hold one) came before.
struct QuoteWatch<R> {
    inner: R,
    saw_quote: bool,
}

impl<R: Read> Read for QuoteWatch<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.saw_quote |= buf[..n].contains(&b'"');
        Ok(n)
    }
}

/// One month of the file at `path`, its rows read in `threads` chunks at once (split at line
/// boundaries, each validated and tallied on its own, the tallies and the ids merged in file
/// order): the same results, errors and line numbers as one pass. A file whose chunks
/// cannot be trusted to start at a row (a quoted field before a boundary) is read in one pass.
pub fn month_results_of_file(path: &std::path::Path, month: Month, rules: &Rules, threads: usize) -> Result<Vec<UnitResult>, CalcFailure> {
    use std::io::{BufRead, BufReader, Seek, SeekFrom};
    let open = || std::fs::File::open(path).map_err(|e| CalcFailure::Read(format!("{}: {e}", path.display())));
    let one_pass = || month_results(BufReader::with_capacity(1 << 20, open()?), month, rules);
    let size = open()?.metadata().map_err(|e| CalcFailure::Read(e.to_string()))?.len();
    if threads < 2 || size < (1 << 20) {
        return one_pass();
    }
    let mut head = csv_reader(BufReader::new(open()?));
    let header = read_header(&mut head)?;
    let (rows_start, header_lines) = (head.position().byte(), head.position().line() - 1);
    // Each boundary is just after the first newline at or after an even share of the file.
    let mut bounds = vec![rows_start];
    for i in 1..threads as u64 {
        let mut file = BufReader::new(open()?);
        let from = (size * i / threads as u64).max(*bounds.last().expect("a start"));
        file.seek(SeekFrom::Start(from)).map_err(|e| CalcFailure::Read(e.to_string()))?;
        let skipped = file.skip_until(b'\n').map_err(|e| CalcFailure::Read(e.to_string()))? as u64;
        bounds.push((from + skipped).min(size));
    }
    bounds.push(size);
    let seed = foldhash::quality::FixedState::with_seed(rand::random());
    let chunks: Vec<(Rows, MonthCalculation, bool)> = std::thread::scope(|scope| {
        let workers: Vec<_> = bounds
            .windows(2)
            .map(|range| {
                let (start, end, header, seed) = (range[0], range[1], &header, &seed);
                scope.spawn(move || -> Result<_, CalcFailure> {
                    let mut file = open()?;
                    file.seek(SeekFrom::Start(start)).map_err(|e| CalcFailure::Read(e.to_string()))?;
                    let watched = QuoteWatch { inner: BufReader::with_capacity(1 << 20, file.take(end - start)), saw_quote: false };
                    let mut reader = csv_reader(watched);
                    let mut calculation = MonthCalculation::new(month);
                    // Rows are some 80 bytes; a slightly larger guess costs less than growing.
                    let seen = Seen::Fingerprints(Vec::with_capacity(((end - start) / 64) as usize), seed.clone());
                    let rows = read_rows(&mut reader, header, seen, |episode, _| calculation.add(episode, rules));
                    Ok((rows, calculation, reader.get_ref().saw_quote))
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().expect("a chunk reader does not panic")).collect::<Result<_, _>>()
    })?;
    // Where a chunk started inside a quoted field, or an id's fingerprint came twice (a
    // repeated id, which is refused, or a collision), one pass by ids gives the exact answer.
    let repeated = chunks
        .iter()
        .enumerate()
        .any(|(i, (rows, _, _))| rows.uncertain || chunks[..i].iter().any(|(earlier, _, _)| rows.seen.overlaps(&earlier.seen)));
    if repeated || chunks.iter().rev().skip(1).any(|(_, _, saw_quote)| *saw_quote) {
        drop(chunks);
        return one_pass();
    }
    let mut calculation = MonthCalculation::new(month);
    let (mut errors, mut total_errors, mut lines_before) = (Vec::new(), 0, header_lines);
    for (rows, tally, _) in chunks {
        errors.extend(rows.errors.into_iter().map(|e| RowError { line: e.line + lines_before, ..e }));
        total_errors += rows.total_errors;
        lines_before += rows.lines;
        calculation.merge(tally);
    }
    if total_errors > 0 {
        errors.truncate(ERRORS_LISTED);
        return Err(CalcFailure::Invalid { errors, total: total_errors });
    }
    calculation.finish(rules).map_err(CalcFailure::Calculation)
}

fn invalid(errors: Vec<RowError>) -> CalcFailure {
    let total = errors.len();
    CalcFailure::Invalid { errors, total }
}

/// The month's statistics and, where its year has a daily amount, its money: what the
/// service stores for a month.
pub fn month_results(input: impl Read, month: Month, rules: &Rules) -> Result<Vec<UnitResult>, CalcFailure> {
    let mut calculation = MonthCalculation::new(month);
    read_episodes(input, |episode, _| calculation.add(episode, rules))?;
    calculation.finish(rules).map_err(CalcFailure::Calculation)
}

/// The month's calculation as `calc` prints it: the amounts are the point, so a year
/// without a daily amount stops with a clear error naming the year (§5.5), never a guess.
pub fn calculate(input: impl Read, month: Month, rules: &Rules) -> Result<Vec<UnitResult>, CalcFailure> {
    with_amounts(month_results(input, month, rules)?, month, rules)
}

/// [`calculate`] of a file, read in `threads` chunks at once (see [`month_results_of_file`]).
pub fn calculate_file(path: &std::path::Path, month: Month, rules: &Rules, threads: usize) -> Result<Vec<UnitResult>, CalcFailure> {
    with_amounts(month_results_of_file(path, month, rules, threads)?, month, rules)
}

fn with_amounts(results: Vec<UnitResult>, month: Month, rules: &Rules) -> Result<Vec<UnitResult>, CalcFailure> {
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

    /// A file over a megabyte (so that it is read in chunks): `rows` rows over 2022, with
    /// `extra` lines spliced in at the given row numbers.
    fn big_file(rows: usize, extra: &[(usize, &str)]) -> tempfile::NamedTempFile {
        let codes = ["0127", "0126", "0180", "0184", "0191"];
        let mut text = String::from("episode_id,municipality_code,district,care_type,care_provider,admission_notice_at,ready_notice_at,discharged_at,needs_sip,sip_called_at\n");
        for i in 0..rows {
            for (_, line) in extra.iter().filter(|(at, _)| *at == i) {
                text.push_str(line);
            }
            let code = codes[i % codes.len()];
            let district = if code == "0180" { ["Södermalm", "Bromma", "Farsta"][i % 3] } else { "" };
            let (month, day, hour) = (1 + i % 12, 1 + i % 20, 8 + i % 8);
            let sip = if i % 7 == 0 { format!("ja,2022-{month:02}-{:02} 10:00", day + i % 5) } else { ",".into() };
            text.push_str(&format!(
                "ep-{i},{code},{district},somatic,,2022-{month:02}-{day:02} 07:00,2022-{month:02}-{day:02} {hour:02}:00,2022-{month:02}-{:02} 23:00,{sip}\n",
                day + i % 9
            ));
        }
        let mut file = tempfile::NamedTempFile::new().unwrap();
        std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
        assert!(text.len() > 1 << 20);
        file
    }

    /// The outcome as text: the units as `calc` prints them, or the refusal as it reads.
    fn outcome(result: Result<Vec<UnitResult>, CalcFailure>, month: Month) -> String {
        match result {
            Ok(results) => serde_json::to_string(&output(month, &results)).unwrap(),
            Err(failure) => failure.to_string(),
        }
    }

    #[test]
    fn a_file_read_in_chunks_gives_what_one_pass_gives_to_the_line() {
        let rules = Rules::default();
        let bad = "bad,9999,,somatic,,,,2022-05-02 10:00,,\n";
        let files = [
            ("valid", big_file(20_000, &[])),
            ("errors in several chunks", big_file(20_000, &[(10, bad), (9_000, bad), (15_000, "x,0127,,somatic\n"), (19_999, bad)])),
            ("an id repeated across chunks", big_file(20_000, &[(19_000, "ep-3,0127,,somatic,,,,2022-05-02 10:00,,\n")])),
            ("a quoted newline early on", big_file(20_000, &[(5, "q1,0127,,somatic,\"Vård\ngivare\",,,2022-05-02 10:00,,\n")])),
        ];
        for (what, file) in &files {
            for month in [Month::parse("2022-05").unwrap(), Month::parse("2022-12").unwrap()] {
                let one_pass = outcome(month_results(std::fs::File::open(file.path()).unwrap(), month, &rules), month);
                for threads in [2, 3, 7] {
                    let chunked = outcome(month_results_of_file(file.path(), month, &rules, threads), month);
                    assert_eq!(chunked, one_pass, "{what}, {month}, {threads} threads");
                }
            }
        }
        let refused =
            outcome(month_results_of_file(files[1].1.path(), Month::parse("2022-05").unwrap(), &rules, 2), Month::parse("2022-05").unwrap());
        assert!(refused.contains("line 9003,"), "{refused}");
    }

    #[test]
    fn rates_parse_from_the_command_line() {
        assert_eq!(parse_rate("2021=8500"), Ok((2021, 8500)));
        assert!(parse_rate("2021").is_err());
        assert!(parse_rate("x=1").is_err());
        assert!(parse_rate("2021=-5").is_err());
    }
}
