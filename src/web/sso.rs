//! Signing in through an identity provider (OpenID Connect): the way there, the way back,
//! and who is let in (`domain::sso::resolve`).

use super::auth::{admit, LoginPage};
use super::error::AppError;
use super::guard::{cookie, cookie_name, removed_cookie, Visitor, SESSION_COOKIE, SSO_COOKIE};
use super::{html, AppState};
use crate::domain::access::Role;
use crate::domain::sso::{self, Refusal, Resolution};
use crate::security::{self, random_token};
use crate::sso::{SsoError, Verified};
use crate::store::identity_providers::{self, PendingSignIn, Provider};
use crate::store::sessions::ThroughProvider;
use crate::store::{audit, users, DbConn};
use actix_web::cookie::SameSite;
use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Where providers send the browser back; registered at each provider.
pub fn redirect_uri(state: &AppState) -> String {
    format!("{}/logga-in/svar", state.config.base_url)
}

/// Where a provider sends the browser after logging out there.
pub fn after_logout_uri(state: &AppState) -> String {
    format!("{}/logga-in?klart=utloggad", state.config.base_url)
}

/// How long the browser's sign-in cookie lives: as long as a sign-in may take.
const SIGN_IN_MINUTES: i64 = 10;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartQuery {
    next: String,
}

/// The sign-in page again, with what went wrong.
async fn refused_page(state: &AppState, visitor: &Visitor, status: StatusCode, next: &str, message: String) -> Result<HttpResponse, AppError> {
    Ok(html(status, LoginPage::load(state, visitor.page(), String::new(), next, Some(message)).await?.render()?))
}

fn unavailable(provider: &Provider) -> String {
    format!(
        "Inloggning med {} fungerar inte just nu: inloggningstjänsten svarar inte. Försök igen om en stund, eller logga in med e-post och lösenord nedan.",
        provider.name
    )
}

async fn enabled_provider(state: &AppState, id: String) -> Result<Option<Provider>, AppError> {
    state.read(move |conn| Ok(identity_providers::get(conn, &id)?.filter(|p| p.enabled))).await
}

/// Sends the browser to the provider, remembering the sign-in (state, nonce, PKCE verifier)
/// for this browser.
pub async fn start(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, AppError> {
    let provider = enabled_provider(&state, id.into_inner()).await?.ok_or(AppError::NotFound)?;
    let authorization = match state.sso.authorize(&provider, &redirect_uri(&state)).await {
        Ok(authorization) => authorization,
        Err(e) => {
            log::warn!("identity provider {}: {e}", provider.name);
            return refused_page(&state, &visitor, StatusCode::SERVICE_UNAVAILABLE, &query.next, unavailable(&provider)).await;
        }
    };
    // One key per browser, kept across sign-ins started in several tabs.
    let browser =
        req.cookie(&cookie_name(&state.config, SSO_COOKIE)).map(|c| c.value().to_owned()).filter(|v| v.len() == 64).unwrap_or_else(random_token);
    let pending = PendingSignIn {
        provider_id: provider.id.clone(),
        nonce: authorization.nonce,
        pkce_verifier: authorization.pkce_verifier,
        next: super::auth::safe_next(&query.next),
    };
    let (sign_in_state, key) = (authorization.state, browser.clone());
    state.write(move |conn| Ok(identity_providers::begin_sign_in(conn, &sign_in_state, &key, &pending)?)).await?;
    // Lax, not Strict: the provider sends the browser back with a top-level GET from its site.
    let mut cookie = cookie(&state.config, SSO_COOKIE, browser, SameSite::Lax);
    cookie.set_max_age(actix_web::cookie::time::Duration::minutes(SIGN_IN_MINUTES));
    Ok(HttpResponse::SeeOther().insert_header((header::LOCATION, authorization.url.to_string())).cookie(cookie).finish())
}

/// What a provider sends back: a code and the state, or an error.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProviderAnswer {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    /// The issuer, where the provider says (RFC 9207): an answer from another provider than
    /// the one the sign-in went to is refused (a mix-up).
    iss: Option<String>,
}

/// What came of a verified sign-in.
enum Outcome {
    Admitted(super::auth::Admitted),
    Created,
    Refused(Refusal),
}

