//! Signing in and out, changing a password, and resetting a forgotten one by e-mailed link.

use super::error::AppError;
use super::forms::FieldErrors;
use super::guard::{
    cookie, cookie_name, expired_session_cookie, fully_decoded, removed_cookie, session_cookie, CurrentUser, Visitor, CHALLENGE_COOKIE,
    SESSION_COOKIE,
};
use super::page::{notice, Page};
use super::{html, see_other, AppState};
use crate::domain::access::requires_second_factor;
use crate::domain::text::{self, Email};
use crate::security::{hash_password, new_recovery_codes, new_totp_secret, totp_qr_svg, totp_step, verify_password};
use crate::store::sessions::ThroughProvider;
use crate::store::{audit, identity_providers, login_attempts, password_resets, second_factor, sessions, users, DbConn};
use actix_web::cookie::SameSite;
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
pub(super) struct LoginPage {
    ctx: Page,
    email: String,
    next: String,
    error: Option<String>,
    /// The identity providers offered: (id, name).
    providers: Vec<(String, String)>,
}

impl LoginPage {
    /// The sign-in page with the providers on offer, an address typed and an error if any.
    pub(super) async fn load(state: &AppState, ctx: Page, email: String, next: &str, error: Option<String>) -> Result<LoginPage, AppError> {
        let providers = state.read(|conn| Ok(identity_providers::offered(conn)?)).await?;
        Ok(LoginPage { ctx, email, next: safe_next(next), error, providers })
    }

    /// The link that starts signing in through a provider, back to the same page afterwards.
    fn provider_link(&self, id: &str) -> String {
        let next = url::form_urlencoded::byte_serialize(self.next.as_bytes()).collect::<String>();
        if next == "%2F" {
            format!("/logga-in/via/{id}")
        } else {
            format!("/logga-in/via/{id}?next={next}")
        }
    }

    /// Whether signing in leads back to a form kept when the session ended (`web::kept`).
    fn returns_to_kept_form(&self) -> bool {
        self.next.split_once('?').and_then(|(_, query)| super::kept::requested(query)).is_some()
    }
}

/// Only a path on this site may be the target after signing in (no open redirect): one `/`
/// then anything but `/` or `\`, and no control characters, also once percent-decoded
/// (browsers read `/%2F` and `/\` as the start of another host).
pub(super) fn safe_next(next: &str) -> String {
    let decoded = fully_decoded(next);
    let local = |path: &str| {
        let mut chars = path.chars();
        chars.next() == Some('/') && !matches!(chars.next(), Some('/' | '\\')) && !path.chars().any(char::is_control)
    };
    if local(next) && local(&decoded) {
        next.to_owned()
    } else {
        "/".to_owned()
    }
}

