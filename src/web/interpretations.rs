//! The register of VIS interpretations (`/tolkningar`) and the commitment catalogue
//! (`/ataganden`): readable by every signed-in user. The case behind an interpretation is
//! linked only for those who may see it.

use super::error::AppError;
use super::export::{Cell, Table};
use super::guard::CurrentUser;
use super::reports::{download, Report};
use super::{ok_html, AppState};
use crate::domain::commitments::{self, Commitment, CATALOGUE};
use crate::store::interpretations::{self, Interpretation, Search};
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RegisterQuery {
    q: String,
    atagande: String,
}

impl RegisterQuery {
    fn search(&self) -> Search {
        Search {
            text: Some(self.q.trim().chars().take(200).collect::<String>()).filter(|q| !q.is_empty()),
            commitment: commitments::find(&self.atagande).map(|c| c.id.to_owned()),
        }
    }

    /// The same search as URL parameters, for the download links.
    fn as_params(&self) -> String {
        url::form_urlencoded::Serializer::new(String::new()).append_pair("q", &self.q).append_pair("atagande", &self.atagande).finish()
    }
}

/// An entry as the register shows it to one user.
pub struct Entry {
    pub entry: Interpretation,
    pub commitments: Vec<&'static Commitment>,
    /// The case it came from, if the user may see it.
    pub case_visible: bool,
}

#[derive(Template)]
#[template(path = "interpretations/register.html")]
struct RegisterPage {
    ctx: super::page::Page,
    query: RegisterQuery,
    params: String,
    entries: Vec<Entry>,
    commitments: &'static [Commitment],
}

fn load(conn: &mut crate::store::DbConn, user: &CurrentUser, query: &RegisterQuery) -> Result<Vec<Entry>, AppError> {
    // The user's organisations are read once for all the entries.
    let viewer = super::cases::Viewer::load(conn, user)?;
    let mut entries = Vec::new();
    for entry in interpretations::search(conn, &query.search())? {
        let case_visible = viewer.sees_case(conn, &entry.case_number)?;
        let commitments = entry.commitment_ids.iter().filter_map(|id| commitments::find(id)).collect();
        entries.push(Entry { entry, commitments, case_visible });
    }
    Ok(entries)
}

pub async fn register(state: web::Data<AppState>, user: CurrentUser, query: web::Query<RegisterQuery>) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let (reader, search) = (user.clone(), query.clone());
    let entries = state.read(move |conn| load(conn, &reader, &search)).await?;
    let page = RegisterPage { ctx: user.page(), params: query.as_params(), query, entries, commitments: &CATALOGUE };
    Ok(ok_html(page.render()?))
}

pub async fn register_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    format: web::Path<String>,
    query: web::Query<RegisterQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let reader = user.clone();
    let entries = state.read(move |conn| load(conn, &reader, &query)).await?;
    let rows = entries
        .iter()
        .map(|e| {
            vec![
                Cell::text(&e.entry.number),
                Cell::text(e.entry.decided_on.to_string()),
                Cell::text(&e.entry.protocol),
                Cell::text(&e.entry.question),
                Cell::text(&e.entry.interpretation),
                Cell::text(e.commitments.iter().map(|c| format!("{} ({})", c.title, c.reference)).collect::<Vec<_>>().join("; ")),
                Cell::text(e.entry.corrects.clone().unwrap_or_default()),
                // The case number only to those who may see the case.
                Cell::text(if e.case_visible { e.entry.case_number.clone() } else { String::new() }),
            ]
        })
        .collect();
    let table = Table {
        key: "tolkningar",
        title: "VIS tolkningar".into(),
        headings: vec!["Nummer", "Beslutsdatum", "Protokoll", "Fråga", "Tolkning", "Åtaganden", "Rättar", "Ärende"],
        rows,
    };
    let today = crate::store::today();
    let report = Report {
        title: "Register över VIS tolkningar",
        period: String::new(),
        scope: "Hela länet".into(),
        printed: today.to_string(),
        charts: Vec::new(),
        tables: vec![table],
        download: String::new(),
        statistics: false,
    };
    download(report, &format, "tolkningar", &format!("tolkningar-{today}"))
}

/// A commitment with the interpretations that concern it.
pub struct CatalogueEntry {
    pub commitment: &'static Commitment,
    pub interpretations: Vec<String>,
}

#[derive(Template)]
#[template(path = "interpretations/catalogue.html")]
struct CataloguePage {
    ctx: super::page::Page,
    entries: Vec<CatalogueEntry>,
    may_file: bool,
}

pub async fn catalogue(state: web::Data<AppState>, user: CurrentUser) -> Result<HttpResponse, AppError> {
    let all = state.read(|conn| Ok(interpretations::search(conn, &Search::default())?)).await?;
    let entries = CATALOGUE
        .iter()
        .map(|commitment| CatalogueEntry {
            commitment,
            interpretations: all.iter().filter(|i| i.commitment_ids.iter().any(|c| c == commitment.id)).map(|i| i.number.clone()).collect(),
        })
        .collect();
    let may_file = user.user.role.files_cases();
    Ok(ok_html(CataloguePage { ctx: user.page(), entries, may_file }.render()?))
}
