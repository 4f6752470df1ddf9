use super::{now, DbConn, QueryResult};
use crate::db::schema::{organisations, users};
use crate::db_run;
use crate::domain::access::Role;
use crate::domain::notify::Preference;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRow {
    id: String,
    email: String,
    name: String,
    organisation_id: String,
    role: Role,
    active: bool,
    #[diesel(deserialize_as = crate::db::Moment)]
    created_at: NaiveDateTime,
    #[diesel(deserialize_as = crate::db::OptionalMoment)]
    totp_enabled_at: Option<NaiveDateTime>,
    director: bool,
    awaiting_confirmation: bool,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub organisation_id: String,
    pub role: Role,
    pub active: bool,
    pub created_at: NaiveDateTime,
    /// Signs in with a second factor (TOTP) after the password.
    pub second_factor: bool,
    /// Holds the director capacity for their side (domain.md §4.1): acts at director level.
    pub director: bool,
    /// Created by an identity provider at first sign-in; inactive until an administrator
    /// confirms them.
    pub awaiting_confirmation: bool,
}

impl From<UserRow> for User {
    fn from(row: UserRow) -> User {
        User {
            id: row.id,
            email: row.email,
            name: row.name,
            organisation_id: row.organisation_id,
            role: row.role,
            active: row.active,
            created_at: row.created_at,
            second_factor: row.totp_enabled_at.is_some(),
            director: row.director,
            awaiting_confirmation: row.awaiting_confirmation,
        }
    }
}

/// A user with the name of their organisation, for lists.
pub struct UserListing {
    pub user: User,
    pub organisation_name: String,
}

pub struct NewUser<'a> {
    pub email: &'a str,
    pub name: &'a str,
    pub organisation_id: &'a str,
    pub role: Role,
    pub password_hash: &'a str,
    pub director: bool,
    /// Made by an identity provider: inactive until an administrator confirms the account.
    pub awaiting_confirmation: bool,
}

pub fn insert(conn: &mut DbConn, new: &NewUser) -> QueryResult<String> {
    let id = super::new_id();
    let at = now();
    db_run!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::id.eq(&id),
            users::email.eq(new.email),
            users::name.eq(new.name),
            users::organisation_id.eq(new.organisation_id),
            users::role.eq(new.role.as_str()),
            users::password_hash.eq(new.password_hash),
            users::director.eq(new.director),
            users::active.eq(!new.awaiting_confirmation),
            users::awaiting_confirmation.eq(new.awaiting_confirmation),
            users::created_at.eq(at),
            users::updated_at.eq(at),
        ))
        .execute(c))?;
    Ok(id)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    let row = db_run!(conn, |c| users::table.find(id).select(UserRow::as_select()).first(c).optional())?;
    Ok(row.map(User::from))
}

pub fn by_id(conn: &mut DbConn, id: &str) -> QueryResult<Option<User>> {
    let row = db_run!(conn, |c| users::table.find(id).select(UserRow::as_select()).first(c).optional())?;
    Ok(row.map(User::from))
}

pub fn by_email(conn: &mut DbConn, email: &str) -> QueryResult<Option<User>> {
    let row = db_run!(conn, |c| users::table.filter(users::email.eq(email)).select(UserRow::as_select()).first(c).optional())?;
    Ok(row.map(User::from))
}

/// The account and its password hash, for signing in; only active accounts.
pub fn credentials(conn: &mut DbConn, email: &str) -> QueryResult<Option<(User, String)>> {
    let row = db_run!(conn, |c| users::table
        .filter(users::email.eq(email))
        .filter(users::active.eq(true))
        .select((UserRow::as_select(), users::password_hash))
        .first::<(UserRow, String)>(c)
        .optional())?;
    Ok(row.map(|(user, hash)| (user.into(), hash)))
}

