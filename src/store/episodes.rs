//! Imported episode files and the month's episodes of the current version.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{calculations, episode_imports, episodes, import_months, users};
use crate::db::stamp::Stamp;
use crate::db::Backend;
use crate::db_run;
use crate::domain::payment::{CareType, Episode, Month};
use crate::domain::registry::{district_on, MunicipalityCode};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// An episode as its import stages it: owned, so that the file's reader can make it on its
/// own thread while the previous batch is written, and `'static`, so that diesel keeps one
/// prepared INSERT of many rows (a statement's cache key is a `'static` type).
///
/// Absent values are written as NULL rather than left to a column default, so that every row
/// is the same statement (diesel makes one statement per shape of defaults).
#[derive(Insertable)]
#[diesel(table_name = episodes, treat_none_as_default_value = false)]
pub struct StagedEpisode {
    import_id: String,
    episode_id: String,
    line: i64,
    month: String,
    municipality_code: &'static str,
    district: Option<&'static str>,
    placement_code: Option<&'static str>,
    care_type: &'static str,
    care_provider: Option<String>,
    admitted_at: Option<Stamp>,
    admission_notice_at: Option<Stamp>,
    ready_notice_at: Option<Stamp>,
    discharged_at: Stamp,
    needs_outpatient_contact: bool,
    outpatient_contact_assigned: bool,
    needs_sip: bool,
    sip_called_at: Option<Stamp>,
    needs_care_plan: bool,
    care_plan_established: bool,
    outpatient_care_unavailable: bool,
    patient_declined: bool,
    aged_65_or_over: Option<bool>,
    unplanned_readmission_within_7_days: Option<bool>,
    excluded_by_agreement: bool,
}

impl StagedEpisode {
    /// `e`, read at `line` of the file, as a row of the staged import `import_id`.
    pub fn new(import_id: &str, e: &Episode, line: u64) -> StagedEpisode {
        StagedEpisode {
            import_id: import_id.to_owned(),
            episode_id: e.episode_id.clone(),
            line: line as i64,
            month: e.month().to_string(),
            municipality_code: e.municipality.as_str(),
            district: e.district.map(|d| d.name),
            placement_code: e.placement.map(|p| p.as_str()),
            care_type: care_type_name(e.care_type),
            care_provider: e.care_provider.clone(),
            admitted_at: e.admitted_at.map(Stamp),
            admission_notice_at: e.admission_notice_at.map(Stamp),
            ready_notice_at: e.ready_notice_at.map(Stamp),
            discharged_at: Stamp(e.discharged_at),
            needs_outpatient_contact: e.needs_outpatient_contact,
            outpatient_contact_assigned: e.outpatient_contact_assigned,
            needs_sip: e.needs_sip,
            sip_called_at: e.sip_called_at.map(Stamp),
            needs_care_plan: e.needs_care_plan,
            care_plan_established: e.care_plan_established,
            outpatient_care_unavailable: e.outpatient_care_unavailable,
            patient_declined: e.patient_declined,
            aged_65_or_over: e.aged_65_or_over,
            unplanned_readmission_within_7_days: e.unplanned_readmission_within_7_days,
            excluded_by_agreement: e.excluded_by_agreement,
        }
    }
}

fn care_type_name(care_type: CareType) -> &'static str {
    match care_type {
        CareType::Somatic => "somatic",
        CareType::Psychiatric => "psychiatric",
    }
}

/// Records an import and its months (inside the caller's transaction); returns its id.
pub fn start_import(conn: &mut DbConn, source: &str, sha256: &str, user_id: Option<&str>, rows: i64, months: &[(Month, i64)]) -> QueryResult<String> {
    let id = stage_import(conn, source, user_id)?;
    complete_import(conn, &id, sha256, rows, months)?;
    Ok(id)
}

/// Records a staged import, which no page lists and no calculation reads until
/// [`complete_import`] makes it a version of its months; returns its id.
pub fn stage_import(conn: &mut DbConn, source: &str, user_id: Option<&str>) -> QueryResult<String> {
    let id = new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(episode_imports::table)
        .values((
            episode_imports::id.eq(&id),
            episode_imports::imported_at.eq(at),
            episode_imports::imported_by.eq(user_id),
            episode_imports::source.eq(source),
            episode_imports::sha256.eq(""),
            episode_imports::row_count.eq(0),
            episode_imports::staged.eq(true),
        ))
        .execute(c))?;
    Ok(id)
}

