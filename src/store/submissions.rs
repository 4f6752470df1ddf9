//! Forms sent twice: a form carries a random key, and what it made is kept under it.

use super::{now, DbConn, QueryResult};
use crate::db::schema::form_submissions;
use crate::db_run;
use diesel::prelude::*;

/// Whether `key` can be a form's key (64 hex characters, as `security::random_token`).
pub fn plausible(key: &str) -> bool {
    key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Inside the write transaction that acts on a form: what the same form made before, if it
/// was sent already. Claims the key otherwise; a second sending at the same moment waits
/// for the first (the key is unique) and then finds its result.
pub fn earlier(conn: &mut DbConn, key: &str, user_id: &str) -> QueryResult<Option<String>> {
    let at = now();
    db_run!(conn, |c| diesel::insert_into(form_submissions::table)
        .values((form_submissions::submission.eq(key), form_submissions::user_id.eq(user_id), form_submissions::created_at.eq(at)))
        .on_conflict_do_nothing()
        .execute(c))?;
    let result: Option<Option<String>> = db_run!(conn, |c| form_submissions::table
        .find(key)
        .filter(form_submissions::user_id.eq(user_id))
        .select(form_submissions::result)
        .first(c)
        .optional())?;
    Ok(result.flatten())
}

/// Keeps what the form made (in the same transaction).
pub fn record(conn: &mut DbConn, key: &str, result: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(form_submissions::table.find(key)).set(form_submissions::result.eq(Some(result))).execute(c))?;
    Ok(())
}
