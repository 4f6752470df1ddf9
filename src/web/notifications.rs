//! E-mail as users and administrators see it: each user's choice for what is not
//! essential, an organisation's functional mailbox, and the outbox with retry.

use super::capability::AdminUser;
use super::error::AppError;
use super::forms::{submission_key, FieldErrors, KeyOnly, Posted};
use super::guard::CurrentUser;
use super::organisations::render_show;
use super::page::{notice, Done, Page};
use super::{html, ok_html, see_other, AppState};
use crate::domain::notify::{Delivery, Preference, ALL_PREFERENCES};
use crate::domain::text::Email;
use crate::store::outbox::{self, Listed};
use crate::store::{audit, organisations, users};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account/notifications.html")]
struct PreferencesPage {
    ctx: Page,
    current: Preference,
    choices: [Preference; 3],
}

pub async fn preferences_form(state: web::Data<AppState>, user: CurrentUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let id = user.user.id.clone();
    let current = state.read(move |conn| Ok(users::preference(conn, &id)?)).await?;
    let ctx = user.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(PreferencesPage { ctx, current, choices: ALL_PREFERENCES }.render()?))
}

/// A user's choice of e-mail, as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PostedPreference {
    preference: String,
    submission: String,
}

pub async fn save_preferences(
    state: web::Data<AppState>,
    user: CurrentUser,
    Posted(form): Posted<PostedPreference>,
) -> Result<HttpResponse, AppError> {
    let preference = Preference::parse(&form.preference).ok_or_else(|| AppError::BadRequest("Välj hur du vill få e-post.".into()))?;
    let id = user.user.id.clone();
    let Ok(location) = state
        .write_once(submission_key(&form.submission), id.clone(), move |conn| {
            users::set_preference(conn, &id, preference)?;
            super::carried_out("/konto/aviseringar?klart=sparat")
        })
        .await?;
    Ok(see_other(&location))
}

/// An organisation's functional mailbox, as posted; empty removes it.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PostedMailbox {
    contact_email: String,
    submission: String,
}

impl PostedMailbox {
    fn mailbox(&self) -> Result<Option<Email>, crate::domain::text::FieldError> {
        match self.contact_email.trim() {
            "" => Ok(None),
            text => Email::parse(text).map(Some),
        }
    }
}

/// An administrator sets (or, left empty, removes) an organisation's functional mailbox.
pub async fn save_mailbox(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    Posted(form): Posted<PostedMailbox>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let text = form.contact_email.trim().to_owned();
    let mailbox = match form.mailbox() {
        Ok(mailbox) => mailbox,
        Err(e) => {
            let page = render_show(&state, &admin, id, Some((text, FieldErrors::one("contact_email", e.0))), None).await?;
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page));
        }
    };
    let actor = admin.actor();
    let target = id.clone();
    let Ok(location) = state
        .write_once(submission_key(&form.submission), admin.user.id.clone(), move |conn| {
            if !organisations::set_contact_email(conn, &target, mailbox.as_ref().map(Email::as_str))? {
                return Err(AppError::NotFound);
            }
            let detail = format!("functional mailbox {}", mailbox.as_ref().map_or("removed", Email::as_str));
            audit::record(conn, &actor, audit::Action::UnitUpdated, Some(&target), &detail)?;
            super::carried_out(format!("/organisationer/{target}?klart=sparat"))
        })
        .await?;
    Ok(see_other(&location))
}

#[derive(Template)]
#[template(path = "admin/outbox.html")]
struct OutboxPage {
    ctx: Page,
    status: Delivery,
    counts: Vec<(Delivery, i64)>,
    messages: Vec<Listed>,
}

impl OutboxPage {
    fn when(&self, at: &chrono::NaiveDateTime) -> String {
        super::format::time(at)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OutboxQuery {
    status: String,
    klart: Option<String>,
}

pub async fn outbox_page(state: web::Data<AppState>, admin: AdminUser, query: web::Query<OutboxQuery>) -> Result<HttpResponse, AppError> {
    let status = Delivery::parse(&query.status).unwrap_or(Delivery::Pending);
    let (counts, messages) = state
        .read(move |conn| {
            let mut counts = Vec::new();
            for delivery in Delivery::ALL {
                counts.push((delivery, outbox::count(conn, delivery)?));
            }
            Ok((counts, outbox::list(conn, status, 200)?))
        })
        .await?;
    let ctx = admin.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(OutboxPage { ctx, status, counts, messages }.render()?))
}

/// Puts a failed message back in the queue; it keeps its Message-ID.
pub async fn retry(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    Posted(form): Posted<KeyOnly>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let actor = admin.actor();
    let Ok(location) = state
        .write_once(submission_key(&form.submission), admin.user.id.clone(), move |conn| {
            if !outbox::retry(conn, &id, crate::store::now())? {
                return Err(AppError::Conflict("Meddelandet har inte misslyckats, eller skickas redan igen.".into()));
            }
            audit::record(conn, &actor, audit::Action::MailRetried, Some(&id), "")?;
            super::carried_out("/admin/utkorg?status=failed&klart=igen")
        })
        .await?;
    Ok(see_other(&location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::forms::read;

    #[test]
    fn a_mailbox_is_an_address_or_nothing() {
        let mailbox = |body: &str| read::<PostedMailbox>(body.as_bytes()).unwrap().mailbox().map(|m| m.map(|e| e.as_str().to_owned()));
        assert_eq!(mailbox("contact_email=+").ok(), Some(None));
        assert_eq!(mailbox("contact_email=utskrivning%40botkyrka.se").ok(), Some(Some("utskrivning@botkyrka.se".into())));
        assert!(mailbox("contact_email=inte-en-adress").is_err());
    }

    #[test]
    fn a_preference_and_a_key_are_read_as_posted() {
        let posted: PostedPreference = read(b"preference=digest&submission=k1").unwrap();
        assert_eq!((posted.preference.as_str(), posted.submission.as_str()), ("digest", "k1"));
        assert_eq!(read::<KeyOnly>(b"csrf=t&submission=k2").unwrap().submission, "k2");
    }
}
