use super::{now, DbConn, QueryResult};
use crate::db::schema::audit_log;
use crate::db_run;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub use crate::domain::audit::{Action, ALL_ACTIONS};

/// Who did it, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<String>,
    pub email: Option<String>,
    pub ip: Option<String>,
}

pub fn record(conn: &mut DbConn, actor: &Actor, action: Action, target: Option<&str>, detail: &str) -> QueryResult<()> {
    let id = super::new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(id),
            audit_log::at.eq(at),
            audit_log::actor_id.eq(&actor.user_id),
            audit_log::actor_email.eq(&actor.email),
            audit_log::ip.eq(&actor.ip),
            audit_log::action.eq(action.as_str()),
            audit_log::target.eq(target),
            audit_log::detail.eq(detail),
        ))
        .execute(c))?;
    Ok(())
}

/// Events of one kind from one address within a window that are logged one by one; past
/// that, one row says the rest are not, so nobody can grow the log without bound.
pub const BOUNDED_PER_WINDOW: i64 = 50;
pub const BOUND_WINDOW_MINUTES: i64 = 15;

/// Like [`record`], for events anyone can cause (refused tokens, refused access, throttled
/// logins): at most [`BOUNDED_PER_WINDOW`] rows per address and kind in the window.
pub fn record_bounded(conn: &mut DbConn, actor: &Actor, action: Action, target: Option<&str>, detail: &str) -> QueryResult<()> {
    let since = now() - chrono::Duration::minutes(BOUND_WINDOW_MINUTES);
    let ip = actor.ip.clone().unwrap_or_default();
    let recent: i64 = db_run!(conn, |c| audit_log::table
        .filter(audit_log::ip.eq(&ip))
        .filter(audit_log::action.eq(action.as_str()))
        .filter(audit_log::at.ge(since))
        .count()
        .get_result(c))?;
    match recent {
        n if n < BOUNDED_PER_WINDOW - 1 => record(conn, actor, action, target, detail),
        n if n == BOUNDED_PER_WINDOW - 1 => {
            let note = format!("{detail}; further events of this kind from this address are not logged for {BOUND_WINDOW_MINUTES} minutes");
            record(conn, actor, action, target, &note)
        }
        _ => Ok(()),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub actor_email: Option<String>,
    pub ip: Option<String>,
    pub action: Action,
    pub target: Option<String>,
    pub detail: String,
}

impl Entry {
    pub fn action_label(&self) -> &'static str {
        self.action.label()
    }
}

/// Newest first; `action` narrows to one kind; one page of `per_page` after `offset`.
pub fn page(conn: &mut DbConn, action: Option<&str>, offset: i64, per_page: i64) -> QueryResult<Vec<Entry>> {
    db_run!(conn, |c| {
        let mut query = audit_log::table.select(Entry::as_select()).into_boxed();
        if let Some(action) = action {
            query = query.filter(audit_log::action.eq(action));
        }
        query.order(audit_log::id.desc()).offset(offset).limit(per_page).load(c)
    })
}

pub fn count(conn: &mut DbConn, action: &str) -> QueryResult<i64> {
    db_run!(conn, |c| audit_log::table.filter(audit_log::action.eq(action)).count().get_result(c))
}
