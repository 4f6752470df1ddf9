//! The county-wide register of VIS interpretations (domain.md §3.1, level 4): every
//! signed-in user reads it; the case behind an entry stays visible only to those who may
//! see the case.

use super::{new_id, now, DbConn, QueryResult};
use crate::db::schema::{cases, interpretation_commitments, interpretations};
use crate::db_run;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = interpretations)]
struct Row {
    id: String,
    number: String,
    decided_on: NaiveDate,
    protocol: String,
    question: String,
    interpretation: String,
    corrects_id: Option<String>,
    created_at: NaiveDateTime,
}

/// One entry of the register with the case it came from and the commitments it concerns.
#[derive(Debug, Clone)]
pub struct Interpretation {
    pub id: String,
    /// `TOLK-2026-0001`.
    pub number: String,
    /// The day VIS decided (its meeting).
    pub decided_on: NaiveDate,
    /// The VIS meeting's protocol and paragraph.
    pub protocol: String,
    pub question: String,
    pub interpretation: String,
    /// The number of the entry this one corrects.
    pub corrects: Option<String>,
    pub case_number: String,
    pub commitment_ids: Vec<String>,
    pub created_at: NaiveDateTime,
}

pub struct NewInterpretation<'a> {
    pub case_id: &'a str,
    pub decision_id: &'a str,
    pub decided_on: NaiveDate,
    pub protocol: &'a str,
    pub question: &'a str,
    pub interpretation: &'a str,
    /// The entry a corrected decision replaces (the secretariat's correction points at it).
    pub corrects_id: Option<&'a str>,
    pub commitment_ids: &'a [String],
}

const PREFIX: &str = "TOLK";

/// Enters a VIS interpretation in the register (inside the caller's transaction); returns its number.
pub fn register(conn: &mut DbConn, new: &NewInterpretation) -> QueryResult<String> {
    let number = super::cases::next_number(conn, PREFIX, chrono::Datelike::year(&new.decided_on))?;
    let id = new_id();
    let search = format!("{number} {} {} {}", new.question, new.interpretation, new.protocol).to_lowercase();
    db_run!(conn, |c| diesel::insert_into(interpretations::table)
        .values((
            interpretations::id.eq(&id),
            interpretations::number.eq(&number),
            interpretations::case_id.eq(new.case_id),
            interpretations::decision_id.eq(new.decision_id),
            interpretations::decided_on.eq(new.decided_on),
            interpretations::protocol.eq(new.protocol),
            interpretations::question.eq(new.question),
            interpretations::interpretation.eq(new.interpretation),
            interpretations::corrects_id.eq(new.corrects_id),
            interpretations::search_text.eq(&search),
            interpretations::created_at.eq(now()),
        ))
        .execute(c))?;
    for commitment in new.commitment_ids {
        db_run!(conn, |c| diesel::insert_into(interpretation_commitments::table)
            .values((interpretation_commitments::interpretation_id.eq(&id), interpretation_commitments::commitment_id.eq(commitment)))
            .execute(c))?;
    }
    Ok(number)
}

/// The entry made from a decision, if any (a correction of that decision points at it).
pub fn by_decision(conn: &mut DbConn, decision_id: &str) -> QueryResult<Option<String>> {
    db_run!(conn, |c| interpretations::table.filter(interpretations::decision_id.eq(decision_id)).select(interpretations::id).first(c).optional())
}

/// What to look for in the register.
#[derive(Debug, Default, Clone)]
pub struct Search {
    /// Words anywhere in the number, question, interpretation or protocol.
    pub text: Option<String>,
    pub commitment: Option<String>,
}

/// Entries matching `search`, newest first.
pub fn search(conn: &mut DbConn, search: &Search) -> QueryResult<Vec<Interpretation>> {
    let words: Vec<String> = search
        .text
        .as_deref()
        .unwrap_or("")
        .to_lowercase()
        .split_whitespace()
        .take(10)
        .map(|word| format!("%{}%", word.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")))
        .collect();
    let commitment = search.commitment.clone();
    // Built per backend: a boxed query belongs to one.
    let rows: Vec<(Row, String)> = db_run!(conn, |c| {
        let mut query = interpretations::table.inner_join(cases::table).into_boxed();
        for pattern in &words {
            query = query.filter(interpretations::search_text.like(pattern.clone()).escape('\\'));
        }
        if let Some(commitment) = &commitment {
            let concerned = interpretation_commitments::table
                .filter(interpretation_commitments::commitment_id.eq(commitment.clone()))
                .select(interpretation_commitments::interpretation_id);
            query = query.filter(interpretations::id.eq_any(concerned));
        }
        query.order((interpretations::decided_on.desc(), interpretations::number.desc())).limit(500).select((Row::as_select(), cases::number)).load(c)
    })?;
    completed(conn, rows)
}

/// The entries that concern a commitment: the precedent offered when someone files against it.
/// [`search`] for one commitment, written out: a boxed query is written anew on every call
/// (every case page asks this, and 8 % of the page went to it), this one is not.
pub fn concerning(conn: &mut DbConn, commitment_id: &str) -> QueryResult<Vec<Interpretation>> {
    let rows = db_run!(conn, |c| interpretations::table
        .inner_join(cases::table)
        .filter(
            interpretations::id.eq_any(
                interpretation_commitments::table
                    .filter(interpretation_commitments::commitment_id.eq(commitment_id))
                    .select(interpretation_commitments::interpretation_id),
            ),
        )
        .order((interpretations::decided_on.desc(), interpretations::number.desc()))
        .limit(500)
        .select((Row::as_select(), cases::number))
        .load(c))?;
    completed(conn, rows)
}

/// Found entries with the commitments they concern and the numbers of the entries they correct.
fn completed(conn: &mut DbConn, rows: Vec<(Row, String)>) -> QueryResult<Vec<Interpretation>> {
    let ids: Vec<String> = rows.iter().map(|(r, _)| r.id.clone()).collect();
    // Nothing found, nothing to ask (the case page asks for its commitment's interpretations
    // on every view, and most commitments have none): an `IN` over a list is prepared anew
    // on every call.
    let links: Vec<(String, String)> = if ids.is_empty() {
        Vec::new()
    } else {
        db_run!(conn, |c| interpretation_commitments::table
            .filter(interpretation_commitments::interpretation_id.eq_any(&ids))
            .order(interpretation_commitments::commitment_id)
            .select((interpretation_commitments::interpretation_id, interpretation_commitments::commitment_id))
            .load(c))?
    };
    // The entries that those found correct may lie outside the search: looked up by id.
    let corrected: Vec<&String> = rows.iter().filter_map(|(r, _)| r.corrects_id.as_ref()).collect();
    let corrected_numbers: std::collections::HashMap<String, String> = if corrected.is_empty() {
        Default::default()
    } else {
        db_run!(conn, |c| interpretations::table
            .filter(interpretations::id.eq_any(&corrected))
            .select((interpretations::id, interpretations::number))
            .load::<(String, String)>(c))?
        .into_iter()
        .collect()
    };
    Ok(rows
        .into_iter()
        .map(|(row, case_number)| Interpretation {
            commitment_ids: links.iter().filter(|(i, _)| *i == row.id).map(|(_, c)| c.clone()).collect(),
            corrects: row.corrects_id.as_ref().and_then(|id| corrected_numbers.get(id).cloned()),
            id: row.id,
            number: row.number,
            decided_on: row.decided_on,
            protocol: row.protocol,
            question: row.question,
            interpretation: row.interpretation,
            case_number,
            created_at: row.created_at,
        })
        .collect())
}