pub fn password_hash(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    db_run!(conn, |c| users::table.find(id).select(users::password_hash).first(c))
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<UserListing>> {
    let rows: Vec<(UserRow, String)> = db_run!(conn, |c| users::table
        .inner_join(organisations::table)
        .order((organisations::name, users::name))
        .select((UserRow::as_select(), organisations::name))
        .load(c))?;
    Ok(rows.into_iter().map(|(u, org)| UserListing { user: u.into(), organisation_name: org }).collect())
}

/// The active users of the given organisations (their contacts).
pub fn in_organisations(conn: &mut DbConn, organisation_ids: &[String]) -> QueryResult<Vec<User>> {
    let rows = db_run!(conn, |c| users::table
        .filter(users::organisation_id.eq_any(organisation_ids))
        .filter(users::active.eq(true))
        .order(users::name)
        .select(UserRow::as_select())
        .load(c))?;
    Ok(rows.into_iter().map(User::from).collect())
}

pub fn update_profile(
    conn: &mut DbConn,
    id: &str,
    name: &str,
    organisation_id: &str,
    role: Role,
    active: bool,
    director: bool,
) -> QueryResult<usize> {
    let at = now();
    db_run!(conn, |c| diesel::update(users::table.find(id))
        .set((
            users::director.eq(director),
            users::name.eq(name),
            users::organisation_id.eq(organisation_id),
            users::role.eq(role.as_str()),
            users::active.eq(active),
            // Whatever an administrator saves is their decision on the account.
            users::awaiting_confirmation.eq(false),
            users::updated_at.eq(at),
        ))
        .execute(c))
}

pub fn set_role(conn: &mut DbConn, id: &str, role: Role) -> QueryResult<usize> {
    let at = now();
    db_run!(conn, |c| diesel::update(users::table.find(id)).set((users::role.eq(role.as_str()), users::updated_at.eq(at))).execute(c))
}

pub fn set_active(conn: &mut DbConn, id: &str, active: bool) -> QueryResult<usize> {
    let at = now();
    db_run!(conn, |c| diesel::update(users::table.find(id)).set((users::active.eq(active), users::updated_at.eq(at))).execute(c))
}

pub fn set_password_hash(conn: &mut DbConn, id: &str, hash: &str) -> QueryResult<usize> {
    let at = now();
    db_run!(conn, |c| diesel::update(users::table.find(id)).set((users::password_hash.eq(hash), users::updated_at.eq(at))).execute(c))
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| users::table.count().get_result(c))
}

pub fn count_awaiting_confirmation(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| users::table.filter(users::awaiting_confirmation.eq(true)).count().get_result(c))
}

pub fn count_inactive(conn: &mut DbConn) -> QueryResult<i64> {
    db_run!(conn, |c| users::table.filter(users::active.eq(false)).count().get_result(c))
}

/// Someone mail can go to: a user with their preference, or an organisation's functional
/// mailbox (no user, and only for what is essential).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    pub user_id: Option<String>,
    pub email: String,
    pub preference: Preference,
}

fn recipient((id, email, preference): (String, String, String)) -> Recipient {
    Recipient { user_id: Some(id), email, preference: Preference::parse(&preference).unwrap_or(Preference::Digest) }
}

/// The active users of the organisations, then the organisations' functional mailboxes.
pub fn recipients_in(conn: &mut DbConn, organisation_ids: &[String]) -> QueryResult<Vec<Recipient>> {
    let people: Vec<(String, String, String)> = db_run!(conn, |c| users::table
        .filter(users::organisation_id.eq_any(organisation_ids))
        .filter(users::active.eq(true))
        .order(users::email)
        .select((users::id, users::email, users::notify_preference))
        .load(c))?;
    let mailboxes: Vec<Option<String>> = db_run!(conn, |c| organisations::table
        .filter(organisations::id.eq_any(organisation_ids))
        .filter(organisations::contact_email.is_not_null())
        .select(organisations::contact_email)
        .load(c))?;
    let mut all: Vec<Recipient> = people.into_iter().map(recipient).collect();
    all.extend(mailboxes.into_iter().flatten().map(|email| Recipient { user_id: None, email, preference: Preference::Immediate }));
    Ok(all)
}

/// The active users with a role (the reviewers, the steering group, the secretariat); with
/// `organisations`, only those of these organisations.
pub fn recipients_with_role(conn: &mut DbConn, role: Role, organisations: Option<&[&str]>) -> QueryResult<Vec<Recipient>> {
    let people: Vec<(String, String, String)> = db_run!(conn, |c| {
        let mut query = users::table.filter(users::role.eq(role.as_str())).filter(users::active.eq(true)).into_boxed();
        if let Some(ids) = organisations {
            query = query.filter(users::organisation_id.eq_any(ids));
        }
        query.order(users::email).select((users::id, users::email, users::notify_preference)).load(c)
    })?;
    Ok(people.into_iter().map(recipient).collect())
}

pub fn preference(conn: &mut DbConn, user_id: &str) -> QueryResult<Preference> {
    let stored: String = db_run!(conn, |c| users::table.find(user_id).select(users::notify_preference).first(c))?;
    Ok(Preference::parse(&stored).unwrap_or(Preference::Digest))
}

pub fn set_preference(conn: &mut DbConn, user_id: &str, preference: Preference) -> QueryResult<()> {
    db_run!(conn, |c| diesel::update(users::table.find(user_id)).set(users::notify_preference.eq(preference.as_str())).execute(c))?;
    Ok(())
}