/// The way back from the provider: the state must be one this browser started (once), the
/// code is exchanged and the ID token verified, and then `domain::sso::resolve` decides.
pub async fn callback(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    answer: web::Query<ProviderAnswer>,
) -> Result<HttpResponse, AppError> {
    let answer = answer.into_inner();
    let browser = req.cookie(&cookie_name(&state.config, SSO_COOKIE)).map(|c| c.value().to_owned());
    let actor = audit::Actor { ip: Some(visitor.ip.clone()), ..Default::default() };
    let pending = match (answer.state.clone().filter(|s| s.len() <= 200), browser) {
        (Some(sign_in_state), Some(browser)) => {
            state.write(move |conn| Ok(identity_providers::take_sign_in(conn, &sign_in_state, &browser)?)).await?
        }
        _ => None,
    };
    let Some(pending) = pending else {
        record_refusal(&state, &actor, "unknown provider", "unknown, used or expired state").await?;
        let message = "Inloggningen kunde inte slutföras: svaret från inloggningstjänsten hörde inte till en inloggning som pågår i den här webbläsaren. Börja om.";
        return refused_page(&state, &visitor, StatusCode::BAD_REQUEST, "/", message.into()).await;
    };
    let next = pending.next.clone();
    let Some(provider) = enabled_provider(&state, pending.provider_id.clone()).await? else {
        return refused_page(&state, &visitor, StatusCode::BAD_REQUEST, &next, "Inloggningstjänsten finns inte längre. Börja om.".into()).await;
    };
    if answer.iss.as_ref().is_some_and(|iss| *iss != provider.issuer) {
        record_refusal(&state, &actor, &provider.name, "the answer names another issuer").await?;
        let message = format!("Inloggningen med {} kunde inte bekräftas. Börja om.", provider.name);
        return refused_page(&state, &visitor, StatusCode::UNAUTHORIZED, &next, message).await;
    }
    let code = match (answer.error.as_deref(), answer.code.filter(|c| !c.is_empty() && c.len() <= 2000)) {
        (None, Some(code)) => code,
        (error, _) => {
            let detail = format!("the provider answered {}", error.unwrap_or("without a code"));
            record_refusal(&state, &actor, &provider.name, &detail).await?;
            let message = format!("Inloggningen med {} avbröts eller nekades. Försök igen, eller logga in med e-post och lösenord.", provider.name);
            return refused_page(&state, &visitor, StatusCode::UNAUTHORIZED, &next, message).await;
        }
    };
    let Some(secret) = security::open(state.config.secret_key.bytes(), &provider.client_secret_sealed) else {
        log::error!("identity provider {}: the client secret does not open with this service's key; enter it again", provider.name);
        return refused_page(&state, &visitor, StatusCode::SERVICE_UNAVAILABLE, &next, unavailable(&provider)).await;
    };
    let verified = match state.sso.finish(&provider, secret, &redirect_uri(&state), &code, &pending.nonce, &pending.pkce_verifier).await {
        Ok(verified) => verified,
        Err(SsoError::Unreachable(why)) => {
            log::warn!("identity provider {}: {why}", provider.name);
            return refused_page(&state, &visitor, StatusCode::SERVICE_UNAVAILABLE, &next, unavailable(&provider)).await;
        }
        Err(refused) => {
            record_refusal(&state, &actor, &provider.name, &refused.to_string()).await?;
            let message = format!("Inloggningen med {} kunde inte bekräftas. Börja om.", provider.name);
            return refused_page(&state, &visitor, StatusCode::UNAUTHORIZED, &next, message).await;
        }
    };
    let old_session = req.cookie(&cookie_name(&state.config, SESSION_COOKIE)).map(|c| c.value().to_owned());
    let ip = visitor.ip.clone();
    let who = provider.clone();
    let outcome = state.write(move |conn| let_in(conn, &who, &verified, &ip, old_session.as_deref())).await?;
    let mut response = match outcome {
        Outcome::Admitted(admitted) => admitted.response(&state, &next),
        Outcome::Created => {
            let message = "Ditt konto i Tvistetrappa är skapat och väntar på att en administratör bekräftar det. Du kan logga in när det är gjort.";
            refused_page(&state, &visitor, StatusCode::FORBIDDEN, &next, message.into()).await?
        }
        Outcome::Refused(refusal) => refused_page(&state, &visitor, StatusCode::FORBIDDEN, &next, refusal.message().into()).await?,
    };
    response.add_cookie(&removed_cookie(&state.config, SSO_COOKIE, SameSite::Lax)).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(response)
}

async fn record_refusal(state: &AppState, actor: &audit::Actor, provider: &str, why: &str) -> Result<(), AppError> {
    // What a provider said is quoted, but only so much of it.
    let (actor, detail) = (actor.clone(), format!("{provider}: {}", why.chars().take(200).collect::<String>()));
    state.write(move |conn| Ok(audit::record_bounded(conn, &actor, audit::Action::SsoRefused, None, &detail)?)).await
}

