//! The second factor of password accounts: the TOTP secret, its recovery codes, and the
//! short-lived challenge between a right password and a right code.

use super::sessions::ThroughProvider;
use super::{now, DbConn, QueryResult};
use crate::db::schema::{login_challenges, recovery_codes, users};
use crate::db_run;
use crate::security::{random_token, recovery_code_hash, token_hash};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// How long the code form works after the password was right.
pub const CHALLENGE_MINUTES: i64 = 5;

/// A user's TOTP state: the secret (pending until confirmed), whether it is confirmed, and
/// the last accepted time step.
pub struct Totp {
    pub secret: String,
    pub enabled: bool,
    pub last_step: Option<i64>,
}

pub fn totp(conn: &mut DbConn, user_id: &str) -> QueryResult<Option<Totp>> {
    let row: Option<(Option<String>, Option<NaiveDateTime>, Option<i64>)> = db_run!(conn, |c| users::table
        .find(user_id)
        .select((users::totp_secret, users::totp_enabled_at, users::totp_last_step))
        .first(c)
        .optional())?;
    Ok(row.and_then(|(secret, enabled_at, last_step)| secret.map(|secret| Totp { secret, enabled: enabled_at.is_some(), last_step })))
}

/// Keeps a new secret for the user to confirm; refused (false) once one is confirmed.
pub fn begin_enrolment(conn: &mut DbConn, user_id: &str, secret: &str) -> QueryResult<bool> {
    let changed = db_run!(conn, |c| diesel::update(users::table.find(user_id).filter(users::totp_enabled_at.is_null()))
        .set(users::totp_secret.eq(secret))
        .execute(c))?;
    Ok(changed == 1)
}

/// Confirms the pending secret with the step of a right code and replaces the recovery
/// codes (only their hashes are kept).
pub fn confirm(conn: &mut DbConn, user_id: &str, step: i64, codes: &[String]) -> QueryResult<()> {
    let at = now();
    db_run!(conn, |c| diesel::update(users::table.find(user_id))
        .set((users::totp_enabled_at.eq(Some(at)), users::totp_last_step.eq(Some(step))))
        .execute(c))?;
    db_run!(conn, |c| diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(c))?;
    for code in codes {
        let hash = recovery_code_hash(code);
        db_run!(conn, |c| diesel::insert_into(recovery_codes::table)
            .values((recovery_codes::code_hash.eq(hash), recovery_codes::user_id.eq(user_id)))
            .execute(c))?;
    }
    Ok(())
}

/// Takes the time step of a right code, unless that step (or a later one) was already used:
/// one conditional update, so two requests with the same code cannot both pass.
pub fn accept_step(conn: &mut DbConn, user_id: &str, step: i64) -> QueryResult<bool> {
    let changed =
        db_run!(conn, |c| diesel::update(users::table.find(user_id).filter(users::totp_last_step.is_null().or(users::totp_last_step.lt(step))))
            .set(users::totp_last_step.eq(Some(step)))
            .execute(c))?;
    Ok(changed == 1)
}

/// Spends a recovery code; true if it was the user's and unused.
pub fn spend_recovery_code(conn: &mut DbConn, user_id: &str, typed: &str) -> QueryResult<bool> {
    let hash = recovery_code_hash(typed);
    let at = now();
    let changed = db_run!(conn, |c| diesel::update(
        recovery_codes::table
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::used_at.is_null())
    )
    .set(recovery_codes::used_at.eq(Some(at)))
    .execute(c))?;
    Ok(changed == 1)
}

pub fn unused_recovery_codes(conn: &mut DbConn, user_id: &str) -> QueryResult<i64> {
    db_run!(conn, |c| recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(c))
}

/// Turns the second factor off (and forgets the secret and the codes).
pub fn remove(conn: &mut DbConn, user_id: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(users::table.find(user_id))
        .set((users::totp_secret.eq(None::<String>), users::totp_enabled_at.eq(None::<NaiveDateTime>), users::totp_last_step.eq(None::<i64>)))
        .execute(c))?;
    db_run!(conn, |c| diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id))).execute(c))?;
    Ok(())
}

/// A challenge for a user whose password was right, or who signed in through `provider`;
/// returns the token for the cookie.
pub fn create_challenge(conn: &mut DbConn, user_id: &str, provider: Option<&ThroughProvider>) -> QueryResult<String> {
    let token = random_token();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(login_challenges::table)
        .values((
            login_challenges::token_hash.eq(token_hash(&token)),
            login_challenges::user_id.eq(user_id),
            login_challenges::created_at.eq(at),
            login_challenges::provider_id.eq(provider.map(|p| &p.provider_id)),
            login_challenges::id_token.eq(provider.map(|p| &p.id_token)),
        ))
        .execute(c))?;
    Ok(token)
}

/// The user a live challenge is for, and the provider they came through.
pub fn challenge_user(conn: &mut DbConn, token: &str) -> QueryResult<Option<(String, Option<ThroughProvider>)>> {
    let since = now() - Duration::minutes(CHALLENGE_MINUTES);
    let found: Option<(String, Option<String>, Option<String>)> = db_run!(conn, |c| login_challenges::table
        .filter(login_challenges::token_hash.eq(token_hash(token)))
        .filter(login_challenges::created_at.ge(since))
        .select((login_challenges::user_id, login_challenges::provider_id, login_challenges::id_token))
        .first(c)
        .optional())?;
    Ok(found.map(|(user_id, provider_id, id_token)| (user_id, ThroughProvider::from_columns(provider_id, id_token))))
}

/// Ends a challenge, and any of the user's that have run out.
pub fn end_challenge(conn: &mut DbConn, token: &str) -> QueryResult<()> {
    let since = now() - Duration::minutes(CHALLENGE_MINUTES);
    db_run!(conn, |c| diesel::delete(
        login_challenges::table.filter(login_challenges::token_hash.eq(token_hash(token)).or(login_challenges::created_at.lt(since)))
    )
    .execute(c))?;
    Ok(())
}
