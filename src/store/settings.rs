//! The payment model's settings: daily amounts per year and the dates and figures decided
//! outside the model.

use super::{now, DbConn, QueryResult};
use crate::db::schema::{daily_rates, payment_settings};
use crate::db_run;
use crate::domain::payment::{Fraction, Rules};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable)]
pub struct DailyRate {
    pub year: i32,
    pub amount_sek: i64,
    pub source: String,
    pub entered_at: NaiveDateTime,
}

pub fn daily_rates(conn: &mut DbConn) -> QueryResult<Vec<DailyRate>> {
    db_run!(conn, |c| daily_rates::table.order(daily_rates::year).load(c))
}

/// Enters or replaces the daily amount of a year.
pub fn set_daily_rate(conn: &mut DbConn, year: i32, amount: i64, source: &str) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::delete(daily_rates::table.find(year)).execute(c))?;
    db_run!(conn, |c| diesel::insert_into(daily_rates::table)
        .values((daily_rates::year.eq(year), daily_rates::amount_sek.eq(amount), daily_rates::source.eq(source), daily_rates::entered_at.eq(at)))
        .execute(c))?;
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub county_average_oct_2020: Option<Fraction>,
    pub payment_responsibility_from: Option<NaiveDate>,
    pub psychiatric_transition_end: NaiveDate,
}

pub fn settings(conn: &mut DbConn) -> QueryResult<Settings> {
    let (average, from, end): (Option<i64>, Option<NaiveDate>, NaiveDate) = db_run!(conn, |c| payment_settings::table
        .find(1)
        .select((
            payment_settings::county_average_oct_2020_hundredths,
            payment_settings::payment_responsibility_from,
            payment_settings::psychiatric_transition_end,
        ))
        .first(c))?;
    Ok(Settings {
        county_average_oct_2020: average.map(|h| Fraction::hundredths(h as i128)),
        payment_responsibility_from: from,
        psychiatric_transition_end: end,
    })
}

pub fn save_settings(conn: &mut DbConn, settings: &Settings) -> QueryResult<()> {
    let average = settings.county_average_oct_2020.map(|f| f.round_to_hundredths() as i64);
    db_run!(conn, |c| diesel::update(payment_settings::table.find(1))
        .set((
            payment_settings::county_average_oct_2020_hundredths.eq(average),
            payment_settings::payment_responsibility_from.eq(settings.payment_responsibility_from),
            payment_settings::psychiatric_transition_end.eq(settings.psychiatric_transition_end),
        ))
        .execute(c))?;
    Ok(())
}

/// The rules as the administrators have set them.
pub fn rules(conn: &mut DbConn) -> QueryResult<Rules> {
    let settings = settings(conn)?;
    Ok(Rules {
        psychiatric_transition_end: settings.psychiatric_transition_end,
        county_average_oct_2020: settings.county_average_oct_2020,
        daily_rates: daily_rates(conn)?.into_iter().map(|r| (r.year, r.amount_sek)).collect(),
    })
}
