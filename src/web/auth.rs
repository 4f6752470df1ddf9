//! Signing in and out, changing a password, and resetting a forgotten one by e-mailed link.

use super::error::AppError;
use super::forms::FieldErrors;
use super::guard::{expired_session_cookie, session_cookie, CurrentUser, Visitor};
use super::page::{notice, Page};
use super::{html, see_other, AppState};
use crate::domain::text::{self, Email};
use crate::security::{hash_password, verify_password};
use crate::store::{audit, login_attempts, password_resets, sessions, users};
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// How long an e-mailed reset link works.
const RESET_VALID_MINUTES: i64 = 60;
/// Reset mails per account and hour; more would let anyone flood an inbox.
const RESETS_PER_HOUR: i64 = 3;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NextQuery {
    next: String,
    klart: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/login.html")]
struct LoginPage {
    ctx: Page,
    email: String,
    next: String,
    error: Option<&'static str>,
}

/// Only a path on this site may be the target after signing in (no open redirect).
fn safe_next(next: &str) -> String {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn login_form(visitor: Visitor, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let page = LoginPage {
        ctx: visitor.page().with_notice(notice(query.klart.as_deref())),
        email: String::new(),
        next: safe_next(&query.next),
        error: None,
    };
    Ok(html(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

enum LoginOutcome {
    SignedIn(String),
    Refused,
    Throttled,
}

pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: actix_web::HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { email, password, next } = form.into_inner();
    let email = email.trim().to_lowercase();
    let fast = state.config.fast_password_hashing;
    let ip = visitor.ip.clone();
    let old_session = req.cookie(super::guard::SESSION_COOKIE).map(|c| c.value().to_owned());
    let outcome = if email.len() > text::EMAIL_MAX || password.chars().count() > text::PASSWORD_MAX {
        LoginOutcome::Refused
    } else {
        let email = email.clone();
        state
            .run(move |conn| {
                let actor = audit::Actor { email: Some(email.clone()), ip: Some(ip.clone()), ..Default::default() };
                if login_attempts::throttled(conn, &email, &ip)? {
                    audit::record(conn, &actor, audit::Action::LoginThrottled, Some(&email), "too many failed logins")?;
                    return Ok(LoginOutcome::Throttled);
                }
                let credentials = users::credentials(conn, &email)?;
                let ok = verify_password(&password, credentials.as_ref().map(|(_, hash)| hash.as_str()), fast);
                conn.write(|conn| {
                    login_attempts::record(conn, &email, &ip, ok)?;
                    match credentials.filter(|_| ok) {
                        Some((user, _)) => {
                            if let Some(old) = old_session {
                                sessions::delete(conn, &old)?;
                            }
                            let token = sessions::create(conn, &user.id)?;
                            let actor = audit::Actor { user_id: Some(user.id.clone()), ..actor };
                            audit::record(conn, &actor, audit::Action::Login, Some(&user.id), "")?;
                            Ok(LoginOutcome::SignedIn(token))
                        }
                        None => {
                            audit::record(conn, &actor, audit::Action::LoginFailed, Some(&email), "wrong e-mail or password")?;
                            Ok(LoginOutcome::Refused)
                        }
                    }
                })
            })
            .await?
    };
    let (status, error) = match outcome {
        LoginOutcome::SignedIn(token) => {
            return Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, safe_next(&next))).cookie(session_cookie(&state, token)).finish());
        }
        LoginOutcome::Refused => (StatusCode::UNAUTHORIZED, "Fel e-postadress eller lösenord."),
        LoginOutcome::Throttled => {
            (StatusCode::TOO_MANY_REQUESTS, "För många misslyckade inloggningar. Vänta en kvart och försök igen, eller återställ ditt lösenord.")
        }
    };
    let page = LoginPage { ctx: visitor.page(), email, next: safe_next(&next), error: Some(error) };
    Ok(html(status, page.render()?))
}

pub async fn logout(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let token = user.session_token.clone();
    let actor = user.actor();
    state
        .write(move |conn| {
            sessions::delete(conn, &token)?;
            audit::record(conn, &actor, audit::Action::Logout, actor.user_id.as_deref(), "")?;
            Ok(())
        })
        .await?;
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, "/logga-in?klart=utloggad")).cookie(expired_session_cookie(&state)).finish())
}

#[derive(Template)]
#[template(path = "auth/password.html")]
struct PasswordPage {
    ctx: Page,
    errors: FieldErrors,
}

