//! The registry as users see it: a `local` user sees its own organisation and what lies
//! below it; the county roles see everything.

use super::error::AppError;
use super::forms::FieldErrors;
use super::guard::CurrentUser;
use super::page::{notice, Done, Page};
use super::{ok_html, AppState};
use crate::domain::access::Scope;
use crate::store::organisations::{self, Organisation};
use crate::store::{audit, users, DbConn};
use actix_web::{web, HttpResponse};
use askama::Template;

/// Refuses (and logs) a look at something outside the user's scope. The answer is a plain
/// 404, so that it does not even tell whether the thing exists.
pub fn ensure_in_scope(conn: &mut DbConn, user: &CurrentUser, organisation_id: &str) -> Result<(), AppError> {
    if visible(conn, user, organisation_id)? {
        return Ok(());
    }
    audit::record(conn, &user.actor(), audit::Action::AccessDenied, Some(organisation_id), "outside the user's organisation")?;
    Err(AppError::NotFound)
}

#[derive(Template)]
#[template(path = "organisations/list.html")]
struct ListPage {
    ctx: Page,
    organisations: Vec<Organisation>,
}

pub async fn list(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let (scope, viewer) = (user.scope(), user.clone());
    let organisations = state
        .read(move |conn| {
            let all = organisations::all(conn)?;
            Ok(match scope {
                Scope::County => all,
                Scope::Subtree(_) => {
                    let visible = viewer.subtree(conn)?;
                    all.into_iter().filter(|o| visible.contains(&o.id)).collect()
                }
            })
        })
        .await?;
    Ok(ok_html(ListPage { ctx: user.page(), organisations }.render()?))
}

#[derive(Template)]
#[template(path = "organisations/show.html")]
struct ShowPage {
    ctx: Page,
    organisation: Organisation,
    parent: Option<Organisation>,
    children: Vec<Organisation>,
    contacts: Vec<users::User>,
    /// The functional mailbox field as an administrator last typed it.
    mailbox: String,
    errors: FieldErrors,
}

pub async fn show(state: web::Data<AppState>, user: CurrentUser, id: web::Path<String>, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let body = render_show(&state, &user, id.into_inner(), None, notice(query.klart.as_deref())).await?;
    Ok(ok_html(body))
}

/// The organisation's page; `typed` carries a refused mailbox and why.
pub async fn render_show(
    state: &AppState,
    user: &CurrentUser,
    id: String,
    typed: Option<(String, FieldErrors)>,
    notice: Option<&'static str>,
) -> Result<String, AppError> {
    let viewer = user.clone();
    let page = state
        .read(move |conn| {
            ensure_in_scope(conn, &viewer, &id)?;
            let organisation = organisations::get(conn, &id)?.ok_or(AppError::NotFound)?;
            let parent = match &organisation.parent_id {
                Some(parent) if visible(conn, &viewer, parent)? => organisations::get(conn, parent)?,
                _ => None,
            };
            let children = organisations::children(conn, &id)?;
            let contacts = users::in_organisations(conn, std::slice::from_ref(&id))?;
            let (mailbox, errors) = typed.unwrap_or_else(|| (organisation.contact_email.clone().unwrap_or_default(), FieldErrors::default()));
            Ok(ShowPage { ctx: viewer.page().with_notice(notice), organisation, parent, children, contacts, mailbox, errors })
        })
        .await?;
    Ok(page.render()?)
}

/// Whether the organisation exists and lies within the user's scope.
fn visible(conn: &mut DbConn, user: &CurrentUser, organisation_id: &str) -> Result<bool, AppError> {
    let lineage = organisations::lineage(conn, organisation_id)?;
    Ok(!lineage.is_empty() && user.scope().covers(lineage.iter().map(String::as_str)))
}