/// Makes a staged import with its file's digest and size the newest import of `months`
/// (inside the caller's transaction, with the months' calculation versions).
pub fn complete_import(conn: &mut DbConn, id: &str, sha256: &str, rows: i64, months: &[(Month, i64)]) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::update(episode_imports::table.find(id))
        .set((
            episode_imports::imported_at.eq(at),
            episode_imports::sha256.eq(sha256),
            episode_imports::row_count.eq(rows),
            episode_imports::staged.eq(false),
        ))
        .execute(c))?;
    for (month, count) in months {
        db_run!(conn, |c| diesel::insert_into(import_months::table)
            .values((import_months::month.eq(month.to_string()), import_months::import_id.eq(id), import_months::episodes.eq(count)))
            .execute(c))?;
    }
    Ok(())
}

/// Removes a staged import and the episodes it wrote (a refused file, a failed write).
pub fn discard_staged(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    conn.write(|conn| {
        db_run!(conn, |c| diesel::delete(episodes::table.filter(episodes::import_id.eq(id))).execute(c))?;
        db_run!(conn, |c| diesel::delete(episode_imports::table.filter(episode_imports::id.eq(id)).filter(episode_imports::staged.eq(true)))
            .execute(c))?;
        Ok(())
    })
}

/// Staged imports a crashed process left behind: started before `before` and never made
/// current. No import runs that long, so these are safe to discard.
pub fn abandoned_staged(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| episode_imports::table
        .filter(episode_imports::staged.eq(true))
        .filter(episode_imports::imported_at.lt(before))
        .select(episode_imports::id)
        .load(c))
}

/// Rows per SQLite INSERT: 24 parameters each, well below SQLite's 32 766.
const ROWS_PER_INSERT: usize = 200;

/// Inserts a batch of the episodes of the import `import_id` (inside the caller's
/// transaction).
///
/// The table has no foreign key to its import: checking one per row was 40 % of an import
/// on PostgreSQL (a query per row). The batch checks it once instead: every row is of
/// `import_id`, which exists, and on PostgreSQL is locked against deletion until the commit,
/// as the key's check would. Only `discard_staged` deletes an import, and its episodes first.
pub fn insert_batch(conn: &mut DbConn, import_id: &str, rows: &[StagedEpisode]) -> QueryResult<()> {
    if rows.iter().any(|row| row.import_id != import_id) {
        return Err(diesel::result::Error::NotFound);
    }
    let import = episode_imports::table.find(import_id).select(episode_imports::id);
    match &mut conn.inner {
        // Statements of a fixed number of rows: a fixed-size array has a static query id, so
        // diesel prepares its INSERT once and keeps it (a Vec's INSERT of as many rows is
        // parsed anew each time, which measured slower than a row at a time).
        Backend::Sqlite(c) => {
            import.first::<String>(c)?;
            let (chunks, rest) = rows.as_chunks::<ROWS_PER_INSERT>();
            for chunk in chunks {
                diesel::insert_into(episodes::table).values(chunk).execute(c)?;
            }
            for row in rest {
                diesel::insert_into(episodes::table).values(row).execute(c)?;
            }
        }
        // COPY in its binary format: measured 29 s for a million rows as INSERTs.
        Backend::Pg(c) => {
            import.for_key_share().first::<String>(c)?;
            diesel::copy_from(episodes::table).from_insertable(rows).execute(c)?;
        }
    }
    Ok(())
}

#[derive(Debug, Clone, Queryable)]
pub struct ImportInfo {
    pub id: String,
    pub imported_at: NaiveDateTime,
    pub source: String,
    pub sha256: String,
    pub row_count: i64,
    pub imported_by: Option<String>,
}

/// Every import, newest first, with who made it.
pub fn imports(conn: &mut DbConn) -> QueryResult<Vec<ImportInfo>> {
    db_run!(conn, |c| episode_imports::table
        .left_join(users::table.on(users::id.nullable().eq(episode_imports::imported_by)))
        .filter(episode_imports::staged.eq(false))
        .order(episode_imports::id.desc())
        .select((
            episode_imports::id,
            episode_imports::imported_at,
            episode_imports::source,
            episode_imports::sha256,
            episode_imports::row_count,
            users::name.nullable()
        ))
        .load(c))
}

/// The months with imported data, newest first.
pub fn months(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| import_months::table.select(import_months::month).distinct().order(import_months::month.desc()).load(c))
}

