//! Forms kept across a session time-out (WCAG 2.2.1): what a user posted after their session
//! ended waits here, for that browser and that user only, until they have signed in again and
//! seen it in its form, or an hour has passed.

use super::{now, DbConn, QueryResult};
use crate::db::schema::kept_forms;
use crate::db_run;
use crate::security::{random_token, token_hash};
use chrono::Duration;
use diesel::prelude::*;

/// How long a kept form waits for its user to sign in again.
const KEPT_MINUTES: i64 = 60;

/// A posted form: where it was posted, the page it was on, and its fields in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeptForm {
    pub form_path: String,
    pub page_path: String,
    pub fields: Vec<(String, String)>,
}

/// Keeps a form for the browser holding `browser_key` and the user `user_id`; returns its id.
/// Forms older than an hour go at the same time.
pub fn keep(conn: &mut DbConn, browser_key: &str, user_id: &str, form: &KeptForm) -> QueryResult<String> {
    let id = random_token();
    let at = now();
    let fields = serde_json::to_string(&form.fields).expect("pairs of strings serialise");
    conn.write(|conn| {
        db_run!(conn, |c| diesel::delete(kept_forms::table.filter(kept_forms::created_at.lt(at - Duration::minutes(KEPT_MINUTES)))).execute(c))?;
        db_run!(conn, |c| diesel::insert_into(kept_forms::table)
            .values((
                kept_forms::id.eq(&id),
                kept_forms::browser_hash.eq(token_hash(browser_key)),
                kept_forms::user_id.eq(user_id),
                kept_forms::form_path.eq(&form.form_path),
                kept_forms::page_path.eq(&form.page_path),
                kept_forms::fields.eq(&fields),
                kept_forms::created_at.eq(at),
            ))
            .execute(c))
    })?;
    Ok(id)
}

/// The kept form `id`, if it was kept for this browser and this user within the hour; it is
/// handed out once.
pub fn take(conn: &mut DbConn, id: &str, browser_key: &str, user_id: &str) -> QueryResult<Option<KeptForm>> {
    let oldest = now() - Duration::minutes(KEPT_MINUTES);
    conn.write(|conn| {
        let found: Option<(String, String, String)> = db_run!(conn, |c| kept_forms::table
            .find(id)
            .filter(kept_forms::browser_hash.eq(token_hash(browser_key)))
            .filter(kept_forms::user_id.eq(user_id))
            .filter(kept_forms::created_at.ge(oldest))
            .select((kept_forms::form_path, kept_forms::page_path, kept_forms::fields))
            .first(c)
            .optional())?;
        let Some((form_path, page_path, fields)) = found else { return Ok(None) };
        db_run!(conn, |c| diesel::delete(kept_forms::table.find(id)).execute(c))?;
        Ok(serde_json::from_str(&fields).ok().map(|fields| KeptForm { form_path, page_path, fields }))
    })
}
