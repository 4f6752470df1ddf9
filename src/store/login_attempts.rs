use super::{now, DbConn, QueryResult};
use crate::db::schema::login_attempts;
use crate::db_run;
use chrono::Duration;
use diesel::prelude::*;

/// Failed logins within this window count towards throttling.
pub const WINDOW_MINUTES: i64 = 15;
/// Failures per account within the window before further attempts are refused.
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// Failures from one address within the window before it is refused (several people may
/// share an address behind a municipal proxy, hence higher).
pub const MAX_FAILURES_PER_IP: i64 = 30;

/// Claims one checked attempt for `email` from `ip`, counted as failed until
/// [`succeeded`] or [`withdraw`] says otherwise; `None` when throttled. Counting and claiming
/// happen in one transaction under a lock on the account and on the address, so a burst of
/// parallel guesses gets no more attempts checked than the limits allow.
pub fn reserve(conn: &mut DbConn, email: &str, ip: &str) -> QueryResult<Option<String>> {
    conn.write(|conn| {
        conn.lock(&format!("login-account:{email}"))?;
        conn.lock(&format!("login-address:{ip}"))?;
        if throttled(conn, email, ip)? {
            return Ok(None);
        }
        let id = super::new_id();
        let at = now();
        db_run!(conn, |c| diesel::insert_into(login_attempts::table)
            .values((
                login_attempts::id.eq(&id),
                login_attempts::email.eq(email),
                login_attempts::ip.eq(ip),
                login_attempts::at.eq(at),
                login_attempts::succeeded.eq(false),
            ))
            .execute(c))?;
        Ok(Some(id))
    })
}

/// The reserved attempt was right.
pub fn succeeded(conn: &mut DbConn, attempt: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(login_attempts::table.find(attempt)).set(login_attempts::succeeded.eq(true)).execute(c))?;
    Ok(())
}

/// The reserved attempt counts neither way: a right password that still needs its code.
pub fn withdraw(conn: &mut DbConn, attempt: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::delete(login_attempts::table.find(attempt)).execute(c))?;
    Ok(())
}

/// Whether a login for `email` from `ip` is to be refused without checking the password.
/// Kept in the database so that several app servers share the count.
fn throttled(conn: &mut DbConn, email: &str, ip: &str) -> QueryResult<bool> {
    let since = now() - Duration::minutes(WINDOW_MINUTES);
    let last_success = db_run!(conn, |c| login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(true))
        .filter(login_attempts::at.ge(since))
        .select(diesel::dsl::max(login_attempts::at))
        .first::<Option<chrono::NaiveDateTime>>(c))?;
    let account_since = last_success.map_or(since, |s| s.max(since));
    let by_account: i64 = db_run!(conn, |c| login_attempts::table
        .filter(login_attempts::email.eq(email))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.gt(account_since))
        .count()
        .get_result(c))?;
    if by_account >= MAX_FAILURES_PER_ACCOUNT {
        return Ok(true);
    }
    let by_ip: i64 = db_run!(conn, |c| login_attempts::table
        .filter(login_attempts::ip.eq(ip))
        .filter(login_attempts::succeeded.eq(false))
        .filter(login_attempts::at.ge(since))
        .count()
        .get_result(c))?;
    Ok(by_ip >= MAX_FAILURES_PER_IP)
}

pub fn failures_since(conn: &mut DbConn, hours: i64) -> QueryResult<i64> {
    let since = now() - Duration::hours(hours);
    db_run!(conn, |c| login_attempts::table.filter(login_attempts::succeeded.eq(false)).filter(login_attempts::at.ge(since)).count().get_result(c))
}