/// The import that is the current version of a month: the one its current calculation
/// version was made from. (Not the newest import id: an import that started first may finish
/// last, and the version made last is the current one.)
pub fn current_import(conn: &mut DbConn, month: Month) -> QueryResult<Option<String>> {
    db_run!(conn, |c| calculations::table
        .filter(calculations::month.eq(month.to_string()))
        .order(calculations::version.desc())
        .select(calculations::import_id)
        .first(c)
        .optional())
}

type StoredRow = (
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    Option<String>,
    (Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDateTime>, NaiveDateTime, Option<NaiveDateTime>),
    (bool, bool, bool, bool, bool, bool, bool),
    (Option<bool>, Option<bool>, bool),
);

/// The month's episodes in its current version, in file order.
pub fn month_episodes(conn: &mut DbConn, month: Month) -> QueryResult<Vec<Episode>> {
    let Some(import) = current_import(conn, month)? else { return Ok(Vec::new()) };
    load_from(conn, &import, month, None)
}

/// The month's episodes in a given import version, in file order.
pub fn month_episodes_of(conn: &mut DbConn, import: &str, month: Month) -> QueryResult<Vec<Episode>> {
    load_from(conn, import, month, None)
}

/// The month's episodes in an import version that `paying` pays for (as placing
/// municipality or, without a placement, as the municipality of residence), in file order.
pub fn unit_episodes_of(conn: &mut DbConn, import: &str, month: Month, paying: MunicipalityCode) -> QueryResult<Vec<Episode>> {
    load_from(conn, import, month, Some(paying))
}

fn load_from(conn: &mut DbConn, import: &str, month: Month, paying: Option<MunicipalityCode>) -> QueryResult<Vec<Episode>> {
    let rows: Vec<StoredRow> = db_run!(conn, |c| {
        let mut query = episodes::table.filter(episodes::import_id.eq(import)).filter(episodes::month.eq(month.to_string())).into_boxed();
        if let Some(code) = paying {
            query = query.filter(
                episodes::placement_code.eq(code.as_str()).or(episodes::placement_code.is_null().and(episodes::municipality_code.eq(code.as_str()))),
            );
        }
        query
            .order(episodes::line)
            .select((
                episodes::episode_id,
                episodes::municipality_code,
                episodes::district,
                episodes::placement_code,
                episodes::care_type,
                episodes::care_provider,
                (episodes::admitted_at, episodes::admission_notice_at, episodes::ready_notice_at, episodes::discharged_at, episodes::sip_called_at),
                (
                    episodes::needs_outpatient_contact,
                    episodes::outpatient_contact_assigned,
                    episodes::needs_sip,
                    episodes::needs_care_plan,
                    episodes::care_plan_established,
                    episodes::outpatient_care_unavailable,
                    episodes::patient_declined,
                ),
                (episodes::aged_65_or_over, episodes::unplanned_readmission_within_7_days, episodes::excluded_by_agreement),
            ))
            .load(c)
    })?;
    Ok(rows.into_iter().filter_map(episode_from_row).collect())
}

/// Rows were validated on import; one that no longer reads (a registry change) is skipped
/// rather than guessed at.
fn episode_from_row(row: StoredRow) -> Option<Episode> {
    let (episode_id, code, district, placement, care_type, care_provider, times, flags, follow_up) = row;
    let (aged_65_or_over, unplanned_readmission_within_7_days, excluded_by_agreement) = follow_up;
    let (admitted_at, admission_notice_at, ready_notice_at, discharged_at, sip_called_at) = times;
    let (
        needs_outpatient_contact,
        outpatient_contact_assigned,
        needs_sip,
        needs_care_plan,
        care_plan_established,
        outpatient_care_unavailable,
        patient_declined,
    ) = flags;
    Some(Episode {
        episode_id,
        municipality: MunicipalityCode::parse(&code)?,
        district: match district {
            Some(name) => Some(district_on(&name, discharged_at.date()).ok()?),
            None => None,
        },
        placement: match placement {
            Some(p) => Some(MunicipalityCode::parse(&p)?),
            None => None,
        },
        care_type: if care_type == "psychiatric" { CareType::Psychiatric } else { CareType::Somatic },
        care_provider,
        admitted_at,
        admission_notice_at,
        ready_notice_at,
        discharged_at,
        needs_outpatient_contact,
        outpatient_contact_assigned,
        needs_sip,
        sip_called_at,
        needs_care_plan,
        care_plan_established,
        outpatient_care_unavailable,
        patient_declined,
        aged_65_or_over,
        unplanned_readmission_within_7_days,
        excluded_by_agreement,
    })
}
