use super::users::{User, UserRow};
use super::{now, DbConn, QueryResult};
use crate::db::schema::{access_changes, organisations, sessions, users};
use crate::db::Moment;
use crate::db_run;
use crate::security::token_hash;
use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

/// A new session for the user; returns the token for the cookie (only its hash is kept).
pub fn create(conn: &mut DbConn, user_id: &str) -> QueryResult<String> {
    create_through(conn, user_id, None)
}

/// The identity provider a session was started through, and the ID token it gave (the hint
/// a provider wants when the user logs out there too).
#[derive(Debug, Clone)]
pub struct ThroughProvider {
    pub provider_id: String,
    pub id_token: String,
}

impl ThroughProvider {
    /// From the two nullable columns a session or a challenge keeps it in.
    pub fn from_columns(provider_id: Option<String>, id_token: Option<String>) -> Option<ThroughProvider> {
        Some(ThroughProvider { provider_id: provider_id?, id_token: id_token? })
    }
}

/// A new session, started through `provider` if given.
pub fn create_through(conn: &mut DbConn, user_id: &str, provider: Option<&ThroughProvider>) -> QueryResult<String> {
    let token = crate::security::random_token();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token_hash(&token)),
            sessions::user_id.eq(user_id),
            sessions::created_at.eq(at),
            sessions::last_seen_at.eq(at),
            sessions::provider_id.eq(provider.map(|p| &p.provider_id)),
            sessions::id_token.eq(provider.map(|p| &p.id_token)),
        ))
        .execute(c))?;
    Ok(token)
}

/// The provider a session was started through, if any.
pub fn provider_of(conn: &mut DbConn, token: &str) -> QueryResult<Option<ThroughProvider>> {
    let found: Option<(Option<String>, Option<String>)> =
        db_run!(conn, |c| sessions::table.find(token_hash(token)).select((sessions::provider_id, sessions::id_token)).first(c).optional())?;
    Ok(found.and_then(|(provider_id, id_token)| ThroughProvider::from_columns(provider_id, id_token)))
}

/// Longest a session lives however active it is.
const MAX_AGE_HOURS: i64 = 12;
/// How stale `last_seen_at` may get before a request refreshes it; saves a write per request.
const TOUCH_AFTER_SECONDS: i64 = 60;

/// What a session token stands for.
pub enum Session {
    /// Alive, as the look-up found it, with the access-change counter read by the same
    /// statement (see `access_changes` in the migrations): a cache may answer for it while the
    /// counter stands there. None only if the counter's one row is gone; then nothing is
    /// cached.
    Active { session: ActiveSession, changes: Option<i64> },
    /// Ended by this very look-up (idle or too old): whose it was, so that a form they sent
    /// can wait for them to sign in again.
    Ended { user_id: String },
    /// No such session: never was, signed out, or ended before.
    Unknown,
}

/// A live session: the user, the name of their organisation, whether units sit below it,
/// and its times as they stood after this look-up.
#[derive(Debug, Clone)]
pub struct ActiveSession {
    pub user: User,
    pub organisation_name: String,
    pub has_units: HasUnits,
    created: NaiveDateTime,
    last_seen: NaiveDateTime,
}

impl ActiveSession {
    /// Whether a request at `at` may be answered from this look-up without asking the
    /// database again: only while the session needs no touch (so idling still ends it on
    /// time) and is not too old.
    pub fn holds_at(&self, at: NaiveDateTime, idle_minutes: i64) -> bool {
        let untouched = Duration::seconds(TOUCH_AFTER_SECONDS).min(Duration::minutes(idle_minutes));
        at - self.last_seen <= untouched && at - self.created <= Duration::hours(MAX_AGE_HOURS)
    }
}

/// Whether the user's organisation has units below it, as the session look-up saw it: most
/// are leaves, and a leaf's subtree is itself without asking again (on PostgreSQL that
/// question was one of a local user's three statements per page).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HasUnits(pub bool);

diesel::alias!(organisations as units: Units);

/// What a session's look-up reads: its start and last use, its user, the name of their
/// organisation, a unit below it if any, and the access-change counter.
type LookedUp = (Moment, Moment, UserRow, String, Option<String>, Option<i64>);

/// The session behind a token. An idle or too old session is removed. One query on the hot
/// path.
pub fn user_for(conn: &mut DbConn, token: &str, idle_minutes: i64) -> QueryResult<Session> {
    let hash = token_hash(token);
    let at = now();
    // One unit below the organisation is enough to tell: the join meets at most the first.
    let changes = access_changes::table.select(access_changes::counter).single_value();
    let found: Option<LookedUp> = db_run!(conn, |c| sessions::table
        .inner_join(users::table.inner_join(organisations::table))
        .left_join(units.on(units.field(organisations::parent_id).eq(users::organisation_id.nullable())))
        .filter(sessions::token_hash.eq(&hash))
        .filter(users::active.eq(true))
        .select((
            sessions::created_at,
            sessions::last_seen_at,
            UserRow::as_select(),
            organisations::name,
            units.field(organisations::id).nullable(),
            changes
        ))
        .first(c)
        .optional())?;
    let Some((created, last_seen, user, organisation_name, unit, changes)) = found else { return Ok(Session::Unknown) };
    let (created, mut last_seen) = (NaiveDateTime::from(created), NaiveDateTime::from(last_seen));
    if at - last_seen > Duration::minutes(idle_minutes) || at - created > Duration::hours(MAX_AGE_HOURS) {
        delete(conn, token)?;
        return Ok(Session::Ended { user_id: User::from(user).id });
    }
    if at - last_seen > Duration::seconds(TOUCH_AFTER_SECONDS) {
        db_run!(conn, |c| diesel::update(sessions::table.find(&hash)).set(sessions::last_seen_at.eq(at)).execute(c))?;
        last_seen = at;
    }
    let session = ActiveSession { user: user.into(), organisation_name, has_units: HasUnits(unit.is_some()), created, last_seen };
    Ok(Session::Active { session, changes })
}

pub fn delete(conn: &mut DbConn, token: &str) -> QueryResult<usize> {
    let hash = token_hash(token);
    db_run!(conn, |c| diesel::delete(sessions::table.find(&hash)).execute(c))
}

pub fn delete_for_user(conn: &mut DbConn, user_id: &str) -> QueryResult<usize> {
    db_run!(conn, |c| diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(c))
}

#[cfg(test)]
pub mod testing {
    use super::*;
    use crate::domain::access::Role;

    /// A live session of a local user, started at `created` and last seen at `last_seen`.
    pub fn session_seen(created: NaiveDateTime, last_seen: NaiveDateTime) -> ActiveSession {
        let user = User {
            id: "u1".into(),
            email: "anna.berg@botkyrka.example".into(),
            name: "Anna Berg".into(),
            organisation_id: "kommun-0127".into(),
            role: Role::Local,
            active: true,
            created_at: created,
            second_factor: false,
            director: false,
            awaiting_confirmation: false,
        };
        ActiveSession { user, organisation_name: "Botkyrka kommun".into(), has_units: HasUnits(false), created, last_seen }
    }
}
