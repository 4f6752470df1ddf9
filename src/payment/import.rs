//! Importing an episode file: all or nothing, in one pass over any readable stream (a file,
//! a pipe, an upload). Rows are validated as they are read and written in batches, each in a
//! short transaction, into a staged import that no page or calculation sees; a last short
//! transaction makes it the current version of its months. The service's own writes
//! therefore never wait for a whole file. A file with an error is read to its end (so that
//! every error is reported), stops being written at the first, and its staged rows go.

use crate::db::DbConn;
use crate::domain::episodes::RowError;
use crate::domain::payment::versions::{self, Cause};
use crate::domain::payment::{october_2020_tally, CalcError, Claim, Episode, FileCalculation, Month, Rules, UnitResult, OCTOBER_2020};
use crate::payment::calc::{read_episodes, CalcFailure};
use crate::store::calculations::{self, NewVersion};
use crate::store::episodes::{self, StagedEpisode};
use crate::store::{settings, QueryResult};
use sha2::{Digest, Sha256};
use std::cell::Cell;
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::{Mutex, PoisonError};

/// Rows written per transaction: large enough that commits are few, small enough that
/// another writer waits some tens of milliseconds at most. 6 000 instead of 2 000: an import
/// of 1 000 000 episodes took 4.9-6.6 s instead of 6.5-7.8 s on SQLite and 4.7-5.4 s instead
/// of 5.3-6.2 s on PostgreSQL (alternated runs), while a CLI write during it took as long as
/// before (0.02-0.44 s, process start included).
pub const BATCH: usize = 6000;

/// How old a staged import must be before the next import discards it as abandoned by a
/// crashed process.
const ABANDONED_AFTER: chrono::Duration = chrono::Duration::hours(24);

pub struct Imported {
    pub id: String,
    pub rows: u64,
    pub months: Vec<(Month, i64)>,
    pub sha256: String,
}

#[derive(Debug)]
pub enum ImportFailure {
    Invalid(CalcFailure),
    Database(diesel::result::Error),
}

impl std::fmt::Display for ImportFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ImportFailure::Invalid(failure) => write!(f, "{failure}"),
            ImportFailure::Database(e) => write!(f, "the import was not saved: {e}"),
        }
    }
}

impl From<diesel::result::Error> for ImportFailure {
    fn from(e: diesel::result::Error) -> Self {
        ImportFailure::Database(e)
    }
}

/// Feeds what it reads to a hasher and counts the bytes on the way.
struct Hashing<'a, R> {
    inner: R,
    hasher: Sha256,
    bytes: &'a Cell<u64>,
}

impl<R: Read> Read for Hashing<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes.set(self.bytes.get() + n as u64);
        Ok(n)
    }
}

