use super::{now, DbConn, QueryResult};
use crate::db::schema::password_resets;
use crate::db_run;
use crate::security::{random_token, token_hash};
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// A one-time link token valid for `valid_for`; returns the token for the link.
pub fn create(conn: &mut DbConn, user_id: &str, valid_for: Duration) -> QueryResult<String> {
    let token = random_token();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(password_resets::table)
        .values((
            password_resets::token_hash.eq(token_hash(&token)),
            password_resets::user_id.eq(user_id),
            password_resets::created_at.eq(at),
            password_resets::expires_at.eq(at + valid_for),
        ))
        .execute(c))?;
    Ok(token)
}

/// The user a token belongs to, if it is unused and has not expired.
pub fn valid_user(conn: &mut DbConn, token: &str) -> QueryResult<Option<String>> {
    let hash = token_hash(token);
    let at = now();
    let found: Option<(String, NaiveDateTime, Option<NaiveDateTime>)> = db_run!(conn, |c| password_resets::table
        .find(&hash)
        .select((password_resets::user_id, password_resets::expires_at, password_resets::used_at))
        .first(c)
        .optional())?;
    Ok(found.and_then(|(user, expires, used)| (used.is_none() && expires > at).then_some(user)))
}

/// Marks every open token of the user used, so that one reset spends all earlier links.
pub fn spend_all(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    let at = now();
    db_run!(conn, |c| diesel::update(password_resets::table.filter(password_resets::user_id.eq(user_id)).filter(password_resets::used_at.is_null()))
        .set(password_resets::used_at.eq(at))
        .execute(c))
}

/// How many links the user was sent within the last `window`.
pub fn created_within(conn: &mut DbConn, user_id: &str, window: Duration) -> QueryResult<i64> {
    let since = now() - window;
    db_run!(conn, |c| password_resets::table
        .filter(password_resets::user_id.eq(user_id))
        .filter(password_resets::created_at.ge(since))
        .count()
        .get_result(c))
}
