//! Identity providers an administrator registered, the people linked to them, and sign-ins
//! on their way through one.

use super::users::User;
use super::{now, DbConn, QueryResult};
use crate::db::schema::{identity_provider_organisations as provider_organisations, identity_providers, sso_logins, user_identities, users};
use crate::db_run;
use crate::domain::sso::{Account, OrganisationSource};
use crate::security::token_hash;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

#[derive(Queryable, Selectable)]
#[diesel(table_name = identity_providers)]
struct ProviderRow {
    id: String,
    name: String,
    issuer: String,
    client_id: String,
    client_secret_sealed: String,
    secret_expires_on: Option<NaiveDate>,
    organisation_claim: Option<String>,
    create_unknown: bool,
    enabled: bool,
    updated_at: NaiveDateTime,
}

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub name: String,
    pub issuer: String,
    pub client_id: String,
    /// The client secret sealed with the service's key (`security::seal`).
    pub client_secret_sealed: String,
    pub secret_expires_on: Option<NaiveDate>,
    pub organisations: OrganisationSource,
    /// Unknown people are created, unconfirmed, at their first sign-in.
    pub create_unknown: bool,
    pub enabled: bool,
    /// Changes with every save: what a cached discovery document is checked against.
    pub updated_at: NaiveDateTime,
}

/// A provider as an administrator saves it. `client_secret_sealed: None` keeps the stored one.
pub struct ProviderChange<'a> {
    pub name: &'a str,
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub client_secret_sealed: Option<String>,
    pub secret_expires_on: Option<NaiveDate>,
    pub organisations: &'a OrganisationSource,
    pub create_unknown: bool,
    pub enabled: bool,
}

fn with_organisations(conn: &mut DbConn, rows: Vec<ProviderRow>) -> QueryResult<Vec<Provider>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let listed: Vec<(String, String, Option<String>)> = db_run!(conn, |c| provider_organisations::table
        .filter(provider_organisations::provider_id.eq_any(&ids))
        .order((provider_organisations::provider_id, provider_organisations::claim_value, provider_organisations::organisation_id))
        .select((provider_organisations::provider_id, provider_organisations::organisation_id, provider_organisations::claim_value))
        .load(c))?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let mine = listed.iter().filter(|(provider, _, _)| *provider == row.id);
            let organisations = match row.organisation_claim {
                None => OrganisationSource::Fixed(mine.map(|(_, organisation, _)| organisation.clone()).next().unwrap_or_default()),
                Some(name) => OrganisationSource::Claim {
                    name,
                    values: mine.filter_map(|(_, organisation, value)| Some((value.clone()?, organisation.clone()))).collect(),
                },
            };
            Provider {
                id: row.id,
                name: row.name,
                issuer: row.issuer,
                client_id: row.client_id,
                client_secret_sealed: row.client_secret_sealed,
                secret_expires_on: row.secret_expires_on,
                organisations,
                create_unknown: row.create_unknown,
                enabled: row.enabled,
                updated_at: row.updated_at,
            }
        })
        .collect())
}

pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Provider>> {
    let rows = db_run!(conn, |c| identity_providers::table.order(identity_providers::name).select(ProviderRow::as_select()).load(c))?;
    with_organisations(conn, rows)
}

pub fn get(conn: &mut DbConn, id: &str) -> QueryResult<Option<Provider>> {
    let rows = db_run!(conn, |c| identity_providers::table.find(id).select(ProviderRow::as_select()).load(c))?;
    Ok(with_organisations(conn, rows)?.pop())
}

/// The providers the sign-in page offers: (id, name).
pub fn offered(conn: &mut DbConn) -> QueryResult<Vec<(String, String)>> {
    db_run!(conn, |c| identity_providers::table
        .filter(identity_providers::enabled.eq(true))
        .order(identity_providers::name)
        .select((identity_providers::id, identity_providers::name))
        .load(c))
}

/// Whether another provider than `except` already has this name or issuer.
pub fn taken(conn: &mut DbConn, except: Option<&str>, name: &str, issuer: &str) -> QueryResult<(bool, bool)> {
    let others: Vec<(String, String)> = db_run!(conn, |c| identity_providers::table
        .filter(identity_providers::id.ne(except.unwrap_or("")))
        .filter(identity_providers::name.eq(name).or(identity_providers::issuer.eq(issuer)))
        .select((identity_providers::name, identity_providers::issuer))
        .load(c))?;
    Ok((others.iter().any(|(n, _)| n == name), others.iter().any(|(_, i)| i == issuer)))
}

/// Creates (`id: None`) or changes a provider, with its organisations; returns its id.
pub fn save(conn: &mut DbConn, id: Option<&str>, change: &ProviderChange) -> QueryResult<String> {
    let at = now();
    let id = id.map_or_else(super::new_id, str::to_owned);
    conn.write(|conn| {
        let existing: Option<String> =
            db_run!(conn, |c| identity_providers::table.find(&id).select(identity_providers::client_secret_sealed).first(c).optional())?;
        let sealed = change.client_secret_sealed.clone().or(existing.clone()).unwrap_or_default();
        let settings = (
            identity_providers::name.eq(change.name),
            identity_providers::issuer.eq(change.issuer),
            identity_providers::client_id.eq(change.client_id),
            identity_providers::client_secret_sealed.eq(&sealed),
            identity_providers::secret_expires_on.eq(change.secret_expires_on),
            identity_providers::organisation_claim.eq(change.organisations.claim()),
            identity_providers::create_unknown.eq(change.create_unknown),
            identity_providers::enabled.eq(change.enabled),
            identity_providers::updated_at.eq(at),
        );
        if existing.is_some() {
            db_run!(conn, |c| diesel::update(identity_providers::table.find(&id)).set(settings).execute(c))?;
        } else {
            let new = (identity_providers::id.eq(&id), identity_providers::created_at.eq(at), settings);
            db_run!(conn, |c| diesel::insert_into(identity_providers::table).values(new).execute(c))?;
        }
        db_run!(conn, |c| diesel::delete(provider_organisations::table.filter(provider_organisations::provider_id.eq(&id))).execute(c))?;
        let rows: Vec<(&str, Option<&str>)> = match change.organisations {
            OrganisationSource::Fixed(organisation) => vec![(organisation.as_str(), None)],
            OrganisationSource::Claim { values, .. } => {
                values.iter().map(|(value, organisation)| (organisation.as_str(), Some(value.as_str()))).collect()
            }
        };
        for (organisation, value) in rows {
            db_run!(conn, |c| diesel::insert_into(provider_organisations::table)
                .values((
                    provider_organisations::provider_id.eq(&id),
                    provider_organisations::organisation_id.eq(organisation),
                    provider_organisations::claim_value.eq(value),
                ))
                .execute(c))?;
        }
        Ok(id.clone())
    })
}

