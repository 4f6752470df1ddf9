//! Review bases (granskningsunderlag) and the paying units' answers to them.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{review_bases, review_responses};
use crate::db_run;
use crate::domain::review::ReviewAnswer;
use chrono::NaiveDate;
use diesel::prelude::*;

/// A published calculation version with its planned invoice date.
#[derive(Debug, Clone, Queryable)]
pub struct ReviewBasis {
    pub id: String,
    pub month: String,
    pub calculation_id: String,
    pub invoice_date: NaiveDate,
}

impl ReviewBasis {
    /// The units answer until the invoice date (`domain::review`).
    pub fn last_day_to_answer(&self) -> NaiveDate {
        crate::domain::review::last_day_to_answer(self.invoice_date)
    }

    pub fn open(&self, today: NaiveDate) -> bool {
        crate::domain::review::open(today, self.invoice_date)
    }

    pub fn invoiced(&self, today: NaiveDate) -> bool {
        crate::domain::review::invoiced(today, self.invoice_date)
    }
}

pub fn publish(conn: &mut DbConn, month: &str, calculation_id: &str, invoice_date: NaiveDate, user_id: &str) -> QueryResult<String> {
    let id = new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(review_bases::table)
        .values((
            review_bases::id.eq(&id),
            review_bases::month.eq(month),
            review_bases::calculation_id.eq(calculation_id),
            review_bases::invoice_date.eq(invoice_date),
            review_bases::published_by.eq(user_id),
            review_bases::published_at.eq(at),
        ))
        .execute(c))?;
    Ok(id)
}

/// Published bases, newest month first; for each month only the newest publication.
pub fn published(conn: &mut DbConn) -> QueryResult<Vec<ReviewBasis>> {
    let all: Vec<ReviewBasis> = db_run!(conn, |c| review_bases::table
        .order((review_bases::month.desc(), review_bases::id.desc()))
        .select((review_bases::id, review_bases::month, review_bases::calculation_id, review_bases::invoice_date))
        .load(c))?;
    let mut newest: Vec<ReviewBasis> = Vec::new();
    for basis in all {
        if newest.last().is_none_or(|b| b.month != basis.month) {
            newest.push(basis);
        }
    }
    Ok(newest)
}

/// The month's invoice basis on `today`: the newest publication whose invoice date has come.
pub fn invoiced(conn: &mut DbConn, month: &str, today: NaiveDate) -> QueryResult<Option<ReviewBasis>> {
    db_run!(conn, |c| review_bases::table
        .filter(review_bases::month.eq(month))
        .filter(review_bases::invoice_date.le(today))
        .order((review_bases::invoice_date.desc(), review_bases::id.desc()))
        .select((review_bases::id, review_bases::month, review_bases::calculation_id, review_bases::invoice_date))
        .first(c)
        .optional())
}

/// Whether a version has been published already.
pub fn is_published(conn: &mut DbConn, calculation_id: &str) -> QueryResult<bool> {
    let n: i64 = db_run!(conn, |c| review_bases::table.filter(review_bases::calculation_id.eq(calculation_id)).count().get_result(c))?;
    Ok(n > 0)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReviewBasis>> {
    db_run!(conn, |c| review_bases::table
        .find(id)
        .select((review_bases::id, review_bases::month, review_bases::calculation_id, review_bases::invoice_date))
        .first(c)
        .optional())
}

/// The answer to one row of a unit's basis (an answer given for the whole unit before rows
/// were answered one by one counts for each of its rows).
pub fn response(conn: &mut DbConn, basis_id: &str, organisation_id: &str, row_key: &str) -> QueryResult<Option<ReviewAnswer>> {
    db_run!(conn, |c| review_responses::table
        .filter(review_responses::review_basis_id.eq(basis_id))
        .filter(review_responses::organisation_id.eq(organisation_id))
        .filter(review_responses::row_key.eq(row_key).or(review_responses::row_key.eq(crate::domain::review::WHOLE_UNIT)))
        .select(review_responses::response)
        .first(c)
        .optional())
}

pub fn respond(conn: &mut DbConn, basis_id: &str, organisation_id: &str, row_key: &str, response: ReviewAnswer, user_id: &str) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::insert_into(review_responses::table)
        .values((
            review_responses::review_basis_id.eq(basis_id),
            review_responses::organisation_id.eq(organisation_id),
            review_responses::row_key.eq(row_key),
            review_responses::response.eq(response.as_str()),
            review_responses::responded_by.eq(user_id),
            review_responses::responded_at.eq(at),
        ))
        .execute(c))?;
    Ok(())
}
