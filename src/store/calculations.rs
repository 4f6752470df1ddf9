//! A month's calculation per import version, stored when the import is made.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{calculation_units, calculations};
use crate::db_run;
use crate::domain::payment::{settle, Fraction, Model, Month, PayingUnit, Tally, UnitKey, UnitResult};
use crate::domain::registry::{MunicipalityCode, DISTRICTS};
use diesel::prelude::*;

/// Stores a month's results, or why it could not be calculated, for an import.
pub fn save(conn: &mut DbConn, month: Month, import_id: &str, results: Result<&[UnitResult], String>) -> QueryResult<()> {
    let id = new_id();
    let at = now();
    let error = results.as_ref().err().cloned();
    db_run!(conn, |c| diesel::insert_into(calculations::table)
        .values((
            calculations::id.eq(&id),
            calculations::month.eq(month.to_string()),
            calculations::import_id.eq(import_id),
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
                calculation_units::daily_rate_sek.eq(r.daily_rate_sek),
                calculation_units::amount_sek.eq(r.amount_sek),
            ))
            .execute(c))?;
    }
    Ok(())
}

type UnitRow = (String, Option<String>, String, Option<String>, (i64, i64, i64, i64, i64), i64, i64);

/// The month's calculation in its current version: the units, or why it failed. None when
/// nothing is imported for the month.
pub fn current(conn: &mut DbConn, month: Month) -> QueryResult<Option<Result<Vec<UnitResult>, String>>> {
    let Some(import) = super::episodes::current_import(conn, month)? else { return Ok(None) };
    for_import(conn, month, &import)
}

/// The month's calculation from a given import version.
pub fn for_import(conn: &mut DbConn, month: Month, import: &str) -> QueryResult<Option<Result<Vec<UnitResult>, String>>> {
    let found: Option<(String, Option<String>)> = db_run!(conn, |c| calculations::table
        .filter(calculations::month.eq(month.to_string()))
        .filter(calculations::import_id.eq(import))
        .select((calculations::id, calculations::error))
        .first(c)
        .optional())?;
    let Some((id, error)) = found else { return Ok(None) };
    if let Some(error) = error {
        return Ok(Some(Err(error)));
    }
    let rows: Vec<UnitRow> = db_run!(conn, |c| calculation_units::table
        .filter(calculation_units::calculation_id.eq(&id))
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
            calculation_units::threshold_hundredths,
            calculation_units::daily_rate_sek,
        ))
        .load(c))?;
    Ok(Some(Ok(rows.into_iter().filter_map(unit_from_row).collect())))
}

fn unit_from_row(row: UnitRow) -> Option<UnitResult> {
    let (code, district, model, care_provider, (episodes_total, episodes_included, total_days, episodes_with_days, days_over_five), threshold, rate) =
        row;
    let district = match district {
        Some(name) => Some(DISTRICTS.iter().find(|d| d.name == name)?.name),
        None => None,
    };
    let key = UnitKey {
        unit: PayingUnit { municipality: MunicipalityCode::parse(&code)?, district },
        model: if model == Model::Individual.as_str() { Model::Individual } else { Model::Average },
        care_provider,
    };
    let tally = Tally { episodes_total, episodes_included, total_days, episodes_with_days, days_over_five };
    Some(settle(key, tally, Fraction::hundredths(threshold as i128), rate))
}