/// The account linked to a person at an issuer.
pub fn linked_user(conn: &mut DbConn, issuer: &str, subject: &str) -> QueryResult<Option<String>> {
    db_run!(conn, |c| user_identities::table.find((issuer, subject)).select(user_identities::user_id).first(c).optional())
}

/// An account with this e-mail address that has no identity at this issuer yet.
pub fn unlinked_by_email(conn: &mut DbConn, email: &str, issuer: &str) -> QueryResult<Option<String>> {
    let linked_here = user_identities::table.filter(user_identities::issuer.eq(issuer)).select(user_identities::user_id);
    db_run!(conn, |c| users::table.filter(users::email.eq(email)).filter(users::id.ne_all(linked_here)).select(users::id).first(c).optional())
}

pub fn link(conn: &mut DbConn, issuer: &str, subject: &str, provider_id: &str, user_id: &str) -> QueryResult<()> {
    db_run!(conn, |c| diesel::insert_into(user_identities::table)
        .values((
            user_identities::issuer.eq(issuer),
            user_identities::subject.eq(subject),
            user_identities::provider_id.eq(provider_id),
            user_identities::user_id.eq(user_id),
            user_identities::linked_at.eq(now()),
        ))
        .execute(c))?;
    Ok(())
}

/// The names of the providers an account is linked to.
pub fn linked_providers(conn: &mut DbConn, user_id: &str) -> QueryResult<Vec<String>> {
    db_run!(conn, |c| user_identities::table
        .inner_join(identity_providers::table)
        .filter(user_identities::user_id.eq(user_id))
        .order(identity_providers::name)
        .select(identity_providers::name)
        .load(c))
}

/// A user as a sign-in sees them, with their organisation and those above it.
pub fn account(conn: &mut DbConn, user: &User) -> QueryResult<Account> {
    Ok(Account {
        user_id: user.id.clone(),
        active: user.active,
        awaiting_confirmation: user.awaiting_confirmation,
        organisation_chain: super::organisations::lineage(conn, &user.organisation_id)?,
    })
}

/// How long a sign-in may take at the provider.
const SIGN_IN_MINUTES: i64 = 10;

/// A sign-in sent to a provider, waiting for its answer.
#[derive(Debug, Clone)]
pub struct PendingSignIn {
    pub provider_id: String,
    pub nonce: String,
    pub pkce_verifier: String,
    pub next: String,
}

/// Remembers a sign-in under its `state`, for the browser holding `browser_key`. Stale ones
/// go at the same time.
pub fn begin_sign_in(conn: &mut DbConn, state: &str, browser_key: &str, pending: &PendingSignIn) -> QueryResult<()> {
    let at = now();
    conn.write(|conn| {
        db_run!(conn, |c| diesel::delete(sso_logins::table.filter(sso_logins::created_at.lt(at - Duration::minutes(SIGN_IN_MINUTES)))).execute(c))?;
        db_run!(conn, |c| diesel::insert_into(sso_logins::table)
            .values((
                sso_logins::state_hash.eq(token_hash(state)),
                sso_logins::browser_hash.eq(token_hash(browser_key)),
                sso_logins::provider_id.eq(&pending.provider_id),
                sso_logins::nonce.eq(&pending.nonce),
                sso_logins::pkce_verifier.eq(&pending.pkce_verifier),
                sso_logins::next.eq(&pending.next),
                sso_logins::created_at.eq(at),
            ))
            .execute(c))?;
        Ok(())
    })
}

/// The sign-in a provider's answer belongs to, if `state` is one this browser started within
/// the last minutes. It is removed in the same statement, so an answer is taken once even
/// when two arrive at the same time.
pub fn take_sign_in(conn: &mut DbConn, state: &str, browser_key: &str) -> QueryResult<Option<PendingSignIn>> {
    let oldest = now() - Duration::minutes(SIGN_IN_MINUTES);
    let taken: Vec<(String, String, String, String, NaiveDateTime)> = db_run!(conn, |c| diesel::delete(
        sso_logins::table.filter(sso_logins::state_hash.eq(token_hash(state))).filter(sso_logins::browser_hash.eq(token_hash(browser_key)))
    )
    .returning((sso_logins::provider_id, sso_logins::nonce, sso_logins::pkce_verifier, sso_logins::next, sso_logins::created_at))
    .get_results(c))?;
    Ok(taken.into_iter().find(|t| t.4 >= oldest).map(|(provider_id, nonce, pkce_verifier, next, _)| PendingSignIn {
        provider_id,
        nonce,
        pkce_verifier,
        next,
    }))
}