/// Imports the file at `path` (`-`: standard input); see [`import_stream`].
pub fn import_file(
    conn: &mut DbConn,
    spare: Option<&mut DbConn>,
    path: &Path,
    source: &str,
    user_id: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<Imported, ImportFailure> {
    if path == Path::new("-") {
        return import_stream(conn, spare, std::io::stdin(), source, user_id, progress);
    }
    let file = std::fs::File::open(path).map_err(|e| ImportFailure::Invalid(CalcFailure::Read(format!("{}: {e}", path.display()))))?;
    import_stream(conn, spare, file, source, user_id, progress)
}

/// Validates and imports what `input` holds, reading it once; `progress` hears the bytes
/// read so far after each written batch. On PostgreSQL, `spare` (a second connection to the
/// same database) writes every other batch: one server process stores rows on one core, and
/// with two the import took 0.6 of the time (bench/compare.sh import). SQLite writes one at
/// a time whatever the connection, and leaves it unused.
pub fn import_stream(
    conn: &mut DbConn,
    spare: Option<&mut DbConn>,
    input: impl Read + Send,
    source: &str,
    user_id: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<Imported, ImportFailure> {
    // The file's name is kept with the import; a name holding an identity number is not.
    let source = if crate::domain::personnummer::contains(source) { "fil (namnet innehöll ett personnummer)" } else { source };
    // The rules as an administrator has set them (daily amounts, the October 2020 figure,
    // the end of the transitional rule), exactly as a recalculation would use them.
    let rules = settings::rules(conn)?;
    for abandoned in episodes::abandoned_staged(conn, crate::store::now() - ABANDONED_AFTER)? {
        episodes::discard_staged(conn, &abandoned)?;
    }
    let id = conn.write(|conn| episodes::stage_import(conn, source, user_id))?;
    let spare = spare.filter(|spare| spare.kind().writes_in_parallel());
    let outcome = stream_into(conn, spare, &id, input, &rules, progress).and_then(|streamed| {
        conn.write(|conn| {
            episodes::complete_import(conn, &id, &streamed.sha256, streamed.rows as i64, &streamed.months)?;
            save_calculations(conn, streamed.calculation, &id, user_id, &rules)?;
            Ok::<_, ImportFailure>(Imported { id: id.clone(), rows: streamed.rows, months: streamed.months, sha256: streamed.sha256 })
        })
    });
    if outcome.is_err() {
        if let Err(e) = episodes::discard_staged(conn, &id) {
            // The next import discards it once it is old enough.
            log::warn!("staged import {id} was not removed: {e}");
        }
    }
    outcome
}

/// What one pass over a valid file gave.
struct Streamed {
    rows: u64,
    months: Vec<(Month, i64)>,
    sha256: String,
    calculation: FileCalculation,
}

/// Reads `input` once, writing its episodes into the staged import `id` batch by batch while
/// no row has failed, and tallying the calculation on the way. Reading runs on a thread of its
/// own, a batch or two ahead of the writes, so that both cores work; with a `spare`
/// connection a second thread writes too, each taking the next batch read.
fn stream_into(
    conn: &mut DbConn,
    spare: Option<&mut DbConn>,
    id: &str,
    input: impl Read + Send,
    rules: &Rules,
    progress: &mut dyn FnMut(u64),
) -> Result<Streamed, ImportFailure> {
    let (sender, batches) = std::sync::mpsc::sync_channel::<(Vec<StagedEpisode>, u64)>(2);
    let batches = Mutex::new(batches);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_batches(input, id, rules, sender));
        let helper = spare.map(|spare| scope.spawn(|| write_batches(spare, id, &batches, &failed, &mut |_| {})));
        let written = write_batches(conn, id, &batches, &failed, progress);
        let stopped = || ImportFailure::Invalid(CalcFailure::Read("the import stopped unexpectedly".into()));
        let helped = match helper {
            Some(helper) => helper.join().map_err(|_| stopped())?,
            None => Ok(()),
        };
        let streamed = reader.join().map_err(|_| stopped())??;
        written?;
        helped?;
        Ok(streamed)
    })
}

/// The writing half of [`stream_into`]: takes batches until the reader has sent the last,
/// writing each while no writer has failed. Every batch is taken, also after a failure, so
/// that the reader never waits.
fn write_batches(
    conn: &mut DbConn,
    id: &str,
    batches: &Mutex<Receiver<(Vec<StagedEpisode>, u64)>>,
    failed: &AtomicBool,
    progress: &mut dyn FnMut(u64),
) -> Result<(), diesel::result::Error> {
    let mut outcome = Ok(());
    loop {
        // Held while waiting for the next batch, not while writing it (a statement's end
        // drops the guard). A writer that panicked holding it left the channel as it was.
        let next = batches.lock().unwrap_or_else(PoisonError::into_inner).recv();
        let Ok((batch, read)) = next else { return outcome };
        if failed.load(Ordering::Relaxed) {
            continue;
        }
        // No batch waits for the disk: the commit that makes the import current does.
        match conn.write_unsynced(|conn| episodes::insert_batch(conn, id, &batch)) {
            Ok(()) => progress(read),
            Err(e) => {
                failed.store(true, Ordering::Relaxed);
                outcome = Err(e);
            }
        }
    }
}