pub async fn password_form(user: CurrentUser, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let page = PasswordPage { ctx: user.page().with_notice(notice(query.klart.as_deref())), errors: FieldErrors::default() };
    Ok(html(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current: String,
    password: String,
    repeat: String,
}

pub async fn change_password(state: web::Data<AppState>, user: CurrentUser, form: web::Form<PasswordForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let mut errors = FieldErrors::default();
    let new_password = errors.check("password", text::new_password(&form.password, &form.repeat));
    let fast = state.config.fast_password_hashing;
    let user_id = user.user.id.clone();
    let actor = user.actor();
    let current = form.current;
    let outcome = state
        .run(move |conn| {
            let stored = users::password_hash(conn, &user_id)?;
            if current.chars().count() > text::PASSWORD_MAX || !verify_password(&current, Some(&stored), fast) {
                errors.add("current", "Det nuvarande lösenordet stämmer inte.");
            }
            let Some(new_password) = new_password.filter(|_| errors.is_empty()) else { return Ok(Err(errors)) };
            let hash = hash_password(&new_password, fast);
            conn.write(|conn| {
                users::set_password_hash(conn, &user_id, &hash)?;
                password_resets::spend_all(conn, &user_id)?;
                sessions::delete_for_user(conn, &user_id)?;
                let token = sessions::create(conn, &user_id)?;
                audit::record(conn, &actor, audit::Action::PasswordChanged, Some(&user_id), "other sessions ended")?;
                Ok(Ok(token))
            })
        })
        .await?;
    match outcome {
        Ok(token) => Ok(HttpResponse::SeeOther()
            .insert_header((header::LOCATION, "/konto/losenord?klart=losenord"))
            .cookie(session_cookie(&state, token))
            .finish()),
        Err(errors) => Ok(html(StatusCode::UNPROCESSABLE_ENTITY, PasswordPage { ctx: user.page(), errors }.render()?)),
    }
}

#[derive(Template)]
#[template(path = "auth/forgot.html")]
struct ForgotPage {
    ctx: Page,
    email: String,
    sent: bool,
    errors: FieldErrors,
}

pub async fn forgot_form(visitor: Visitor) -> Result<HttpResponse, AppError> {
    let page = ForgotPage { ctx: visitor.page(), email: String::new(), sent: false, errors: FieldErrors::default() };
    Ok(html(StatusCode::OK, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ForgotForm {
    email: String,
}

pub async fn forgot(state: web::Data<AppState>, visitor: Visitor, form: web::Form<ForgotForm>) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(email) = errors.check("email", Email::parse(&form.email)) else {
        let page = ForgotPage { ctx: visitor.page(), email: form.into_inner().email, sent: false, errors };
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    };
    let ip = visitor.ip.clone();
    let config = state.config.clone();
    state
        .write(move |conn| {
            let Some(user) = users::by_email(conn, email.as_str())?.filter(|u| u.active) else { return Ok(()) };
            if password_resets::created_within(conn, &user.id, chrono::Duration::hours(1))? >= RESETS_PER_HOUR {
                return Ok(());
            }
            let token = password_resets::create(conn, &user.id, chrono::Duration::minutes(RESET_VALID_MINUTES))?;
            let actor = audit::Actor { user_id: Some(user.id.clone()), email: Some(user.email.clone()), ip: Some(ip) };
            audit::record(conn, &actor, audit::Action::PasswordResetRequested, Some(&user.id), "")?;
            let lines = [
                format!("Hej {}!", user.name),
                "Någon, förhoppningsvis du, har bett om att få återställa lösenordet till Tvistetrappa.".to_owned(),
                format!("Välj ett nytt lösenord via länken. Den fungerar en gång och i {RESET_VALID_MINUTES} minuter."),
                "Om du inte bad om detta kan du bortse från meddelandet.".to_owned(),
            ];
            let link = format!("{}/aterstall/{token}", config.base_url);
            crate::notify::account_mail(conn, &config, &user.email, "Återställ ditt lösenord i Tvistetrappa", &lines, &link, crate::store::now())?;
            Ok(())
        })
        .await?;
    // The same answer whether or not the address has an account, so nobody can probe for one.
    let page = ForgotPage { ctx: visitor.page(), email: String::new(), sent: true, errors: FieldErrors::default() };
    Ok(html(StatusCode::OK, page.render()?))
}

#[derive(Template)]
#[template(path = "auth/reset.html")]
struct ResetPage {
    ctx: Page,
    token: String,
    valid: bool,
    errors: FieldErrors,
}

/// Link tokens are 64 hex characters; anything else is not looked up.
fn plausible_token(token: &str) -> bool {
    token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit())
}

pub async fn reset_form(state: web::Data<AppState>, visitor: Visitor, token: web::Path<String>) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let lookup = token.clone();
    let valid = plausible_token(&token) && state.read(move |conn| Ok(password_resets::valid_user(conn, &lookup)?)).await?.is_some();
    let status = if valid { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let page = ResetPage { ctx: visitor.page(), token, valid, errors: FieldErrors::default() };
    Ok(html(status, page.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResetForm {
    password: String,
    repeat: String,
}

pub async fn reset(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let mut errors = FieldErrors::default();
    let password = errors.check("password", text::new_password(&form.password, &form.repeat));
    let (Some(password), true) = (password, plausible_token(&token)) else {
        let valid = plausible_token(&token);
        let page = ResetPage { ctx: visitor.page(), token, valid, errors };
        return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?));
    };
    let fast = state.config.fast_password_hashing;
    let ip = visitor.ip.clone();
    let lookup = token.clone();
    let done = state
        .run(move |conn| {
            let hash = hash_password(&password, fast);
            conn.write(|conn| {
                let Some(user_id) = password_resets::valid_user(conn, &lookup)? else { return Ok(false) };
                users::set_password_hash(conn, &user_id, &hash)?;
                password_resets::spend_all(conn, &user_id)?;
                sessions::delete_for_user(conn, &user_id)?;
                let actor = audit::Actor { user_id: Some(user_id.clone()), ip: Some(ip), ..Default::default() };
                audit::record(conn, &actor, audit::Action::PasswordReset, Some(&user_id), "sessions ended")?;
                Ok(true)
            })
        })
        .await?;
    if done {
        Ok(see_other("/logga-in?klart=aterstallt"))
    } else {
        let page = ResetPage { ctx: visitor.page(), token, valid: false, errors: FieldErrors::default() };
        Ok(html(StatusCode::NOT_FOUND, page.render()?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/admin/anvandare"), "/admin/anvandare");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
