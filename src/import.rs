//! Importing an episode file: all or nothing. A first pass validates the whole file (and
//! takes its SHA-256) without writing; only a file without a single error is then written,
//! in one transaction, in batches, so memory stays flat whatever the file's size.

use crate::calc::{read_episodes, CalcFailure};
use crate::db::DbConn;
use crate::domain::payment::{Episode, FileCalculation, Model, Month, Rules, Tally, OCTOBER_2020};
use crate::store::{calculations, episodes, settings};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

const BATCH: usize = 500;

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

/// Feeds what it reads to a hasher on the way.
struct Hashing<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

fn open(path: &Path) -> Result<std::io::BufReader<std::fs::File>, ImportFailure> {
    std::fs::File::open(path)
        .map(|f| std::io::BufReader::with_capacity(1 << 20, f))
        .map_err(|e| ImportFailure::Invalid(CalcFailure::Read(format!("{}: {e}", path.display()))))
}

/// Validates and imports `path`; `progress` hears the number of rows written so far.
pub fn import_file(
    conn: &mut DbConn,
    path: &Path,
    source: &str,
    user_id: Option<&str>,
    progress: &mut dyn FnMut(u64),
) -> Result<Imported, ImportFailure> {
    let rules = &Rules::default();
    let mut months: BTreeMap<Month, i64> = BTreeMap::new();
    let mut hashing = Hashing { inner: open(path)?, hasher: Sha256::new() };
    let rows = read_episodes(&mut hashing, |episode, _| *months.entry(episode.month()).or_default() += 1).map_err(ImportFailure::Invalid)?;
    let sha256 = hex::encode(hashing.hasher.finalize());
    let months: Vec<(Month, i64)> = months.into_iter().collect();
    let id = conn.write(|conn| {
        let id = episodes::start_import(conn, source, &sha256, user_id, rows as i64, &months)?;
        let mut batch: Vec<(Episode, u64)> = Vec::with_capacity(BATCH);
        let mut failed = None;
        let mut written = 0u64;
        let mut calculation = FileCalculation::default();
        read_episodes(open(path)?, |episode, line| {
            if failed.is_some() {
                return;
            }
            calculation.add(&episode, rules);
            batch.push((episode, line));
            if batch.len() == BATCH {
                match episodes::insert_batch(conn, &id, &batch) {
                    Ok(()) => {
                        written += batch.len() as u64;
                        progress(written);
                    }
                    Err(e) => failed = Some(e),
                }
                batch.clear();
            }
        })
        .map_err(ImportFailure::Invalid)?;
        if let Some(e) = failed {
            return Err(e.into());
        }
        if !batch.is_empty() {
            episodes::insert_batch(conn, &id, &batch)?;
            progress(written + batch.len() as u64);
        }
        save_calculations(conn, calculation, &id, rules)?;
        Ok::<_, ImportFailure>(id)
    })?;
    Ok(Imported { id, rows, months, sha256 })
}

/// Stores each month's results for `import_id`. Months after October 2020 that the data
/// does not cover take October from its current version.
fn save_calculations(conn: &mut DbConn, calculation: FileCalculation, import_id: &str, rules: &Rules) -> Result<(), diesel::result::Error> {
    let october = if calculation.needs_october_2020() {
        let mut tally = Tally::default();
        for e in episodes::month_episodes(conn, OCTOBER_2020)? {
            if e.model(rules) == Model::Average && e.exclusion().is_none() {
                tally.add(&e);
            }
        }
        Some(tally)
    } else {
        None
    };
    for (month, results) in calculation.finish(rules, october) {
        calculations::save(conn, month, import_id, results.as_deref().map_err(|e| e.label()))?;
    }
    Ok(())
}

/// Calculates every month's current version again under the rules as they are now (after
/// an administrator changed a daily amount or a setting); returns the number of months.
pub fn recalculate_all(conn: &mut DbConn) -> Result<usize, diesel::result::Error> {
    let rules = settings::rules(conn)?;
    settings::clear_calculations(conn)?;
    let months = episodes::months(conn)?;
    for month in months.iter().filter_map(|m| Month::parse(m)) {
        let Some(import) = episodes::current_import(conn, month)? else { continue };
        let mut calculation = FileCalculation::default();
        if month > OCTOBER_2020 && month <= crate::domain::payment::LAST_COUNTY_AVERAGE_MONTH {
            for e in episodes::month_episodes(conn, OCTOBER_2020)? {
                calculation.add(&e, &rules);
            }
        }
        for e in episodes::month_episodes(conn, month)? {
            calculation.add(&e, &rules);
        }
        let results = calculation.finish(&rules, None).into_iter().find(|(m, _)| *m == month).map(|(_, r)| r);
        if let Some(results) = results {
            calculations::save(conn, month, &import, results.as_deref().map_err(|e| e.label()))?;
        }
    }
    Ok(months.len())
}