/// The reading half of [`stream_into`]: sends each full batch of valid episodes, with the
/// bytes read so far, and the last one only once the whole file proved valid.
fn read_batches(
    input: impl Read,
    id: &str,
    rules: &Rules,
    sender: std::sync::mpsc::SyncSender<(Vec<StagedEpisode>, u64)>,
) -> Result<Streamed, ImportFailure> {
    let bytes = Cell::new(0);
    let mut hashing = Hashing { inner: std::io::BufReader::with_capacity(1 << 20, input), hasher: Sha256::new(), bytes: &bytes };
    let mut months: BTreeMap<Month, i64> = BTreeMap::new();
    let mut calculation = FileCalculation::default();
    let mut batch = Vec::with_capacity(BATCH);
    let rows = read_episodes(&mut hashing, |episode, line| {
        *months.entry(episode.month()).or_default() += 1;
        calculation.add(episode, rules);
        batch.push(StagedEpisode::new(id, episode, line));
        if batch.len() == BATCH {
            // The writer has gone only when the import is failing anyway.
            let _ = sender.send((std::mem::replace(&mut batch, Vec::with_capacity(BATCH)), bytes.get()));
        }
    })
    .map_err(ImportFailure::Invalid)?;
    if rows == 0 {
        // A header and nothing else would become an empty current version of no month.
        let error = RowError { line: 2, column: String::new(), message: "the file has no episodes after its header".into() };
        return Err(ImportFailure::Invalid(CalcFailure::Invalid { errors: vec![error], total: 1 }));
    }
    if !batch.is_empty() {
        let _ = sender.send((batch, bytes.get()));
    }
    Ok(Streamed { rows, months: months.into_iter().collect(), sha256: hex::encode(hashing.hasher.finalize()), calculation })
}

/// A month and its units' results, or why it could not be calculated.
type MonthResults = (Month, Result<Vec<UnitResult>, CalcError>);

/// The one way the service turns episodes into money: the tallies of `calculation` (fed by
/// an import as the file streams past, or from stored episodes for a recalculation or a
/// correction) finished under the rules as stored. Where a month's threshold needs the
/// county average of October 2020 and the episodes do not hold that month, it comes from
/// October's current version.
fn finish(conn: &mut DbConn, calculation: FileCalculation, rules: &Rules) -> QueryResult<Vec<MonthResults>> {
    let october =
        if calculation.needs_october_2020() { Some(october_2020_tally(&episodes::month_episodes(conn, OCTOBER_2020)?, rules)) } else { None };
    Ok(calculation.finish(rules, october))
}

/// Stores each month's results for `import_id` as the month's next version.
fn save_calculations(
    conn: &mut DbConn,
    calculation: FileCalculation,
    import_id: &str,
    user_id: Option<&str>,
    rules: &Rules,
) -> Result<(), diesel::result::Error> {
    for (month, results) in finish(conn, calculation, rules)? {
        let version = NewVersion { month, import_id, cause: Cause::Import, case_id: None, created_by: user_id };
        calculations::save(conn, &version, results.as_deref().map_err(|e| e.label()))?;
    }
    Ok(())
}

/// The month's results from `month_episodes` under `rules`.
fn calculate(conn: &mut DbConn, month: Month, month_episodes: &[Episode], rules: &Rules) -> QueryResult<Result<Vec<UnitResult>, String>> {
    let mut calculation = FileCalculation::default();
    for e in month_episodes {
        calculation.add(e, rules);
    }
    let results = finish(conn, calculation, rules)?.into_iter().find(|(m, _)| *m == month).map(|(_, r)| r);
    Ok(results.unwrap_or(Ok(Vec::new())).map_err(|e| e.label()))
}

