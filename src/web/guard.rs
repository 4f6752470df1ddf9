//! The one gate every request passes: it finds the session, refuses anything but the public
//! pages to anonymous visitors (deny by default), keeps administration to administrators,
//! and refuses every state-changing request without a valid CSRF token.

use super::error::AppError;
use super::page::{Page, PageUser};
use super::{kept, AppState};
use crate::domain::access::Scope;
use crate::security::{constant_time_eq, csrf_token, random_token};
use crate::store::sessions::{HasUnits, Session};
use crate::store::{self, audit, users::User};
use crate::store::{DbConn, QueryResult};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use futures_util::StreamExt;
use std::borrow::Cow;
use std::future::{ready, Ready};
use std::time::Instant;

pub const SESSION_COOKIE: &str = "tvs_session";
const ANON_COOKIE: &str = "tvs_anon";
/// Holds the challenge between a right password and a right second-factor code.
pub const CHALLENGE_COOKIE: &str = "tvs_mfa";
/// Ties a sign-in through an identity provider to the browser that started it.
pub const SSO_COOKIE: &str = "tvs_sso";
/// The largest urlencoded form the gate reads to find the token.
pub const FORM_LIMIT: usize = 1024 * 1024;

const NUL_REFUSED: &str = "Uppgifterna innehåller ett otillåtet tecken (NUL).";

/// Reachable without signing in. Asked of the decoded, normalised path, so no spelling of a
/// path can make a private page public.
fn is_public(path: &str) -> bool {
    matches!(path, "/logga-in" | "/logga-in/kod" | "/logga-in/svar" | "/glomt-losenord" | "/healthz" | "/readyz")
        || path.starts_with("/logga-in/via/")
        || path.starts_with("/aterstall/")
        || path.starts_with("/static/")
}

/// Percent-decoded until nothing changes (a few rounds at most), as the most eager reader
/// of a URL would see it.
pub fn fully_decoded(raw: &str) -> String {
    let mut decoded = raw.to_owned();
    for _ in 0..4 {
        let next = percent_encoding::percent_decode_str(&decoded).decode_utf8_lossy().into_owned();
        if next == decoded {
            break;
        }
        decoded = next;
    }
    decoded
}

/// The path as a router that decodes everything would see it: fully decoded, `;parameters`
/// dropped, empty and `.` segments removed and `..` resolved.
pub fn normalised_path(raw: &str) -> String {
    let decoded = fully_decoded(raw);
    let mut segments: Vec<&str> = Vec::new();
    for segment in decoded.split(['/', '\\']) {
        let segment = segment.split(';').next().unwrap_or("");
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            other => segments.push(other),
        }
    }
    format!("/{}", segments.join("/"))
}

