//! The e-mail outbox: messages written with the change that causes them, claimed by one
//! sender at a time with a lease, retried with backoff, and kept once sent or failed.

use super::{new_id, DbConn, QueryResult};
use crate::db::schema::{digest_items, outbox, reminders_sent};
use crate::db_run;
use crate::domain::notify::{Delivery, MessageKind};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

pub const PENDING: &str = Delivery::Pending.as_str();
pub const SENT: &str = Delivery::Sent.as_str();
pub const FAILED: &str = Delivery::Failed.as_str();

/// A message to queue. `thread_id` threads it (In-Reply-To/References); `dedupe_key`
/// makes queueing idempotent.
pub struct NewMessage<'a> {
    pub kind: MessageKind,
    pub case_id: Option<&'a str>,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text_body: &'a str,
    pub html_body: &'a str,
    pub thread_id: Option<&'a str>,
    pub list_unsubscribe: Option<&'a str>,
    pub dedupe_key: Option<&'a str>,
}

/// Queues a message with a stable Message-ID under `domain`, due at `now`. Returns false
/// when a message with the same dedupe key is queued already.
pub fn enqueue(conn: &mut DbConn, message: &NewMessage, domain: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let id = new_id();
    let message_id = format!("<{id}@{domain}>");
    let n = db_run!(conn, |c| diesel::insert_into(outbox::table)
        .values((
            outbox::id.eq(&id),
            outbox::created_at.eq(now),
            outbox::kind.eq(message.kind.as_str()),
            outbox::case_id.eq(message.case_id),
            outbox::recipient.eq(message.recipient),
            outbox::subject.eq(message.subject),
            outbox::text_body.eq(message.text_body),
            outbox::html_body.eq(message.html_body),
            outbox::message_id.eq(&message_id),
            outbox::thread_id.eq(message.thread_id),
            outbox::list_unsubscribe.eq(message.list_unsubscribe),
            outbox::dedupe_key.eq(message.dedupe_key),
            outbox::status.eq(PENDING),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// A message as the sender needs it.
#[derive(Debug, Clone, Queryable)]
pub struct Message {
    pub id: String,
    pub recipient: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub message_id: String,
    pub thread_id: Option<String>,
    pub list_unsubscribe: Option<String>,
    pub attempts: i32,
}

macro_rules! message_columns {
    () => {
        (
            outbox::id,
            outbox::recipient,
            outbox::subject,
            outbox::text_body,
            outbox::html_body,
            outbox::message_id,
            outbox::thread_id,
            outbox::list_unsubscribe,
            outbox::attempts,
        )
    };
}

/// Whether any message is due at `now` (a read, so an idle sender takes no write lock).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    let due: Option<String> = db_run!(conn, |c| outbox::table
        .filter(outbox::status.eq(PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .select(outbox::id)
        .first(c)
        .optional())?;
    Ok(due.is_some())
}

/// Claims up to `limit` due messages for `owner` until `lease_until`. Each row is taken by
/// a conditional UPDATE, so two senders never hold the same message.
pub fn claim(conn: &mut DbConn, owner: &str, now: NaiveDateTime, lease_until: NaiveDateTime, limit: i64) -> QueryResult<Vec<Message>> {
    let free = || outbox::lease_until.is_null().or(outbox::lease_until.lt(now));
    let candidates: Vec<String> = db_run!(conn, |c| outbox::table
        .filter(outbox::status.eq(PENDING))
        .filter(outbox::next_attempt_at.le(now))
        .filter(free())
        .order(outbox::next_attempt_at)
        .select(outbox::id)
        .limit(limit)
        .load(c))?;
    let mut claimed = Vec::new();
    for id in candidates {
        let taken = db_run!(conn, |c| diesel::update(outbox::table.find(&id).filter(outbox::status.eq(PENDING)).filter(free()))
            .set((outbox::lease_owner.eq(owner), outbox::lease_until.eq(lease_until)))
            .execute(c))?;
        if taken == 1 {
            claimed.push(db_run!(conn, |c| outbox::table.find(&id).select(message_columns!()).first(c))?);
        }
    }
    Ok(claimed)
}

/// The outcome of one delivery attempt.
pub enum Outcome {
    Sent,
    /// Try again at the given time.
    Retry {
        at: NaiveDateTime,
        error: String,
    },
    Failed {
        error: String,
    },
}

/// Records an attempt by the lease holder and gives the message up.
pub fn settle(conn: &mut DbConn, id: &str, owner: &str, now: NaiveDateTime, outcome: Outcome) -> QueryResult<()> {
    let held = outbox::table.find(id).filter(outbox::lease_owner.eq(owner));
    let release = (outbox::lease_owner.eq(None::<String>), outbox::lease_until.eq(None::<NaiveDateTime>), outbox::attempts.eq(outbox::attempts + 1));
    match outcome {
        Outcome::Sent => db_run!(conn, |c| diesel::update(held).set((release, outbox::status.eq(SENT), outbox::sent_at.eq(now))).execute(c))?,
        Outcome::Retry { at, error } => {
            db_run!(conn, |c| diesel::update(held).set((release, outbox::next_attempt_at.eq(at), outbox::last_error.eq(&error))).execute(c))?
        }
        Outcome::Failed { error } => {
            db_run!(conn, |c| diesel::update(held).set((release, outbox::status.eq(FAILED), outbox::last_error.eq(&error))).execute(c))?
        }
    };
    // A password-reset or welcome link is a key to an account: once delivered (or given up),
    // the outbox keeps no copy of it.
    let settled = outbox::table.find(id).filter(outbox::kind.eq(ACCOUNT)).filter(outbox::status.eq_any([SENT, FAILED]));
    db_run!(conn, |c| diesel::update(settled).set((outbox::text_body.eq(BLANKED), outbox::html_body.eq(BLANKED))).execute(c))?;
    Ok(())
}

/// Messages that carry a one-time link to an account.
const ACCOUNT: &str = MessageKind::Account.as_str();
/// What an account message's body becomes once it is settled.
pub const BLANKED: &str = "(Innehöll en engångslänk och tömdes när meddelandet var levererat.)";

/// Puts a failed message back in the queue with its attempts counted from zero; its
/// Message-ID stays, so a recipient can tell a resend.
pub fn retry(conn: &mut DbConn, id: &str, now: NaiveDateTime) -> QueryResult<bool> {
    // An account message has lost its link; the user asks for a new one instead.
    let n = db_run!(conn, |c| diesel::update(outbox::table.find(id).filter(outbox::status.eq(FAILED)).filter(outbox::kind.ne(ACCOUNT)))
        .set((outbox::status.eq(PENDING), outbox::attempts.eq(0), outbox::next_attempt_at.eq(now)))
        .execute(c))?;
    Ok(n == 1)
}

/// A row of the admin's outbox page.
#[derive(Debug, Clone, Queryable)]
pub struct Listed {
    pub id: String,
    pub created_at: NaiveDateTime,
    pub kind: MessageKind,
    pub recipient: String,
    pub subject: String,
    pub status: Delivery,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
}

/// Messages in one status, newest first.
pub fn list(conn: &mut DbConn, status: Delivery, limit: i64) -> QueryResult<Vec<Listed>> {
    db_run!(conn, |c| outbox::table
        .filter(outbox::status.eq(status.as_str()))
        .order(outbox::id.desc())
        .select((
            outbox::id,
            outbox::created_at,
            outbox::kind,
            outbox::recipient,
            outbox::subject,
            outbox::status,
            outbox::attempts,
            outbox::next_attempt_at,
            outbox::last_error,
            outbox::sent_at,
        ))
        .limit(limit)
        .load(c))
}

/// How many messages are in a status.
pub fn count(conn: &mut DbConn, status: Delivery) -> QueryResult<i64> {
    db_run!(conn, |c| outbox::table.filter(outbox::status.eq(status.as_str())).count().get_result(c))
}

/// Records that a reminder about a case's deadline is made; false if it was already.
/// The insert is the claim: with several servers one of them sends it.
pub fn mark_reminded(conn: &mut DbConn, case_id: &str, kind: &str, level: &str, deadline: NaiveDate, now: NaiveDateTime) -> QueryResult<bool> {
    let n = db_run!(conn, |c| diesel::insert_into(reminders_sent::table)
        .values((
            reminders_sent::case_id.eq(case_id),
            reminders_sent::kind.eq(kind),
            reminders_sent::level.eq(level),
            reminders_sent::deadline_on.eq(deadline),
            reminders_sent::sent_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    Ok(n == 1)
}

/// Keeps a line for a user's next daily digest.
pub fn add_digest_item(conn: &mut DbConn, user_id: &str, case_id: &str, line: &str, now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(digest_items::table)
        .values((
            digest_items::id.eq(new_id()),
            digest_items::user_id.eq(user_id),
            digest_items::case_id.eq(case_id),
            digest_items::line.eq(line),
            digest_items::created_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

/// Users with lines waiting for a digest.
pub fn digest_users(conn: &mut DbConn) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| digest_items::table.filter(digest_items::digested_at.is_null()).select(digest_items::user_id).distinct().load(c))
}

/// A user's waiting lines, oldest first, as (id, case id, line).
pub fn digest_lines(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<(String, String, String)>> {
    db_run!(conn, |c| digest_items::table
        .filter(digest_items::user_id.eq(user_id))
        .filter(digest_items::digested_at.is_null())
        .order(digest_items::id)
        .select((digest_items::id, digest_items::case_id, digest_items::line))
        .load(c))
}

pub fn mark_digested(conn: &mut DbConn, ids: &[String], now: NaiveDateTime) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(digest_items::table.filter(digest_items::id.eq_any(ids))).set(digest_items::digested_at.eq(now)).execute(c))?;
    Ok(())
}