/// Who or what asks for a recalculation, recorded on each new version.
pub struct Recalculation<'a> {
    pub cause: Cause,
    pub case_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
}

/// Calculates every month again under the rules and data as they are now (after an
/// administrator changed a daily amount or a setting, or a correction changed October
/// 2020, whose county average sets later thresholds). A month whose figures change gets a
/// new version; returns those.
pub fn recalculate_all(conn: &mut DbConn, by: &Recalculation) -> QueryResult<Vec<(Month, i32)>> {
    let rules = settings::rules(conn)?;
    let mut made = Vec::new();
    for month in episodes::months(conn)?.iter().filter_map(|m| Month::parse(m)) {
        let Some(current) = calculations::current(conn, month)? else { continue };
        let month_episodes = episodes::month_episodes(conn, month)?;
        let results = calculate(conn, month, &month_episodes, &rules)?;
        if results != current.results {
            let version = NewVersion { month, import_id: &current.version.import_id, cause: by.cause, case_id: by.case_id, created_by: by.user_id };
            made.push((month, calculations::save(conn, &version, results.as_deref().map_err(String::clone))?));
        }
    }
    Ok(made)
}

/// Applies the claims HSF agreed to in a resolved payment dispute: a new episode version
/// of the month (and of any month a corrected discharge date moves an episode into), made
/// from each month's current episodes with the claims applied, and a new calculation
/// version of each, tied to the case. Returns the months and their new version numbers.
pub fn apply_corrections(conn: &mut DbConn, case: (&str, &str), month: Month, agreed: &[Claim], user_id: &str) -> QueryResult<Vec<(Month, i32)>> {
    let (case_id, case_number) = case;
    let corrected = versions::apply_agreed(&episodes::month_episodes(conn, month)?, agreed);
    let mut by_month: BTreeMap<Month, Vec<Episode>> = BTreeMap::new();
    by_month.insert(month, Vec::new());
    for e in corrected {
        by_month.entry(e.month()).or_default().push(e);
    }
    for (other, list) in by_month.iter_mut().filter(|(m, _)| **m != month) {
        let mut all = episodes::month_episodes(conn, *other)?;
        all.append(list);
        *list = all;
    }
    let mut hasher = Sha256::new();
    hasher.update(case_number.as_bytes());
    for claim in agreed {
        hasher.update(format!("\n{}\t{}\t{}", claim.episode_id, claim.reason.as_str(), claim.corrected.as_deref().unwrap_or("")).as_bytes());
    }
    let counts: Vec<(Month, i64)> = by_month.iter().map(|(m, list)| (*m, list.len() as i64)).collect();
    let rows = counts.iter().map(|(_, n)| n).sum();
    let source = format!("Rättelse enligt {case_number}");
    let import_id = episodes::start_import(conn, &source, &hex::encode(hasher.finalize()), Some(user_id), rows, &counts)?;
    let rules = settings::rules(conn)?;
    let mut made = Vec::new();
    for (m, list) in &by_month {
        let rows: Vec<StagedEpisode> = list.iter().zip(1..).map(|(e, line)| StagedEpisode::new(&import_id, e, line)).collect();
        for batch in rows.chunks(BATCH) {
            episodes::insert_batch(conn, &import_id, batch)?;
        }
        let results = calculate(conn, *m, list, &rules)?;
        let version = NewVersion { month: *m, import_id: &import_id, cause: Cause::Correction, case_id: Some(case_id), created_by: Some(user_id) };
        made.push((*m, calculations::save(conn, &version, results.as_deref().map_err(String::clone))?));
    }
    if by_month.contains_key(&OCTOBER_2020) {
        made.extend(recalculate_all(conn, &Recalculation { cause: Cause::Correction, case_id: Some(case_id), user_id: Some(user_id) })?);
    }
    Ok(made)
}