/// Decides and records who a verified sign-in lets in, in one transaction.
fn let_in(conn: &mut DbConn, provider: &Provider, verified: &Verified, ip: &str, old_session: Option<&str>) -> Result<Outcome, AppError> {
    // Two first sign-ins of one person at once (two tabs, a double click) link or create one
    // account: the second waits here and then finds the first one's link. Always the subject
    // first, then the address, so two sign-ins never wait for each other in a circle.
    conn.lock(&format!("sso-subject:{}:{}", provider.issuer, verified.subject))?;
    if let Some(email) = &verified.email {
        conn.lock(&format!("user-email:{email}"))?;
    }
    let organisation = provider.organisations.organisation(verified.organisation_claim.as_deref());
    let linked = match identity_providers::linked_user(conn, &provider.issuer, &verified.subject)? {
        Some(user_id) => users::by_id(conn, &user_id)?,
        None => None,
    };
    let by_email = match (&linked, &verified.email) {
        (None, Some(email)) => match identity_providers::unlinked_by_email(conn, email, &provider.issuer)? {
            Some(user_id) => users::by_id(conn, &user_id)?,
            None => None,
        },
        _ => None,
    };
    let candidate = |conn: &mut DbConn, user: &Option<users::User>| user.as_ref().map(|u| identity_providers::account(conn, u)).transpose();
    let (linked_account, email_account) = (candidate(conn, &linked)?, candidate(conn, &by_email)?);
    let may_create = provider.create_unknown && verified.email.is_some();
    let mut actor = audit::Actor { email: verified.email.clone(), ip: Some(ip.to_owned()), ..Default::default() };
    let through = ThroughProvider { provider_id: provider.id.clone(), id_token: verified.id_token.clone() };
    match sso::resolve(organisation, linked_account.as_ref(), email_account.as_ref(), may_create) {
        Resolution::SignIn { .. } | Resolution::Link { .. } => {
            let user = linked.as_ref().or(by_email.as_ref()).expect("resolve lets in only a known account");
            actor.user_id = Some(user.id.clone());
            actor.email = Some(user.email.clone());
            if linked.is_none() {
                identity_providers::link(conn, &provider.issuer, &verified.subject, &provider.id, &user.id)?;
                audit::record(conn, &actor, audit::Action::SsoLinked, Some(&user.id), &format!("{}: {}", provider.name, verified.subject))?;
            }
            let detail = format!("single sign-on: {}", provider.name);
            Ok(Outcome::Admitted(admit(conn, &actor, user, old_session, Some(&through), &detail)?))
        }
        Resolution::Create { organisation_id } => {
            let email = verified.email.clone().expect("only with an e-mail address");
            let name = verified.name.clone().filter(|n| !n.trim().is_empty()).unwrap_or_else(|| email.clone());
            if users::by_email(conn, &email)?.is_some() {
                // The address belongs to an account this provider may not sign in (linked
                // elsewhere at this issuer): never a second account for it.
                audit::record_bounded(conn, &actor, audit::Action::SsoRefused, Some(&email), &format!("{}: address already in use", provider.name))?;
                return Ok(Outcome::Refused(Refusal::Unknown));
            }
            let new = users::NewUser {
                email: &email,
                name: name.trim(),
                organisation_id: &organisation_id,
                role: Role::Local,
                password_hash: security::NO_PASSWORD,
                director: false,
                awaiting_confirmation: true,
            };
            let user_id = users::insert(conn, &new)?;
            identity_providers::link(conn, &provider.issuer, &verified.subject, &provider.id, &user_id)?;
            actor.user_id = Some(user_id.clone());
            audit::record(conn, &actor, audit::Action::SsoUserCreated, Some(&user_id), &format!("{}: {email} ({organisation_id})", provider.name))?;
            Ok(Outcome::Created)
        }
        Resolution::Refuse(refusal) => {
            let detail = format!("{}: {}", provider.name, refusal.as_str());
            audit::record_bounded(conn, &actor, audit::Action::SsoRefused, verified.email.as_deref(), &detail)?;
            Ok(Outcome::Refused(refusal))
        }
    }
}

#[derive(Template)]
#[template(path = "auth/logged_out.html")]
pub(super) struct LoggedOutPage {
    pub ctx: super::page::Page,
    pub provider: String,
    pub provider_logout: String,
}
