//! Account administration from the command line, for when nobody can sign in yet.

use crate::domain::access::Role;
use crate::domain::text::{self, Email};
use crate::security::{hash_password, random_token};
use crate::store::{audit, organisations, sessions, users, DbConn};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

fn cli_actor() -> audit::Actor {
    audit::Actor { email: Some("kommandoraden".into()), ..Default::default() }
}

/// Accepts an organisation id (`kommun-0127`, `hsf`) or a kommunkod (`0127`).
fn find_organisation(conn: &mut DbConn, given: &str) -> Result<organisations::Organisation, CliError> {
    let given = given.trim();
    let id = match crate::domain::registry::MunicipalityCode::parse(given) {
        Some(code) => code.organisation_id(),
        None => given.to_owned(),
    };
    organisations::get(conn, &id)?
        .ok_or_else(|| CliError::Input(format!("no organisation {given:?}; give an id such as kommun-0127, hsf or storsthlm, or a kommunkod")))
}

/// Creates an account. Without a password one is generated; the password is returned so
/// the caller can hand it over.
pub fn add_user(
    conn: &mut DbConn,
    email: &str,
    name: &str,
    organisation: &str,
    role: &str,
    password: Option<String>,
    fast_hashing: bool,
) -> Result<String, CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Input(format!("--email: {e}")))?;
    let name = text::required_line(name, text::NAME_MAX, "give a name").map_err(|e| CliError::Input(format!("--name: {e}")))?;
    let role: Role = role.parse().map_err(|e| CliError::Input(format!("--role: {e}")))?;
    let organisation = find_organisation(conn, organisation)?;
    let password = chosen_password(password)?;
    let hash = hash_password(&password, fast_hashing);
    conn.write(|conn| {
        if users::by_email(conn, email.as_str())?.is_some() {
            return Err(CliError::Input(format!("a user with e-mail {email} already exists")));
        }
        let new = users::NewUser {
            email: email.as_str(),
            name: &name,
            organisation_id: &organisation.id,
            role,
            password_hash: &hash,
            director: false,
            awaiting_confirmation: false,
        };
        let id = users::insert(conn, &new)?;
        audit::record(conn, &cli_actor(), audit::Action::UserCreated, Some(&id), &format!("{email} ({role}, {})", organisation.id))?;
        Ok(())
    })?;
    Ok(password)
}

/// The password given (checked like one typed on a page), or a generated one.
fn chosen_password(given: Option<String>) -> Result<String, CliError> {
    match given {
        Some(given) => text::new_password(&given, &given).map_err(|e| CliError::Input(format!("password: {e}"))),
        None => Ok(random_token()[..20].to_owned()),
    }
}

fn existing(conn: &mut DbConn, email: &str) -> Result<users::User, CliError> {
    let email = Email::parse(email).map_err(|e| CliError::Input(format!("e-mail: {e}")))?;
    users::by_email(conn, email.as_str())?.ok_or_else(|| CliError::Input(format!("no user with e-mail {email}")))
}

pub fn set_role(conn: &mut DbConn, email: &str, role: &str) -> Result<(), CliError> {
    let role: Role = role.parse().map_err(|e| CliError::Input(format!("role: {e}")))?;
    let user = existing(conn, email)?;
    conn.write(|conn| {
        users::set_role(conn, &user.id, role)?;
        audit::record(conn, &cli_actor(), audit::Action::UserUpdated, Some(&user.id), &format!("{} role {role}", user.email))?;
        Ok(())
    })
}

pub fn disable(conn: &mut DbConn, email: &str) -> Result<(), CliError> {
    let user = existing(conn, email)?;
    conn.write(|conn| {
        users::set_active(conn, &user.id, false)?;
        sessions::delete_for_user(conn, &user.id)?;
        audit::record(conn, &cli_actor(), audit::Action::UserDisabled, Some(&user.id), &user.email)?;
        Ok(())
    })
}

/// Sets a new password (given, or generated and returned) and ends the account's sessions.
pub fn set_password(conn: &mut DbConn, email: &str, password: Option<String>, fast_hashing: bool) -> Result<String, CliError> {
    let user = existing(conn, email)?;
    let password = chosen_password(password)?;
    let hash = hash_password(&password, fast_hashing);
    conn.write(|conn| {
        users::set_password_hash(conn, &user.id, &hash)?;
        sessions::delete_for_user(conn, &user.id)?;
        audit::record(conn, &cli_actor(), audit::Action::PasswordChanged, Some(&user.id), "set from the command line; sessions ended")?;
        Ok::<_, CliError>(())
    })?;
    Ok(password)
}

/// One line per account: e-mail, role, organisation, active.
pub fn list(conn: &mut DbConn) -> Result<Vec<String>, CliError> {
    Ok(users::list(conn)?
        .into_iter()
        .map(|l| {
            let state = if l.user.active { "active" } else { "disabled" };
            format!("{:<40} {:<12} {:<9} {}", l.user.email, l.user.role.as_str(), state, l.organisation_name)
        })
        .collect())
}
