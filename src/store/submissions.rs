//! Forms sent twice: a form carries a random key, and where its answer pointed is kept under
//! it, so that a form sent again (a retry after the answer was lost) gets the first answer
//! back instead of making a second case, comment or import.

use super::{now, DbConn, QueryResult};
use crate::db::schema::form_submissions;
use crate::db_run;
use diesel::prelude::*;

/// Whether `key` can be a form's key (64 hex characters, as `security::random_token`).
pub fn plausible(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Claims `key` for `user_id`; false when it was claimed before. Inside a transaction, a
/// second claim at the same moment waits for the first (the key is unique).
pub fn claim(conn: &mut DbConn, key: &str, user_id: &str) -> QueryResult<bool> {
    let at = now();
    let inserted = db_run!(conn, |c| diesel::insert_into(form_submissions::table)
        .values((form_submissions::submission.eq(key), form_submissions::user_id.eq(user_id), form_submissions::created_at.eq(at)))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(inserted == 1)
}

/// Where the answer to the form sent with `key` pointed, once it was carried out.
pub fn answer(conn: &mut DbConn, key: &str, user_id: &str) -> QueryResult<Option<String>> {
    let result: Option<Option<String>> = db_run!(conn, |c| form_submissions::table
        .find(key)
        .filter(form_submissions::user_id.eq(user_id))
        .select(form_submissions::result)
        .first(c)
        .optional())?;
    Ok(result.flatten())
}

/// Inside the write transaction that acts on a form: the first answer, if the same form was
/// carried out already; claims the key otherwise.
fn earlier(conn: &mut DbConn, key: &str, user_id: &str) -> QueryResult<Option<String>> {
    if claim(conn, key, user_id)? {
        return Ok(None);
    }
    answer(conn, key, user_id)
}

/// Carries out a form once, inside the write transaction that does its `work`: the same form
/// sent again (a retry after the answer was lost, or a double click) gets the first answer,
/// where it pointed, and changes nothing. Work that refuses the form (`Ok(Err(_))`: field
/// errors) gives the key up, so that the corrected form may be sent. A form without a key is
/// simply carried out.
pub fn once<R, E: From<diesel::result::Error>>(
    conn: &mut DbConn,
    key: Option<&str>,
    user_id: &str,
    work: impl FnOnce(&mut DbConn) -> Result<Result<String, R>, E>,
) -> Result<Result<String, R>, E> {
    let Some(key) = key else { return work(conn) };
    if let Some(location) = earlier(conn, key, user_id)? {
        return Ok(Ok(location));
    }
    let outcome = work(conn)?;
    match &outcome {
        Ok(location) => record(conn, key, location)?,
        Err(_) => release(conn, key)?,
    }
    Ok(outcome)
}

/// Keeps where the form's answer points (in the transaction that carried it out).
pub fn record(conn: &mut DbConn, key: &str, location: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(form_submissions::table.find(key)).set(form_submissions::result.eq(Some(location))).execute(c))?;
    Ok(())
}

/// Gives up a claim whose work failed, so that the form may be sent again.
pub fn release(conn: &mut DbConn, key: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::delete(form_submissions::table.find(key).filter(form_submissions::result.is_null())).execute(c))?;
    Ok(())
}
