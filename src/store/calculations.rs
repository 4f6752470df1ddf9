//! A month's calculation in numbered, immutable versions: one per import that covers the
//! month, per change of settings that changes its figures, per agreed dispute correction.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{calculation_units, calculations, cases, users};
use crate::db_run;
use crate::domain::payment::versions::Cause;
use crate::domain::payment::{settle, Fraction, Model, Month, PayingUnit, Readmissions, Tally, UnitKey, UnitResult};
use crate::domain::registry::{MunicipalityCode, DISTRICTS};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// One version of a month's calculation: its number, the import it was made from and why.
#[derive(Debug, Clone, Queryable)]
pub struct Version {
    pub id: String,
    pub month: String,
    pub version: i32,
    pub import_id: String,
    pub cause: Cause,
    pub case_number: Option<String>,
    pub created_by: Option<String>,
    pub created_at: NaiveDateTime,
    pub error: Option<String>,
}

/// A version with its units, or why the month could not be calculated.
pub struct Calculation {
    pub version: Version,
    pub results: Result<Vec<UnitResult>, String>,
}

/// What made a new version.
pub struct NewVersion<'a> {
    pub month: Month,
    pub import_id: &'a str,
    pub cause: Cause,
    pub case_id: Option<&'a str>,
    pub created_by: Option<&'a str>,
}

/// Stores a month's results, or why it could not be calculated, as the month's next
/// version; returns its number. Call inside a write transaction (the number is max + 1, and
/// the unique (month, version) refuses a concurrent duplicate).
pub fn save(conn: &mut DbConn, new: &NewVersion, results: Result<&[UnitResult], String>) -> QueryResult<i32> {
    let id = new_id();
    let at = now();
    let month = new.month.to_string();
    let error = results.as_ref().err().cloned();
    // Numbered one after another however many imports or corrections run at once: the month's
    // numbering is held until the caller's transaction ends.
    conn.lock(&format!("calculation-version:{month}"))?;
    let last: Option<i32> =
        db_run!(conn, |c| calculations::table.filter(calculations::month.eq(&month)).select(diesel::dsl::max(calculations::version)).first(c))?;
    let number = last.unwrap_or(0) + 1;
    db_run!(conn, |c| diesel::insert_into(calculations::table)
        .values((
            calculations::id.eq(&id),
            calculations::month.eq(&month),
            calculations::version.eq(number),
            calculations::import_id.eq(new.import_id),
            calculations::cause.eq(new.cause.as_str()),
            calculations::case_id.eq(new.case_id),
            calculations::created_by.eq(new.created_by),
            calculations::created_at.eq(at),
            calculations::error.eq(&error),
        ))
        .execute(c))?;
    for (position, r) in results.unwrap_or(&[]).iter().enumerate() {
        let threshold = r.threshold_days.map_or(0, |t| t.round_to_hundredths() as i64);
        db_run!(conn, |c| diesel::insert_into(calculation_units::table)
            .values((
                calculation_units::calculation_id.eq(&id),
                calculation_units::position.eq(position as i32),
                calculation_units::municipality_code.eq(r.key.unit.municipality.as_str()),
                calculation_units::district.eq(r.key.unit.district),
                calculation_units::model.eq(r.key.model.as_str()),
                calculation_units::care_provider.eq(&r.key.care_provider),
                calculation_units::episodes_total.eq(r.tally.episodes_total),
                calculation_units::episodes_included.eq(r.tally.episodes_included),
                calculation_units::total_days.eq(r.tally.total_days),
                calculation_units::episodes_with_days.eq(r.tally.episodes_with_days),
                calculation_units::days_over_five.eq(r.tally.days_over_five),
                calculation_units::threshold_hundredths.eq(threshold),
                calculation_units::daily_rate_sek.eq(r.daily_rate_sek.unwrap_or(0)),
                calculation_units::amount_sek.eq(r.amount_sek.unwrap_or(0)),
                calculation_units::rate_known.eq(r.daily_rate_sek.is_some()),
                calculation_units::aged_65_or_over.eq(r.tally.readmissions.map(|x| x.aged_65_or_over)),
                calculation_units::readmitted_within_7_days.eq(r.tally.readmissions.map(|x| x.readmitted)),
            ))
            .execute(c))?;
    }
    Ok(number)
}

macro_rules! version_columns {
    () => {
        (
            calculations::id,
            calculations::month,
            calculations::version,
            calculations::import_id,
            calculations::cause,
            cases::number.nullable(),
            users::name.nullable(),
            calculations::created_at,
            calculations::error,
        )
    };
}

