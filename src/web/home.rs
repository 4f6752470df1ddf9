//! The start page: what awaits the signed-in user, by role.

use super::error::AppError;
use super::guard::CurrentUser;
use super::page::{notice, Page};
use super::{ok_html, AppState};
use crate::domain::access::Role;
use crate::store::{audit, login_attempts, users};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "home.html")]
struct StartPage {
    ctx: Page,
    role: Role,
    organisation_id: String,
    admin: Option<AdminSummary>,
}

struct AdminSummary {
    users: i64,
    inactive: i64,
    failed_logins_24h: i64,
    refused_access: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StartQuery {
    klart: Option<String>,
}

pub async fn start(state: web::Data<AppState>, user: CurrentUser, query: web::Query<StartQuery>) -> Result<HttpResponse, AppError> {
    let admin = if user.user.role == Role::Admin {
        Some(
            state
                .run(|conn| {
                    Ok(AdminSummary {
                        users: users::count(conn)?,
                        inactive: users::count_inactive(conn)?,
                        failed_logins_24h: login_attempts::failures_since(conn, 24)?,
                        refused_access: audit::count(conn, audit::Action::AccessDenied.as_str())?,
                    })
                })
                .await?,
        )
    } else {
        None
    };
    let page = StartPage {
        ctx: user.page().with_notice(notice(query.klart.as_deref())),
        role: user.user.role,
        organisation_id: user.user.organisation_id.clone(),
        admin,
    };
    Ok(ok_html(page.render()?))
}
