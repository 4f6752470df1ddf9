//! The start page: what awaits the signed-in user, by role.

use super::error::AppError;
use super::guard::CurrentUser;
use super::page::{notice, Done, Page};
use super::{ok_html, AppState};
use crate::domain::access::Role;
use crate::domain::ladder::WaitingFor;
use crate::store::{audit, cases, identity_providers, login_attempts, today, users};

/// How many waiting cases the start page lists (the rest are a click away).
const AWAITING_SHOWN: i64 = 50;
use actix_web::{web, HttpResponse};
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
struct StartPage {
    ctx: Page,
    role: Role,
    organisation_id: String,
    admin: Option<AdminSummary>,
    /// Open cases whose next move is the user's, soonest deadline first.
    rows: Vec<super::cases::Row>,
    overdue: usize,
}

struct AdminSummary {
    users: i64,
    inactive: i64,
    failed_logins_24h: i64,
    refused_access: i64,
    /// People an identity provider created, waiting for an administrator.
    awaiting_confirmation: i64,
    /// Identity providers whose client secret runs out within a month: (name, day).
    expiring_secrets: Vec<(String, chrono::NaiveDate)>,
}

pub async fn start(state: web::Data<AppState>, user: CurrentUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let admin = if user.user.role == Role::Admin {
        Some(
            state
                .read(|conn| {
                    Ok(AdminSummary {
                        users: users::count(conn)?,
                        inactive: users::count_inactive(conn)?,
                        failed_logins_24h: login_attempts::failures_since(conn, 24)?,
                        refused_access: audit::count(conn, audit::Action::AccessDenied.as_str())?,
                        awaiting_confirmation: users::count_awaiting_confirmation(conn)?,
                        expiring_secrets: identity_providers::list(conn)?
                            .into_iter()
                            .filter(|p| p.enabled && crate::domain::sso::secret_expires_soon(p.secret_expires_on, today()))
                            .filter_map(|p| Some((p.name, p.secret_expires_on?)))
                            .collect(),
                    })
                })
                .await?,
        )
    } else {
        None
    };
    let role = user.user.role;
    let viewer = user.clone();
    let shared = state.clone();
    let (awaiting, names) = state
        .view(move |conn| {
            let awaiting = match role {
                Role::Local => {
                    let subtree = viewer.subtree(conn)?;
                    cases::awaiting_party(conn, &subtree, AWAITING_SHOWN)?
                }
                Role::Reviewer => cases::awaiting_role(conn, WaitingFor::Reviewers, AWAITING_SHOWN)?,
                Role::Steering => cases::awaiting_role(conn, WaitingFor::SteeringGroup, AWAITING_SHOWN)?,
                Role::Secretariat => cases::awaiting_role(conn, WaitingFor::Vis, AWAITING_SHOWN)?,
                Role::Admin => Vec::new(),
            };
            let names = super::cases::names_for(&shared, conn, &awaiting)?;
            Ok((awaiting, names))
        })
        .await?;
    let rows = super::cases::rows(awaiting, &names, today());
    let page = StartPage {
        ctx: user.page().with_notice(notice(query.klart.as_deref())),
        role,
        organisation_id: user.user.organisation_id.clone(),
        admin,
        overdue: rows.iter().filter(|r| r.overdue).count(),
        rows,
    };
    Ok(ok_html(super::rendered_list(&page, page.rows.len())?))
}