/// A cookie's name: with `Secure`, the `__Host-` prefix makes the browser refuse the cookie
/// from a sibling domain or over plain HTTP.
pub fn cookie_name(config: &crate::config::Config, name: &'static str) -> Cow<'static, str> {
    if config.secure_cookies() {
        Cow::Owned(format!("__Host-{name}"))
    } else {
        Cow::Borrowed(name)
    }
}

/// Put on a refusal's response (see [`AppError::Forbidden`]); the gate writes the audit row
/// once the handler is done, so a refusal inside a rolled-back transaction is still logged.
#[derive(Clone, Copy)]
pub struct Refused(pub &'static str);

/// The signed-in user of this request, put there by the gate.
#[derive(Clone)]
pub struct CurrentUser {
    pub user: User,
    pub organisation_name: String,
    pub has_units: HasUnits,
    pub csrf: String,
    /// The session cookie's token, to end or replace this session.
    pub session_token: String,
    pub ip: String,
    /// After how many idle minutes the session ends, which every page says.
    pub idle_minutes: i64,
}

impl CurrentUser {
    pub fn page(&self) -> Page {
        Page {
            user: Some(PageUser {
                name: self.user.name.clone(),
                email: self.user.email.clone(),
                role: self.user.role,
                organisation_name: self.organisation_name.clone(),
                idle_minutes: self.idle_minutes,
            }),
            csrf: self.csrf.clone(),
            notice: None,
        }
    }

    /// The user's organisation and every unit below it.
    pub fn subtree(&self, conn: &mut DbConn) -> QueryResult<Vec<String>> {
        match self.has_units {
            HasUnits(true) => store::organisations::subtree(conn, &self.user.organisation_id),
            HasUnits(false) => Ok(vec![self.user.organisation_id.clone()]),
        }
    }

    pub fn scope(&self) -> Scope {
        Scope::for_user(self.user.role, &self.user.organisation_id)
    }

    pub fn actor(&self) -> audit::Actor {
        audit::Actor { user_id: Some(self.user.id.clone()), email: Some(self.user.email.clone()), ip: Some(self.ip.clone()) }
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // The gate lets no request without a session reach a handler that asks for one;
        // should a route be made public by mistake, this refuses instead of serving.
        ready(req.extensions().get::<CurrentUser>().cloned().ok_or(AppError::Forbidden("Du måste logga in.")))
    }
}

/// A visitor who is not signed in: the CSRF token of their anonymous cookie and their address.
#[derive(Clone)]
pub struct Visitor {
    pub csrf: String,
    pub ip: String,
}

impl Visitor {
    pub fn page(&self) -> Page {
        Page { user: None, csrf: self.csrf.clone(), notice: None }
    }
}

impl FromRequest for Visitor {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A signed-in user may use the public pages too (sign in as someone else, reset a
        // password); their forms then carry the session's token.
        let extensions = req.extensions();
        let visitor = extensions
            .get::<Visitor>()
            .cloned()
            .or_else(|| extensions.get::<CurrentUser>().map(|user| Visitor { csrf: user.csrf.clone(), ip: user.ip.clone() }));
        ready(visitor.ok_or(AppError::Internal("no visitor set by the gate".into())))
    }
}

/// The client's address: the TCP peer, or behind a trusted proxy what it forwarded.
pub fn client_ip(req: &HttpRequest, trusted: &[crate::proxies::Network]) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else { return String::new() };
    let forwarded = req.headers().get("x-forwarded-for").and_then(|v| v.to_str().ok());
    crate::proxies::client(peer, forwarded, trusted).to_string()
}

/// Every cookie the service sets: for the whole site, out of scripts' reach, `Secure` (and
/// `__Host-`) with an https `BASE_URL`. A removal must carry the same attributes, or a
/// browser keeps the `__Host-` cookie.
pub fn cookie(config: &crate::config::Config, name: &'static str, value: String, same_site: SameSite) -> Cookie<'static> {
    Cookie::build(cookie_name(config, name), value).path("/").http_only(true).secure(config.secure_cookies()).same_site(same_site).finish()
}

/// The cookie `name` removed.
pub fn removed_cookie(config: &crate::config::Config, name: &'static str, same_site: SameSite) -> Cookie<'static> {
    let mut removed = cookie(config, name, String::new(), same_site);
    removed.make_removal();
    removed
}

pub fn session_cookie(state: &AppState, token: String) -> Cookie<'static> {
    cookie(&state.config, SESSION_COOKIE, token, SameSite::Lax)
}

pub fn expired_session_cookie(state: &AppState) -> Cookie<'static> {
    removed_cookie(&state.config, SESSION_COOKIE, SameSite::Lax)
}

/// The session behind a session cookie's token: from the sessions this server keeps where it
/// may (see [`SessionCache`](super::session_cache::SessionCache)), else from the database.
async fn look_up_session(state: &AppState, token: String) -> Result<Session, AppError> {
    let idle = state.config.session_idle_minutes;
    let hash = crate::security::token_hash(&token);
    if let Some((changes, session)) = state.sessions.get(&hash, Instant::now(), store::now(), idle) {
        return Ok(Session::Active { session, changes: Some(changes) });
    }
    let started = Instant::now();
    let found = state.read(move |conn| Ok(store::sessions::user_for(conn, &token, idle)?)).await?;
    if let Session::Active { session, changes: Some(changes) } = &found {
        state.sessions.found(hash, started, *changes, session);
    }
    Ok(found)
}

pub async fn gate(mut req: ServiceRequest, next: Next<impl MessageBody + 'static>) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let path = normalised_path(req.path());
    if path.starts_with("/static/") || path == "/healthz" || path == "/readyz" {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let state = req.app_data::<web::Data<AppState>>().cloned().ok_or_else(|| AppError::Internal("no state".into()))?;
    // No text anywhere in the service may hold a NUL character (PostgreSQL cannot store one),
    // so a request carrying one is refused here rather than failing deep in a query.
    if req.uri().to_string().to_ascii_lowercase().contains("%00") {
        return Ok(req.into_response(AppError::BadRequest(NUL_REFUSED.into()).error_response()));
    }
    let ip = client_ip(req.request(), &state.config.trusted_proxies);
    let secret = state.config.secret_key.bytes().to_vec();

    let session_token = req.cookie(&cookie_name(&state.config, SESSION_COOKIE)).map(|c| c.value().to_owned()).filter(|t| t.len() == 64);
    let session = match session_token.clone() {
        Some(token) => look_up_session(&state, token).await?,
        None => Session::Unknown,
    };
    let (signed_in, ended_for) = match (session, session_token) {
        (Session::Active { session, .. }, Some(token)) => (Some((session.user, session.organisation_name, session.has_units, token)), None),
        (Session::Ended { user_id }, _) => (None, Some(user_id)),
        _ => (None, None),
    };

    // The browser's own anonymous key (made now if it has none): what a visitor's CSRF token
    // and a form kept across a time-out are tied to.
    let existing_anonymous = req.cookie(&cookie_name(&state.config, ANON_COOKIE)).map(|c| c.value().to_owned()).filter(|v| v.len() == 64);
    let mut new_anonymous = None;
    let csrf = match &signed_in {
        Some((_, _, _, token)) => csrf_token(&secret, "session", token),
        None => {
            let anonymous = existing_anonymous.clone().unwrap_or_else(|| {
                let value = random_token();
                new_anonymous = Some(value.clone());
                value
            });
            csrf_token(&secret, "anon", &anonymous)
        }
    };

    if signed_in.is_none() && !is_public(&path) {
        let mut target = req.path().to_owned();
        if let Some(query) = Some(req.query_string()).filter(|q| !q.is_empty()) {
            target = format!("{target}?{query}");
        }
        // A form sent after the session ended waits for its user to sign in again.
        if let Some(user_id) = ended_for.filter(|_| *req.method() == Method::POST && origin_matches(&req, &state.config.base_url)) {
            target = match keep_form(&mut req, &state, existing_anonymous.or(new_anonymous.clone()).expect("made above"), user_id).await {
                Ok(page) => page,
                Err(refused) => return Ok(req.into_response(refused.error_response())),
            };
        }
        let location = format!("/logga-in?next={}", url::form_urlencoded::byte_serialize(target.as_bytes()).collect::<String>());
        let mut response = HttpResponse::SeeOther().insert_header((header::LOCATION, location)).finish();
        if let Some(value) = new_anonymous {
            response.add_cookie(&cookie(&state.config, ANON_COOKIE, value, SameSite::Strict))?;
        }
        return Ok(req.into_response(response));
    }

    let actor = match &signed_in {
        Some((user, _, _, _)) => audit::Actor { user_id: Some(user.id.clone()), email: Some(user.email.clone()), ip: Some(ip.clone()) },
        None => audit::Actor { ip: Some(ip.clone()), ..Default::default() },
    };

    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let submitted = match submitted_csrf(&mut req).await {
            Err(refused) => return Ok(req.into_response(refused.error_response())),
            Ok(token) => token,
        };
        let same_origin = origin_matches(&req, &state.config.base_url);
        if !same_origin || !submitted.is_some_and(|t| constant_time_eq(&t, &csrf)) {
            let detail = if same_origin { "missing or wrong CSRF token" } else { "foreign Origin" };
            let (actor, target) = (actor.clone(), audit_target(req.request(), false));
            state.write(move |conn| Ok(audit::record_bounded(conn, &actor, audit::Action::CsrfRejected, Some(&target), detail)?)).await?;
            return Ok(req.into_response(AppError::Csrf.error_response()));
        }
    }

    // The kept form a page is to be filled in with, once its user has signed in again.
    // The query is read only for a signed-in GET: most requests pay nothing for this.
    let restore = match &signed_in {
        Some((user, _, _, _)) if *req.method() == Method::GET => kept::requested(req.query_string())
            .and_then(|id| req.cookie(&cookie_name(&state.config, ANON_COOKIE)).map(|c| (id, c.value().to_owned(), user.id.clone()))),
        _ => None,
    };
    let signed_in = signed_in.is_some_and(|(user, organisation_name, has_units, token)| {
        req.extensions_mut().insert(CurrentUser {
            user,
            organisation_name,
            has_units,
            csrf: csrf.clone(),
            session_token: token,
            ip: ip.clone(),
            idle_minutes: state.config.session_idle_minutes,
        });
        true
    });
    if !signed_in {
        req.extensions_mut().insert(Visitor { csrf, ip });
    }

    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Some((id, browser, user_id)) = restore.filter(|_| response.status() == StatusCode::OK) {
        if let Some(form) = state.run(move |conn| Ok(store::kept_forms::take(conn, &id, &browser, &user_id)?)).await? {
            let (request, page) = response.into_parts();
            let (page, body) = page.into_parts();
            let html = actix_web::body::to_bytes(body).await.map_err(|e| AppError::Internal(format!("page body: {e}")))?;
            response = ServiceResponse::new(request, page.set_body(BoxBody::new(kept::refill(&String::from_utf8_lossy(&html), &form))));
        }
    }
    let refused = response.response().extensions().get::<Refused>().copied();
    let downloaded = response.headers().get(header::CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("attachment"));
    if let Some(Refused(why)) = refused {
        let target = audit_target(response.request(), false);
        state.write(move |conn| Ok(audit::record_bounded(conn, &actor, audit::Action::AccessDenied, Some(&target), why)?)).await?;
    } else if downloaded && signed_in {
        // Payment data and attachments leave the service here: who took what is kept.
        let target = audit_target(response.request(), true);
        state.write(move |conn| Ok(audit::record(conn, &actor, audit::Action::Download, Some(&target), "")?)).await?;
    }
    let headers = response.headers_mut();
    if signed_in {
        // Nothing a signed-in user sees may be kept by a browser or proxy for the next person.
        headers.insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    if state.config.secure_cookies() {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, header::HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    }
    if let Some(value) = new_anonymous {
        let cookie = cookie(&state.config, ANON_COOKIE, value, SameSite::Strict);
        response.response_mut().add_cookie(&cookie)?;
    }
    Ok(response)
}

fn header_text(req: &ServiceRequest, name: header::HeaderName) -> Option<&str> {
    req.headers().get(name).and_then(|v| v.to_str().ok())
}

/// Keeps the urlencoded form of a request whose session just ended, for the browser holding
/// `browser` and the user `user_id`, and returns the page the form was on, to go back to
/// after signing in: with the kept form to fill in, or as it is for a form that cannot be
/// kept (a file upload).
async fn keep_form(req: &mut ServiceRequest, state: &AppState, browser: String, user_id: String) -> Result<String, AppError> {
    let form_path = req.path().to_owned();
    let page = kept::page_of(header_text(req, header::REFERER), &state.config.base_url, &form_path);
    let urlencoded = header_text(req, header::CONTENT_TYPE).is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !urlencoded {
        return Ok(page);
    }
    let body = form_body(req).await?;
    let form = store::kept_forms::KeptForm { form_path, page_path: page.clone(), fields: kept::fields(&body) };
    let id = state.run(move |conn| Ok(store::kept_forms::keep(conn, &browser, &user_id, &form)?)).await?;
    Ok(kept::with_restore(&page, &id))
}

/// An urlencoded body, read whole (up to the form limit) and put back for the handler;
/// refused when it holds a NUL.
async fn form_body(req: &mut ServiceRequest) -> Result<web::Bytes, AppError> {
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| AppError::BadRequest(format!("Formuläret kom inte fram helt: {e}")))?;
        if body.len() + chunk.len() > FORM_LIMIT {
            return Err(AppError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    if url::form_urlencoded::parse(&body).any(|(k, v)| k.contains('\0') || v.contains('\0')) {
        return Err(AppError::BadRequest(NUL_REFUSED.into()));
    }
    req.set_payload(Payload::from(body.clone()));
    Ok(body)
}

/// What an audit row says was asked for: the method and the path as it was written (and
/// the query, for a download). Made only when a row is written, not for every request.
fn audit_target(req: &HttpRequest, with_query: bool) -> String {
    match req.query_string() {
        query if with_query && !query.is_empty() => format!("{} {}?{query}", req.method(), req.path()),
        _ => format!("{} {}", req.method(), req.path()),
    }
}

/// The token from the `X-CSRF-Token` header, the `csrf` field of an urlencoded form (the body
/// is read and put back for the handler), or the `csrf` query parameter of a multipart form.
async fn submitted_csrf(req: &mut ServiceRequest) -> Result<Option<String>, AppError> {
    let header_token = req.headers().get("x-csrf-token").and_then(|v| v.to_str().ok()).map(str::to_owned);
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    if content_type.starts_with("application/x-www-form-urlencoded") {
        // Read (and put back for the handler) whatever carries the token, so the NUL check
        // holds for a form whose token came in the header too.
        let body = form_body(req).await?;
        let token = url::form_urlencoded::parse(&body).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned());
        return Ok(header_token.or(token));
    }
    if header_token.is_some() {
        return Ok(header_token);
    }
    if content_type.starts_with("multipart/form-data") {
        let query = req.query_string();
        return Ok(url::form_urlencoded::parse(query.as_bytes()).find(|(k, _)| k == "csrf").map(|(_, v)| v.into_owned()));
    }
    Ok(None)
}

/// A browser's `Origin` must be our own: `BASE_URL`, or the host the request was sent to.
fn origin_matches(req: &ServiceRequest, base_url: &str) -> bool {
    let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok()) else { return true };
    if origin == base_url {
        return true;
    }
    let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or("");
    let bare = origin.strip_prefix("https://").or_else(|| origin.strip_prefix("http://")).unwrap_or("");
    !host.is_empty() && bare == host
}
