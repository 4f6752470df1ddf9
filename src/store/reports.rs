//! What the follow-up reports read: the cases of a period (filed, closed, escalated in it),
//! the decisions of structural deviations, and the payment disputes per month and unit.
//! Counting is done by the database (grouped counts), so a report over 100 000 cases reads
//! a few hundred rows plus one timestamp per case.

use super::{DbConn, QueryResult};
use crate::db::schema::{calculations, case_calculations, case_decisions, case_events, case_parties, cases};
use crate::db_run;
use crate::domain::ladder::{CaseKind, Command, EventKind, Level, Outcome, Status};
use crate::domain::reports::Period;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// The UTC instants that bound a period of Stockholm dates: [first midnight, midnight after).
fn utc_bounds(period: Period) -> (NaiveDateTime, NaiveDateTime) {
    (super::stockholm_midnight(period.from), super::stockholm_midnight(period.to.succ_opt().unwrap_or(period.to)))
}

// The ids of the cases one of whose parties is in `orgs`.
macro_rules! cases_with_party_in {
    ($orgs:expr) => {
        case_parties::table.filter(case_parties::organisation_id.eq_any($orgs.to_vec())).select(case_parties::case_id)
    };
}

// Only cases one of whose parties is in `visible` (None: the county).
macro_rules! visible_cases {
    ($query:expr, $visible:expr) => {{
        let mut query = $query.into_boxed();
        if let Some(orgs) = $visible {
            query = query.filter(cases::id.eq_any(cases_with_party_in!(orgs)));
        }
        query
    }};
}

// The cases filed in the period that the user sees.
macro_rules! filed_in {
    ($period:expr, $visible:expr) => {{
        let (from, until) = utc_bounds($period);
        visible_cases!(cases::table.filter(cases::created_at.ge(from)).filter(cases::created_at.lt(until)), $visible)
    }};
}

/// Kind, commitment, level, status, and how many cases share them.
pub type FiledCount = (CaseKind, Option<String>, Level, Status, i64);

