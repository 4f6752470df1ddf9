//! Payment disputes about a stored calculation, and the episodes they contest.

use super::{now, DbConn, QueryResult};
use crate::db::schema::{case_calculations, contested_episodes};
use crate::db_run;
use crate::domain::payment::{Claim, ContestReason};
use diesel::prelude::*;

/// Which calculation a dispute is about: the version, and the paying unit's organisation.
#[derive(Debug, Clone, Queryable)]
pub struct CalculationLink {
    pub calculation_id: String,
    pub organisation_id: String,
    /// Which of the unit's rows (`domain::review::row_key`).
    pub row_key: String,
}

pub fn link(conn: &mut DbConn, case_id: &str, link: &CalculationLink) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(case_calculations::table)
        .values((
            case_calculations::case_id.eq(case_id),
            case_calculations::calculation_id.eq(&link.calculation_id),
            case_calculations::organisation_id.eq(&link.organisation_id),
            case_calculations::row_key.eq(&link.row_key),
        ))
        .execute(c))?;
    Ok(())
}

pub fn linked(conn: &mut DbConn, case_id: &str) -> QueryResult<Option<CalculationLink>> {
    db_run!(conn, |c| case_calculations::table
        .find(case_id)
        .select((case_calculations::calculation_id, case_calculations::organisation_id, case_calculations::row_key))
        .first(c)
        .optional())
}

/// Contests an episode, replacing an earlier claim on the same episode.
pub fn contest(conn: &mut DbConn, case_id: &str, claim: &Claim, user_id: &str) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::delete(contested_episodes::table.find((case_id, &claim.episode_id))).execute(c))?;
    db_run!(conn, |c| diesel::insert_into(contested_episodes::table)
        .values((
            contested_episodes::case_id.eq(case_id),
            contested_episodes::episode_id.eq(&claim.episode_id),
            contested_episodes::reason.eq(claim.reason.as_str()),
            contested_episodes::corrected_value.eq(&claim.corrected),
            contested_episodes::contested_by.eq(user_id),
            contested_episodes::contested_at.eq(at),
        ))
        .execute(c))?;
    Ok(())
}

/// A contested episode, and whether HSF agreed to the claim when it applied corrections.
pub struct Contested {
    pub claim: Claim,
    pub agreed: Option<bool>,
}

pub fn claims(conn: &mut DbConn, case_id: &str) -> QueryResult<Vec<Contested>> {
    let rows: Vec<(String, String, Option<String>, Option<String>)> = db_run!(conn, |c| contested_episodes::table
        .filter(contested_episodes::case_id.eq(case_id))
        .order(contested_episodes::episode_id)
        .select((contested_episodes::episode_id, contested_episodes::reason, contested_episodes::corrected_value, contested_episodes::outcome))
        .load(c))?;
    Ok(rows
        .into_iter()
        .filter_map(|(episode_id, reason, corrected, outcome)| {
            let claim = Claim { episode_id, reason: ContestReason::parse(&reason)?, corrected };
            Some(Contested { claim, agreed: outcome.map(|o| o == AGREED) })
        })
        .collect())
}

const AGREED: &str = "agreed";
const REJECTED: &str = "rejected";

/// Records, once corrections are applied, which claims HSF agreed to and which it did not.
pub fn settle_claims(conn: &mut DbConn, case_id: &str, agreed: &[String]) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(contested_episodes::table.filter(contested_episodes::case_id.eq(case_id)))
        .set(contested_episodes::outcome.eq(REJECTED))
        .execute(c))?;
    db_run!(conn, |c| diesel::update(
        contested_episodes::table.filter(contested_episodes::case_id.eq(case_id)).filter(contested_episodes::episode_id.eq_any(agreed))
    )
    .set(contested_episodes::outcome.eq(AGREED))
    .execute(c))?;
    Ok(())
}