pub async fn login_form(state: web::Data<AppState>, visitor: Visitor, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    let ctx = visitor.page().with_notice(notice(query.klart.as_deref()));
    Ok(html(StatusCode::OK, LoginPage::load(&state, ctx, String::new(), &query.next, None).await?.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    next: String,
}

/// A sign-in form, parsed: the address as accounts are keyed (trimmed, lower case), and the
/// password unless either is longer than any account's can be (refused without a look-up).
struct SignIn {
    email: String,
    password: Option<String>,
    next: String,
}

impl LoginForm {
    fn parse(self) -> SignIn {
        let email = self.email.trim().to_lowercase();
        let plausible = email.len() <= text::EMAIL_MAX && self.password.chars().count() <= text::PASSWORD_MAX;
        SignIn { email, password: plausible.then_some(self.password), next: self.next }
    }
}

enum LoginOutcome {
    Admitted(Admitted),
    Refused,
    Throttled,
}

/// Someone who proved who they are: signed in, or on to the second-factor step.
pub(super) enum Admitted {
    /// A new session, under this token.
    Session(String),
    /// The code step comes next, under this challenge token.
    NeedsCode(String),
}

impl Admitted {
    /// Sends the browser on: to `next` with the session cookie, or to the code step.
    pub(super) fn response(self, state: &AppState, next: &str) -> HttpResponse {
        match self {
            Admitted::Session(token) => {
                HttpResponse::SeeOther().insert_header((header::LOCATION, safe_next(next))).cookie(session_cookie(state, token)).finish()
            }
            Admitted::NeedsCode(challenge) => {
                let location = format!("/logga-in/kod?next={}", url::form_urlencoded::byte_serialize(safe_next(next).as_bytes()).collect::<String>());
                let mut cookie = cookie(&state.config, CHALLENGE_COOKIE, challenge, SameSite::Strict);
                cookie.set_max_age(actix_web::cookie::time::Duration::minutes(second_factor::CHALLENGE_MINUTES));
                HttpResponse::SeeOther().insert_header((header::LOCATION, location)).cookie(cookie).finish()
            }
        }
    }
}

/// Lets in someone whose password was right or whom a provider vouched for (`through`): the
/// code step first if they use a second factor here, else a new session (in place of
/// `old_session`).
pub(super) fn admit(
    conn: &mut DbConn,
    actor: &audit::Actor,
    user: &users::User,
    old_session: Option<&str>,
    through: Option<&ThroughProvider>,
    detail: &str,
) -> Result<Admitted, AppError> {
    if user.second_factor {
        return Ok(Admitted::NeedsCode(second_factor::create_challenge(conn, &user.id, through)?));
    }
    Ok(Admitted::Session(start_session(conn, actor, &user.id, old_session, through, detail)?))
}

/// Claims a checked attempt for the account and address, or records the throttling.
fn reserve_attempt(conn: &mut DbConn, actor: &audit::Actor, email: &str, ip: &str) -> Result<Option<String>, AppError> {
    let attempt = login_attempts::reserve(conn, email, ip)?;
    if attempt.is_none() {
        conn.write(|conn| audit::record_bounded(conn, actor, audit::Action::LoginThrottled, Some(email), "too many failed logins"))?;
    }
    Ok(attempt)
}

/// A new session in place of the old one, after a right password (and code) or a sign-in
/// through a provider.
fn start_session(
    conn: &mut DbConn,
    actor: &audit::Actor,
    user_id: &str,
    old_session: Option<&str>,
    through: Option<&ThroughProvider>,
    detail: &str,
) -> Result<String, AppError> {
    if let Some(old) = old_session {
        sessions::delete(conn, old)?;
    }
    let token = sessions::create_through(conn, user_id, through)?;
    let actor = audit::Actor { user_id: Some(user_id.to_owned()), ..actor.clone() };
    audit::record(conn, &actor, audit::Action::Login, Some(user_id), detail)?;
    Ok(token)
}

pub async fn login(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: actix_web::HttpRequest,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let SignIn { email, password, next } = form.into_inner().parse();
    let fast = state.config.fast_password_hashing;
    let ip = visitor.ip.clone();
    let old_session = req.cookie(&cookie_name(&state.config, SESSION_COOKIE)).map(|c| c.value().to_owned());
    let outcome = if let Some(password) = password {
        let email = email.clone();
        state
            .run(move |conn| {
                let actor = audit::Actor { email: Some(email.clone()), ip: Some(ip.clone()), ..Default::default() };
                // The attempt is claimed before the password is checked, so that parallel
                // guesses cannot all pass the count first.
                let Some(attempt) = reserve_attempt(conn, &actor, &email, &ip)? else { return Ok(LoginOutcome::Throttled) };
                let credentials = users::credentials(conn, &email)?;
                let ok = verify_password(&password, credentials.as_ref().map(|(_, hash)| hash.as_str()), fast);
                conn.write(|conn| match credentials.filter(|_| ok) {
                    Some((user, _)) => {
                        if user.second_factor {
                            // Neither a success nor a failure until the code is checked: a thief
                            // who has the password gets no fresh guesses at the code from it.
                            login_attempts::withdraw(conn, &attempt)?;
                        } else {
                            login_attempts::succeeded(conn, &attempt)?;
                        }
                        Ok(LoginOutcome::Admitted(admit(conn, &actor, &user, old_session.as_deref(), None, "")?))
                    }
                    None => {
                        audit::record_bounded(conn, &actor, audit::Action::LoginFailed, Some(&email), "wrong e-mail or password")?;
                        Ok(LoginOutcome::Refused)
                    }
                })
            })
            .await?
    } else {
        LoginOutcome::Refused
    };
    let (status, error) = match outcome {
        LoginOutcome::Admitted(admitted) => return Ok(admitted.response(&state, &next)),
        LoginOutcome::Refused => (StatusCode::UNAUTHORIZED, "Fel e-postadress eller lösenord."),
        LoginOutcome::Throttled => (StatusCode::TOO_MANY_REQUESTS, THROTTLED),
    };
    let page = LoginPage::load(&state, visitor.page(), email, &next, Some(error.to_owned())).await?;
    Ok(html(status, page.render()?))
}

const THROTTLED: &str = "För många misslyckade inloggningar. Vänta en kvart och försök igen, eller återställ ditt lösenord.";

#[derive(Template)]
#[template(path = "auth/code.html")]
struct CodePage {
    ctx: Page,
    next: String,
    error: Option<&'static str>,
}

pub async fn code_form(visitor: Visitor, query: web::Query<NextQuery>) -> Result<HttpResponse, AppError> {
    Ok(html(StatusCode::OK, CodePage { ctx: visitor.page(), next: safe_next(&query.next), error: None }.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    next: String,
}

impl CodeForm {
    /// The code unless it is longer than any code can be (refused without a look-up), and
    /// where to go after.
    fn parse(self) -> (Option<String>, String) {
        ((self.code.chars().count() <= CODE_MAX).then_some(self.code), self.next)
    }
}

/// Longer than an app code (6 digits) or a recovery code can be, with room for spaces.
const CODE_MAX: usize = 40;

/// The second step: a TOTP code (each time step once) or an unused recovery code, throttled
/// like passwords on the same account.
pub async fn code(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: actix_web::HttpRequest,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let (code, next) = form.into_inner().parse();
    let challenge = req.cookie(&cookie_name(&state.config, CHALLENGE_COOKIE)).map(|c| c.value().to_owned()).filter(|t| t.len() == 64);
    let old_session = req.cookie(&cookie_name(&state.config, SESSION_COOKIE)).map(|c| c.value().to_owned());
    let ip = visitor.ip.clone();
    let outcome = match (challenge.clone(), code) {
        (None, _) => None,
        (Some(_), None) => Some(LoginOutcome::Refused),
        (Some(challenge), Some(code)) => {
            state
                .run(move |conn| {
                    let Some((user_id, through)) = second_factor::challenge_user(conn, &challenge)? else { return Ok(None) };
                    let Some(user) = users::by_id(conn, &user_id)?.filter(|u| u.active) else { return Ok(None) };
                    let actor = audit::Actor { user_id: Some(user.id.clone()), email: Some(user.email.clone()), ip: Some(ip.clone()) };
                    let Some(attempt) = reserve_attempt(conn, &actor, &user.email, &ip)? else { return Ok(Some(LoginOutcome::Throttled)) };
                    let totp = second_factor::totp(conn, &user.id)?.filter(|t| t.enabled);
                    conn.write(|conn| {
                        let step = totp.as_ref().and_then(|t| totp_step(&t.secret, &code, unix_now(), t.last_step));
                        let how = match step {
                            Some(step) if second_factor::accept_step(conn, &user.id, step)? => Some("second factor: app code"),
                            Some(_) => None,
                            None if second_factor::spend_recovery_code(conn, &user.id, &code)? => Some("second factor: recovery code"),
                            None => None,
                        };
                        match how {
                            Some(how) => {
                                login_attempts::succeeded(conn, &attempt)?;
                                second_factor::end_challenge(conn, &challenge)?;
                                let token = start_session(conn, &actor, &user.id, old_session.as_deref(), through.as_ref(), how)?;
                                Ok(Some(LoginOutcome::Admitted(Admitted::Session(token))))
                            }
                            None => {
                                audit::record_bounded(conn, &actor, audit::Action::LoginFailed, Some(&user.email), "wrong second-factor code")?;
                                Ok(Some(LoginOutcome::Refused))
                            }
                        }
                    })
                })
                .await?
        }
    };
    let (status, error) = match outcome {
        Some(LoginOutcome::Admitted(admitted)) => {
            let mut response = admitted.response(&state, &next);
            response.add_cookie(&removed_cookie(&state.config, CHALLENGE_COOKIE, SameSite::Strict)).map_err(|e| AppError::Internal(e.to_string()))?;
            return Ok(response);
        }
        None => (StatusCode::UNAUTHORIZED, "Inloggningen har gått ut. Börja om med e-post och lösenord."),
        Some(LoginOutcome::Throttled) => (StatusCode::TOO_MANY_REQUESTS, THROTTLED),
        Some(_) => (StatusCode::UNAUTHORIZED, "Koden stämmer inte. Skriv den kod appen visar just nu, eller en oanvänd reservkod."),
    };
    Ok(html(status, CodePage { ctx: visitor.page(), next: safe_next(&next), error: Some(error) }.render()?))
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[derive(Template)]
#[template(path = "account/second_factor.html")]
struct SecondFactorPage {
    ctx: Page,
    errors: FieldErrors,
    enabled: bool,
    required: bool,
    may_remove: bool,
    unused_codes: i64,
    secret: String,
    qr_svg: String,
    recovery_codes: Vec<String>,
}

/// The enrolment page: a pending secret with its QR code, or the state of a confirmed one.
async fn render_second_factor(
    state: &AppState,
    user: &CurrentUser,
    errors: FieldErrors,
    recovery_codes: Vec<String>,
) -> Result<HttpResponse, AppError> {
    let user_id = user.user.id.clone();
    let (totp, unused_codes) = state
        .write(move |conn| {
            let pending = second_factor::totp(conn, &user_id)?;
            let totp = match pending {
                Some(totp) => totp,
                None => {
                    let secret = new_totp_secret();
                    second_factor::begin_enrolment(conn, &user_id, &secret)?;
                    second_factor::Totp { secret, enabled: false, last_step: None }
                }
            };
            Ok((totp, second_factor::unused_recovery_codes(conn, &user_id)?))
        })
        .await?;
    let required = requires_second_factor(user.user.role);
    let qr_svg = if totp.enabled { String::new() } else { totp_qr_svg(&totp.secret, &user.user.email).unwrap_or_default() };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SecondFactorPage {
        ctx: user.page(),
        errors,
        enabled: totp.enabled,
        required,
        may_remove: !required,
        unused_codes,
        secret: if totp.enabled { String::new() } else { totp.secret },
        qr_svg,
        recovery_codes,
    };
    Ok(html(status, page.render()?))
}

pub async fn second_factor_page(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    render_second_factor(&state, &user, FieldErrors::default(), Vec::new()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SecondFactorForm {
    action: String,
    code: String,
}

/// Confirming enrolment in a second factor, or turning it off.
#[derive(Debug, PartialEq)]
enum SecondFactorAction {
    Enable,
    Remove,
}

impl SecondFactorForm {
    fn parse(self) -> Result<(SecondFactorAction, String), AppError> {
        let action = match self.action.as_str() {
            "enable" => SecondFactorAction::Enable,
            "remove" => SecondFactorAction::Remove,
            _ => return Err(AppError::BadRequest("Okänd åtgärd.".into())),
        };
        Ok((action, self.code))
    }
}

/// Confirms enrolment with a right code (and shows the recovery codes once), or turns the
/// second factor off where the role allows it.
pub async fn save_second_factor(state: web::Data<AppState>, user: CurrentUser, form: web::Form<SecondFactorForm>) -> Result<HttpResponse, AppError> {
    let (action, code) = form.into_inner().parse()?;
    let remove = match action {
        SecondFactorAction::Enable => false,
        SecondFactorAction::Remove if !requires_second_factor(user.user.role) => true,
        SecondFactorAction::Remove => return Err(AppError::Forbidden("Administratörer måste använda tvåstegsverifiering.")),
    };
    let user_id = user.user.id.clone();
    let actor = user.actor();
    let ip = user.ip.clone();
    let email = user.user.email.clone();
    let outcome = state
        .run(move |conn| {
            let Some(attempt) = reserve_attempt(conn, &actor, &email, &ip)? else { return Ok(Err(THROTTLED)) };
            conn.write(|conn| {
                let Some(totp) = second_factor::totp(conn, &user_id)?.filter(|t| t.enabled == remove) else {
                    return Ok(Err("Ladda om sidan och försök igen."));
                };
                let Some(step) = totp_step(&totp.secret, &code, unix_now(), totp.last_step) else {
                    return Ok(Err("Koden stämmer inte. Skriv den kod appen visar just nu."));
                };
                login_attempts::withdraw(conn, &attempt)?;
                if remove {
                    second_factor::remove(conn, &user_id)?;
                    audit::record(conn, &actor, audit::Action::SecondFactorRemoved, Some(&user_id), "")?;
                    Ok(Ok(Vec::new()))
                } else {
                    let codes = new_recovery_codes();
                    second_factor::confirm(conn, &user_id, step, &codes)?;
                    audit::record(conn, &actor, audit::Action::SecondFactorEnabled, Some(&user_id), "")?;
                    Ok(Ok(codes))
                }
            })
        })
        .await?;
    match outcome {
        Ok(codes) if remove && codes.is_empty() => Ok(see_other("/konto/tvastegsverifiering")),
        Ok(codes) => render_second_factor(&state, &user, FieldErrors::default(), codes).await,
        Err(message) => render_second_factor(&state, &user, FieldErrors::one("code", message), Vec::new()).await,
    }
}

/// Ends the session here and, for a session started through a provider that offers it, sends
/// the browser on to end the provider's session too. That step is a page of its own rather
/// than a redirect: a form's redirect to another site is refused by the `form-action` policy.
pub async fn logout(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let token = user.session_token.clone();
    let actor = user.actor();
    let through = state
        .write(move |conn| {
            let through = match sessions::provider_of(conn, &token)? {
                Some(through) => identity_providers::get(conn, &through.provider_id)?.map(|provider| (provider, through.id_token)),
                None => None,
            };
            sessions::delete(conn, &token)?;
            audit::record(conn, &actor, audit::Action::Logout, actor.user_id.as_deref(), through.as_ref().map_or("", |(p, _)| p.name.as_str()))?;
            Ok(through)
        })
        .await?;
    if let Some((provider, id_token)) = through {
        if let Some(url) = state.sso.logout_url(&provider, &id_token, &super::sso::after_logout_uri(&state)).await {
            let page = super::sso::LoggedOutPage { ctx: Page::anonymous(), provider: provider.name, provider_logout: url.to_string() };
            return Ok(HttpResponse::Ok().content_type("text/html; charset=utf-8").cookie(expired_session_cookie(&state)).body(page.render()?));
        }
    }
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

impl PasswordForm {
    /// The current password (None when longer than any can be) and the new one, typed twice
    /// alike, with its error at its field.
    fn parse(self, errors: &mut FieldErrors) -> (Option<String>, Option<String>) {
        let new_password = errors.check("password", text::new_password(&self.password, &self.repeat));
        ((self.current.chars().count() <= text::PASSWORD_MAX).then_some(self.current), new_password)
    }
}

pub async fn change_password(state: web::Data<AppState>, user: CurrentUser, form: web::Form<PasswordForm>) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let (current, new_password) = form.into_inner().parse(&mut errors);
    let fast = state.config.fast_password_hashing;
    let user_id = user.user.id.clone();
    let actor = user.actor();
    let outcome = state
        .run(move |conn| {
            let stored = users::password_hash(conn, &user_id)?;
            if !current.is_some_and(|current| verify_password(&current, Some(&stored), fast)) {
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
        Err(errors) => {
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, PasswordPage { ctx: user.page(), errors: errors.ordered(&["current", "password"]) }.render()?))
        }
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

impl ForgotForm {
    /// The address a reset link is asked for, with its error at its field.
    fn parse(&self, errors: &mut FieldErrors) -> Option<Email> {
        errors.check("email", Email::parse(&self.email))
    }
}

pub async fn forgot(state: web::Data<AppState>, visitor: Visitor, form: web::Form<ForgotForm>) -> Result<HttpResponse, AppError> {
    let mut errors = FieldErrors::default();
    let Some(email) = form.parse(&mut errors) else {
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
            crate::mail::notify::account_mail(
                conn,
                &config,
                &user.email,
                "Återställ ditt lösenord i Tvistetrappa",
                &lines,
                &link,
                crate::store::now(),
            )?;
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

impl ResetForm {
    /// The new password, typed twice alike, with its error at its field.
    fn parse(&self, errors: &mut FieldErrors) -> Option<String> {
        errors.check("password", text::new_password(&self.password, &self.repeat))
    }
}

pub async fn reset(
    state: web::Data<AppState>,
    visitor: Visitor,
    token: web::Path<String>,
    form: web::Form<ResetForm>,
) -> Result<HttpResponse, AppError> {
    let token = token.into_inner();
    let mut errors = FieldErrors::default();
    let password = form.parse(&mut errors);
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
    fn a_sign_in_is_keyed_by_the_address_in_lower_case_and_refuses_what_no_account_can_hold() {
        let form = |email: &str, password: &str| LoginForm { email: email.into(), password: password.into(), next: "/arenden".into() };
        let parsed = form("  Anna.Berg@Botkyrka.EXAMPLE ", "hemligt lösenord").parse();
        assert_eq!(parsed.email, "anna.berg@botkyrka.example");
        assert_eq!(parsed.password.as_deref(), Some("hemligt lösenord"));
        assert_eq!(parsed.next, "/arenden");
        assert_eq!(form("anna@x.se", &"x".repeat(text::PASSWORD_MAX + 1)).parse().password, None);
        assert_eq!(form(&format!("{}@x.se", "a".repeat(text::EMAIL_MAX)), "lösenord").parse().password, None);
    }

    #[test]
    fn a_second_factor_code_longer_than_any_code_is_refused_unread() {
        let form = |code: &str| CodeForm { code: code.into(), next: "/".into() };
        assert_eq!(form("123 456").parse(), (Some("123 456".to_owned()), "/".to_owned()));
        assert_eq!(form(&"1".repeat(CODE_MAX + 1)).parse().0, None);
        let action = |action: &str| SecondFactorForm { action: action.into(), code: "123456".into() }.parse().map(|(a, _)| a);
        assert_eq!(action("enable").unwrap(), SecondFactorAction::Enable);
        assert_eq!(action("remove").unwrap(), SecondFactorAction::Remove);
        assert!(matches!(action("disable"), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn password_forms_take_a_new_password_typed_twice_alike() {
        let mut errors = FieldErrors::default();
        let change = PasswordForm { current: "gammalt lösenord".into(), password: "ett nytt lösenord".into(), repeat: "ett nytt lösenord".into() };
        assert_eq!(change.parse(&mut errors), (Some("gammalt lösenord".to_owned()), Some("ett nytt lösenord".to_owned())));
        assert!(errors.is_empty());
        let mismatch =
            PasswordForm { current: "x".repeat(text::PASSWORD_MAX + 1), password: "ett nytt lösenord".into(), repeat: "ett annat lösenord".into() };
        assert_eq!(mismatch.parse(&mut errors), (None, None));
        assert_eq!(errors.get("password"), Some("Lösenorden stämmer inte överens."));
        let mut errors = FieldErrors::default();
        assert_eq!(ResetForm { password: "kort".into(), repeat: "kort".into() }.parse(&mut errors), None);
        assert_eq!(errors.get("password"), Some("Lösenordet måste ha minst 12 tecken."));
        let mut errors = FieldErrors::default();
        assert_eq!(ForgotForm { email: "inte en adress".into() }.parse(&mut errors), None);
        assert!(errors.get("email").is_some());
        assert_eq!(
            ForgotForm { email: " Anna@Botkyrka.example".into() }.parse(&mut errors).map(|e| e.as_str().to_owned()),
            Some("anna@botkyrka.example".into())
        );
    }

    #[test]
    fn only_local_paths_are_followed_after_login() {
        assert_eq!(safe_next("/admin/anvandare"), "/admin/anvandare");
        assert_eq!(safe_next("https://evil.example"), "/");
        assert_eq!(safe_next("//evil.example"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/"), "/");
        assert_eq!(safe_next("/arenden?sida=2"), "/arenden?sida=2");
        for bad in ["/%2Fevil.example", "/%5Cevil.example", "/%252Fevil.example", "/\tevil", "/a%0d%0aSet-Cookie:x", "/%09/evil", "evil", "http:/x"] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