macro_rules! versions_query {
    () => {
        calculations::table
            .left_join(cases::table.on(cases::id.nullable().eq(calculations::case_id)))
            .left_join(users::table.on(users::id.nullable().eq(calculations::created_by)))
            .select(version_columns!())
    };
}

/// The month's versions, newest first.
pub fn versions(conn: &mut DbConn, month: Month) -> QueryResult<Vec<Version>> {
    db_run!(conn, |c| versions_query!().filter(calculations::month.eq(month.to_string())).order(calculations::version.desc()).load(c))
}

/// A version by its number within the month.
pub fn version(conn: &mut DbConn, month: Month, number: i32) -> QueryResult<Option<Calculation>> {
    let found: Option<Version> = db_run!(conn, |c| versions_query!()
        .filter(calculations::month.eq(month.to_string()))
        .filter(calculations::version.eq(number))
        .first(c)
        .optional())?;
    found.map(|v| with_units(conn, v)).transpose()
}

/// The versions a payment dispute's corrections made.
pub fn made_by_case(conn: &mut DbConn, case_id: &str) -> QueryResult<Vec<Version>> {
    db_run!(conn, |c| versions_query!().filter(calculations::case_id.eq(case_id)).order((calculations::month, calculations::version)).load(c))
}

/// A version by its id.
pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Calculation>> {
    let found: Option<Version> = db_run!(conn, |c| versions_query!().filter(calculations::id.eq(id)).first(c).optional())?;
    found.map(|v| with_units(conn, v)).transpose()
}

/// The month's current (newest) version; None when nothing is imported for the month.
pub fn current(conn: &mut DbConn, month: Month) -> QueryResult<Option<Calculation>> {
    let found: Option<Version> = db_run!(conn, |c| versions_query!()
        .filter(calculations::month.eq(month.to_string()))
        .order(calculations::version.desc())
        .first(c)
        .optional())?;
    found.map(|v| with_units(conn, v)).transpose()
}

type UnitRow = (String, Option<String>, String, Option<String>, (i64, i64, i64, i64, i64), (Option<i64>, Option<i64>), i64, i64, bool);

/// A version with its units (or its error).
pub fn with_units(conn: &mut DbConn, version: Version) -> QueryResult<Calculation> {
    if let Some(error) = &version.error {
        return Ok(Calculation { results: Err(error.clone()), version });
    }
    let rows: Vec<UnitRow> = db_run!(conn, |c| calculation_units::table
        .filter(calculation_units::calculation_id.eq(&version.id))
        .order(calculation_units::position)
        .select((
            calculation_units::municipality_code,
            calculation_units::district,
            calculation_units::model,
            calculation_units::care_provider,
            (
                calculation_units::episodes_total,
                calculation_units::episodes_included,
                calculation_units::total_days,
                calculation_units::episodes_with_days,
                calculation_units::days_over_five,
            ),
            (calculation_units::aged_65_or_over, calculation_units::readmitted_within_7_days),
            calculation_units::threshold_hundredths,
            calculation_units::daily_rate_sek,
            calculation_units::rate_known,
        ))
        .load(c))?;
    Ok(Calculation { results: Ok(rows.into_iter().filter_map(unit_from_row).collect()), version })
}

fn unit_from_row(row: UnitRow) -> Option<UnitResult> {
    let (
        code,
        district,
        model,
        care_provider,
        (episodes_total, episodes_included, total_days, episodes_with_days, days_over_five),
        (aged_65_or_over, readmitted),
        threshold,
        rate,
        rate_known,
    ) = row;
    let district = match district {
        Some(name) => Some(DISTRICTS.iter().find(|d| d.name == name)?.name),
        None => None,
    };
    let key = UnitKey {
        unit: PayingUnit { municipality: MunicipalityCode::parse(&code)?, district },
        model: if model == Model::Individual.as_str() { Model::Individual } else { Model::Average },
        care_provider,
    };
    let readmissions = aged_65_or_over.zip(readmitted).map(|(aged_65_or_over, readmitted)| Readmissions { aged_65_or_over, readmitted });
    let tally = Tally { episodes_total, episodes_included, total_days, episodes_with_days, days_over_five, readmissions };
    Some(settle(key, tally, Fraction::hundredths(threshold as i128), rate_known.then_some(rate)))
}