/// The cases filed in the period, counted per kind, commitment, level and status. (Diesel
/// groups only unboxed queries, hence the two branches.)
pub fn filed_groups(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<FiledCount>> {
    let (from, until) = utc_bounds(period);
    let columns = (cases::kind, cases::commitment_id, cases::level, cases::status);
    db_run!(conn, |c| {
        let filed = cases::table.filter(cases::created_at.ge(from)).filter(cases::created_at.lt(until));
        let counted = (columns.0, columns.1, columns.2, columns.3, diesel::dsl::count_star());
        match visible {
            None => filed.group_by(columns).select(counted).load(c),
            Some(orgs) => filed.filter(cases::id.eq_any(cases_with_party_in!(orgs))).group_by(columns).select(counted).load(c),
        }
    })
}

/// How many of the cases filed in the period are open with their deadline passed.
pub fn overdue(conn: &mut DbConn, period: Period, visible: Option<&[String]>, today: NaiveDate) -> QueryResult<i64> {
    db_run!(conn, |c| filed_in!(period, visible)
        .filter(cases::status.ne(crate::domain::ladder::Status::Closed.as_str()))
        .filter(cases::deadline_on.lt(today))
        .count()
        .get_result(c))
}

/// When each case of the period was filed (to count them per month).
pub fn filing_times(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<NaiveDateTime>> {
    db_run!(conn, |c| filed_in!(period, visible).select(cases::created_at).load(c))
}

/// Per party organisation, the cases filed in the period it is a party to (an organisation
/// is a party to a case once). Party rows carry their case's filing time, so this reads them
/// without a join.
pub fn by_party(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<(String, i64)>> {
    let (from, until) = utc_bounds(period);
    db_run!(conn, |c| {
        let rows = case_parties::table.filter(case_parties::case_created_at.ge(from)).filter(case_parties::case_created_at.lt(until));
        let counted = (case_parties::organisation_id, diesel::dsl::count_star());
        match visible {
            None => rows.group_by(case_parties::organisation_id).select(counted).load(c),
            Some(orgs) => {
                let seen = diesel::alias!(case_parties as seen);
                let parties = seen.filter(seen.field(case_parties::organisation_id).eq_any(orgs.to_vec())).select(seen.field(case_parties::case_id));
                rows.filter(case_parties::case_id.eq_any(parties)).group_by(case_parties::organisation_id).select(counted).load(c)
            }
        }
    })
}

/// A structural deviation filed in the period: principled, or lifted past Storsthlm/HSF
/// (`domain::reports::is_structural`, here as a filter).
#[derive(Debug, Clone, Queryable)]
pub struct Structural {
    pub id: String,
    pub number: String,
    pub title: String,
    pub kind: CaseKind,
    pub level: Level,
    pub principled: bool,
}

pub fn structural(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<Structural>> {
    db_run!(conn, |c| filed_in!(period, visible)
        .filter(cases::kind.ne(CaseKind::PaymentDispute.as_str()))
        .filter(cases::principled.eq(true).or(cases::level.eq_any([Level::Steering.as_str(), Level::Vis.as_str()])))
        .order(cases::created_at)
        .select((cases::id, cases::number, cases::title, cases::kind, cases::level, cases::principled))
        .load(c))
}

/// Cases closed in the period: the level they were closed at, filed and closed when.
pub fn closed(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<(Level, NaiveDateTime, NaiveDateTime)>> {
    let (from, until) = utc_bounds(period);
    let rows: Vec<(Level, NaiveDateTime, Option<NaiveDateTime>)> =
        db_run!(conn, |c| visible_cases!(cases::table.filter(cases::closed_at.ge(from)).filter(cases::closed_at.lt(until)), visible)
            .select((cases::level, cases::created_at, cases::closed_at))
            .load(c))?;
    Ok(rows.into_iter().filter_map(|(level, filed, closed)| Some((level, filed, closed?))).collect())
}

/// The levels cases were lifted to in the period (one entry per escalation).
pub fn escalations(conn: &mut DbConn, period: Period, visible: Option<&[String]>) -> QueryResult<Vec<Level>> {
    let (from, until) = utc_bounds(period);
    let rows: Vec<Option<Level>> = db_run!(conn, |c| {
        let mut query = case_events::table
            .filter(case_events::action.eq(EventKind::Step(Command::Escalate).as_str()))
            .filter(case_events::at.ge(from))
            .filter(case_events::at.lt(until))
            .into_boxed();
        if let Some(orgs) = visible {
            query = query.filter(case_events::case_id.eq_any(cases_with_party_in!(orgs)));
        }
        query.select(case_events::to_level).load(c)
    })?;
    Ok(rows.into_iter().flatten().collect())
}

/// A decision as the report lists it: (case id, level, decided on, reference, outcome).
pub type DecisionLine = (String, Level, NaiveDate, String, Outcome);

/// The decisions of the given cases, oldest first.
pub fn decisions_of(conn: &mut DbConn, case_ids: &[String]) -> QueryResult<Vec<DecisionLine>> {
    let mut all = Vec::new();
    for chunk in case_ids.chunks(500) {
        let rows: Vec<DecisionLine> = db_run!(conn, |c| case_decisions::table
            .filter(case_decisions::case_id.eq_any(chunk.to_vec()))
            .order(case_decisions::recorded_at)
            .select((case_decisions::case_id, case_decisions::level, case_decisions::decided_on, case_decisions::reference, case_decisions::outcome))
            .load(c))?;
        all.extend(rows);
    }
    Ok(all)
}

/// A payment dispute about a month's calculation: month, the disputing unit's organisation,
/// case number, disputed amount, status, and the outcome of its latest decision if any.
#[derive(Debug, Clone)]
pub struct MonthDispute {
    pub month: String,
    pub organisation_id: String,
    pub number: String,
    pub amount_sek: i64,
    pub status: Status,
    pub outcome: Option<Outcome>,
}

pub fn disputes_in(conn: &mut DbConn, months: &[String]) -> QueryResult<Vec<MonthDispute>> {
    let rows: Vec<(String, String, String, String, Option<i64>, Status)> = db_run!(conn, |c| case_calculations::table
        .inner_join(calculations::table.on(calculations::id.eq(case_calculations::calculation_id)))
        .inner_join(cases::table.on(cases::id.eq(case_calculations::case_id)))
        .filter(calculations::month.eq_any(months.to_vec()))
        .order(cases::number)
        .select((calculations::month, case_calculations::organisation_id, cases::id, cases::number, cases::amount_sek, cases::status))
        .load(c))?;
    let ids: Vec<String> = rows.iter().map(|r| r.2.clone()).collect();
    let decisions = decisions_of(conn, &ids)?;
    Ok(rows
        .into_iter()
        .map(|(month, organisation_id, id, number, amount, status)| MonthDispute {
            outcome: decisions.iter().rev().find(|d| d.0 == id).map(|d| d.4),
            month,
            organisation_id,
            number,
            amount_sek: amount.unwrap_or(0),
            status,
        })
        .collect())
}
