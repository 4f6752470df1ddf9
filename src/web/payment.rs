//! The payment model in the browser: importing episode files (HSF), the monthly overview of
//! all units, and a page per unit and month that explains its calculation.

use super::admin_forms::PostedSettings;
use super::capability::{AdminUser, LocalManager, PaymentOfficer};
use super::error::AppError;
use super::export::{self, Cell, Table};
use super::forms::{submission_key, FieldErrors, Posted};
use super::guard::CurrentUser;
use super::page::{notice, Done, Page};
use super::{html, ok_html, see_other, AppState};
use crate::domain::access::{Capability, Role};
use crate::domain::episodes::RowError;
use crate::domain::payment::versions::{episode_changes, unit_changes, Cause, EpisodeChange, Settlement, UnitChange};
use crate::domain::payment::{Episode, Fraction, Model, Month, PayingUnit, UnitResult};
use crate::domain::registry::DISTRICTS;
use crate::domain::review::ReviewAnswer;
use crate::payment::import::{import_file, ImportFailure, Recalculation};
use crate::store::audit;
use crate::store::calculations::Calculation;
use crate::store::{calculations, episodes, organisations, review, settings, submissions, DbConn};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// Whether the month's figures are statistics only: payment responsibility is activated
/// from a date an administrator sets, once the data is reliable (seed 004), not before.
fn statistics_only(conn: &mut DbConn, month: Month) -> Result<bool, AppError> {
    Ok(crate::domain::review::statistics_only(month, settings::settings(conn)?.payment_responsibility_from))
}

/// The organisation a paying unit is (a municipality, or a Stockholm district).
pub fn paying_organisation(unit: &PayingUnit) -> String {
    match unit.district.and_then(|name| DISTRICTS.iter().find(|d| d.name == name)) {
        Some(district) => district.id.to_owned(),
        None => unit.municipality.organisation_id(),
    }
}

pub fn unit_organisation(result: &UnitResult) -> String {
    paying_organisation(&result.key.unit)
}

/// Which paying units a user sees: the county, or (a `local` user) their own organisation's.
struct Visibility(Option<Vec<String>>);

impl Visibility {
    fn of(conn: &mut DbConn, user: &CurrentUser) -> Result<Visibility, AppError> {
        if user.user.role.sees_county() {
            return Ok(Visibility(None));
        }
        Ok(Visibility(Some(user.subtree(conn)?)))
    }

    fn sees(&self, unit: &PayingUnit) -> bool {
        self.0.as_ref().is_none_or(|subtree| subtree.contains(&paying_organisation(unit)))
    }
}

fn visible_units(conn: &mut DbConn, user: &CurrentUser, results: Vec<UnitResult>) -> Result<Vec<UnitResult>, AppError> {
    let visibility = Visibility::of(conn, user)?;
    Ok(results.into_iter().filter(|r| visibility.sees(&r.key.unit)).collect())
}

pub struct OverviewRow {
    pub result: UnitResult,
    pub link: String,
    pub change: Option<i64>,
}

#[derive(Template)]
#[template(path = "payment/overview.html")]
struct OverviewPage {
    ctx: Page,
    statistics: bool,
    /// When payment responsibility starts, if an administrator has set it.
    active_from: Option<chrono::NaiveDate>,
    months: Vec<String>,
    month: String,
    rows: Vec<OverviewRow>,
    error: Option<String>,
    /// None while the year has no daily amount.
    total: Option<i64>,
    can_import: bool,
    version: Option<calculations::Version>,
    invoiced: Option<Invoiced>,
    /// Why a publication was refused, at its field, and the date that was typed.
    errors: FieldErrors,
    invoice_date: String,
}

/// The month's invoice basis and what the current version means against it.
pub struct Invoiced {
    pub version: i32,
    pub invoice_date: chrono::NaiveDate,
    /// Credit or charge over the units the viewer sees; None when the current version is
    /// the invoiced one.
    pub settlement: Option<Settlement>,
}

/// The invoice basis of `month` on `today`, compared with `current` over the visible units.
fn invoiced(
    conn: &mut DbConn,
    month: Month,
    current: &Calculation,
    visibility: &Visibility,
    today: chrono::NaiveDate,
) -> Result<Option<Invoiced>, AppError> {
    let Some(basis) = review::invoiced(conn, &month.to_string(), today)? else { return Ok(None) };
    let invoiced = calculations::get(conn, &basis.calculation_id)?.ok_or(AppError::NotFound)?;
    let settlement = (invoiced.version.id != current.version.id).then(|| {
        let visible = |results: &Result<Vec<UnitResult>, String>| -> i64 {
            // Only a month with its daily amount is ever invoiced.
            results.iter().flatten().filter(|r| visibility.sees(&r.key.unit)).filter_map(|r| r.amount_sek).sum()
        };
        Settlement::of(visible(&current.results) - visible(&invoiced.results))
    });
    Ok(Some(Invoiced { version: invoiced.version.version, invoice_date: basis.invoice_date, settlement }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OverviewQuery {
    manad: String,
}

/// The unit page of the month's current version, or of a given version.
fn unit_link(month: Month, r: &UnitResult, version: Option<i32>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if let Some(v) = version {
        query.append_pair("version", &v.to_string());
    }
    query.append_pair("kommun", r.key.unit.municipality.as_str());
    if let Some(d) = r.key.unit.district {
        query.append_pair("stadsdel", d);
    }
    query.append_pair("modell", r.key.model.as_str());
    if let Some(p) = &r.key.care_provider {
        query.append_pair("vardgivare", p);
    }
    format!("/betalning/{month}/enhet?{}", query.finish())
}

/// HSF (and administrators) import episodes, publish review bases and apply corrections.
/// The new-case form's `motpart` when the counterpart is left to the filer.
pub const NO_COUNTERPART: &str = "ingen";

pub fn can_import(user: &CurrentUser) -> bool {
    Capability::PaymentOfficer.granted(user.user.role, &user.user.organisation_id)
}

pub async fn overview(state: web::Data<AppState>, user: CurrentUser, query: web::Query<OverviewQuery>) -> Result<HttpResponse, AppError> {
    let asked = Month::parse(&query.manad);
    let page = state.run(move |conn| overview_page(conn, &user, asked, FieldErrors::default(), String::new())).await?;
    Ok(ok_html(page.render()?))
}

/// The overview of `asked` (or the latest month), with what a refused publication form said.
fn overview_page(
    conn: &mut DbConn,
    viewer: &CurrentUser,
    asked: Option<Month>,
    errors: FieldErrors,
    invoice_date: String,
) -> Result<OverviewPage, AppError> {
    let today = crate::store::today();
    let months = episodes::months(conn)?;
    let active_from = settings::settings(conn)?.payment_responsibility_from;
    let mut page = OverviewPage {
        ctx: viewer.page(),
        statistics: active_from.is_none(),
        active_from,
        months,
        month: String::new(),
        rows: Vec::new(),
        error: None,
        total: Some(0),
        can_import: can_import(viewer),
        version: None,
        invoiced: None,
        errors,
        invoice_date,
    };
    let Some(month) = asked.or_else(|| page.months.first().and_then(|m| Month::parse(m))) else { return Ok(page) };
    page.month = month.to_string();
    page.statistics = crate::domain::review::statistics_only(month, active_from);
    let Some(current) = calculations::current(conn, month)? else {
        page.error = Some(format!("Det finns inga importerade vårdtillfällen för {month}."));
        return Ok(page);
    };
    let visibility = Visibility::of(conn, viewer)?;
    page.invoiced = invoiced(conn, month, &current, &visibility, today)?;
    match &current.results {
        Err(e) => page.error = Some(e.clone()),
        Ok(results) => {
            let previous = calculations::current(conn, month.previous())?.and_then(|c| c.results.ok()).unwrap_or_default();
            page.rows = results
                .iter()
                .filter(|r| visibility.sees(&r.key.unit))
                .map(|result| {
                    let change = previous.iter().find(|p| p.key == result.key).and_then(|p| Some(result.amount_sek? - p.amount_sek?));
                    OverviewRow { link: unit_link(month, result, None), change, result: result.clone() }
                })
                .collect();
        }
    }
    page.total = page.rows.iter().map(|r| r.result.amount_sek).sum();
    page.version = Some(current.version);
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnitQuery {
    version: String,
    kommun: String,
    stadsdel: String,
    modell: String,
    vardgivare: String,
}

pub struct EpisodeLine {
    pub episode: Episode,
    pub day_zero: String,
    pub days: String,
    pub reason: Option<&'static str>,
}

#[derive(Template)]
#[template(path = "payment/unit.html")]
struct UnitPage {
    ctx: Page,
    month: String,
    version: calculations::Version,
    result: UnitResult,
    name: String,
    lines: Vec<EpisodeLine>,
    /// The page's own address for a download, with `{format}` for csv or xlsx.
    download: String,
    statistics: bool,
    /// Unplanned readmissions within 7 days among people 65+, over the whole unit (§6).
    readmissions: Option<crate::domain::payment::Readmissions>,
}

fn load_unit(conn: &mut DbConn, viewer: &CurrentUser, month: Month, query: &UnitQuery) -> Result<UnitPage, AppError> {
    let rules = settings::rules(conn)?;
    let asked = if query.version.is_empty() { None } else { Some(query.version.parse::<i32>().map_err(|_| AppError::NotFound)?) };
    let calculation = match asked {
        Some(number) => calculations::version(conn, month, number)?,
        None => calculations::current(conn, month)?,
    };
    let calculation = calculation.ok_or(AppError::NotFound)?;
    let results = calculation.results.map_err(AppError::Conflict)?;
    let wanted = |r: &UnitResult| {
        r.key.unit.municipality.as_str() == query.kommun
            && r.key.unit.district.unwrap_or("") == query.stadsdel
            && r.key.model.as_str() == query.modell
            && r.key.care_provider.as_deref().unwrap_or("") == query.vardgivare
    };
    let visible = visible_units(conn, viewer, results)?;
    let result = visible.iter().find(|r| wanted(r)).cloned().ok_or(AppError::NotFound)?;
    let same_unit: Vec<UnitResult> = visible.into_iter().filter(|r| r.key.unit == result.key.unit).collect();
    let readmissions = crate::domain::reports::follow_up(&same_unit).first().and_then(|f| f.readmissions);
    let lines = episodes::unit_episodes_of(conn, &calculation.version.import_id, month, result.key.unit.municipality)?
        .into_iter()
        .filter(|e| {
            e.paying_unit() == result.key.unit
                && e.model(&rules) == result.key.model
                && (result.key.model == Model::Average || e.care_provider == result.key.care_provider)
        })
        .map(|e| EpisodeLine {
            day_zero: e.day_zero().map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
            days: e.ready_days().map(|d| d.to_string()).unwrap_or_else(|| "–".into()),
            reason: e.exclusion().map(|x| x.label()),
            episode: e,
        })
        .collect();
    let name = result.key.unit.name();
    let download = unit_link(month, &result, asked).replace("/enhet?", "/enhet.{format}?");
    let statistics = statistics_only(conn, month)?;
    Ok(UnitPage {
        ctx: viewer.page(),
        month: month.to_string(),
        version: calculation.version,
        result,
        name,
        lines,
        download,
        statistics,
        readmissions,
    })
}

pub async fn unit(
    state: web::Data<AppState>,
    user: CurrentUser,
    month: web::Path<String>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, AppError> {
    let month = Month::parse(&month).ok_or(AppError::NotFound)?;
    let page = state.run(move |conn| load_unit(conn, &user, month, &query)).await?;
    Ok(ok_html(page.render()?))
}

/// A unit's calculation as two tables, for the downloads: the summary (label and value)
/// and its episodes.
fn unit_tables(page: &UnitPage) -> [Table; 2] {
    let r = &page.result;
    let text = |label: &'static str, value: String| vec![Cell::text(label), Cell::Text(value)];
    let int = |label: &'static str, value: i64| vec![Cell::text(label), Cell::Int(value)];
    let decimal = |label: &'static str, value: Fraction| vec![Cell::text(label), Cell::Decimal(value)];
    let mut rows = vec![
        text("Månad", page.month.clone()),
        text("Enhet", page.name.clone()),
        text("Modell", if r.key.model == Model::Average { "genomsnitt".into() } else { "individuell (psykiatri)".into() }),
        text("Vårdgivare", r.key.care_provider.clone().unwrap_or_default()),
        int("Version", i64::from(page.version.version)),
        int("Vårdtillfällen", r.tally.episodes_total),
        int("Ingår", r.tally.episodes_included),
        int("Utskrivningsklara dagar", r.tally.total_days),
        int("Vårdtillfällen med minst en dag", r.tally.episodes_with_days),
    ];
    if let (Some(a), Some(t)) = (r.average_days, r.threshold_days) {
        rows.push(decimal("Genomsnitt A", a));
        rows.push(decimal("Tröskel T", t));
    }
    rows.push(decimal("Debiterbara dagar B", r.billable_days));
    match (r.daily_rate_sek, r.amount_sek) {
        (Some(rate), Some(amount)) => {
            rows.push(int("Dagbelopp (kr)", rate));
            rows.push(int("Belopp (kr)", amount));
        }
        _ => {
            rows.push(text("Dagbelopp (kr)", super::format::RATE_MISSING.into()));
            rows.push(text("Belopp (kr)", super::format::RATE_MISSING.into()));
        }
    }
    if page.statistics {
        rows.push(text("Status", "Endast statistik: betalningsansvaret är inte aktiverat".into()));
    }
    let episodes = page
        .lines
        .iter()
        .map(|line| {
            let e = &line.episode;
            vec![
                Cell::text(&e.episode_id),
                Cell::Text(e.ready_notice_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()),
                Cell::text(&line.day_zero),
                Cell::Text(e.discharged_at.format("%Y-%m-%d %H:%M").to_string()),
                e.ready_days().map_or_else(|| Cell::text("–"), Cell::Int),
                Cell::Text(line.reason.map_or_else(|| "Ja".to_owned(), |r| format!("Nej: {r}"))),
            ]
        })
        .collect();
    [
        Table { key: "berakning", title: "Beräkning".into(), headings: vec!["Uppgift", "Värde"], rows },
        Table {
            key: "vardtillfallen",
            title: "Vårdtillfällen".into(),
            headings: vec!["Vårdtillfälle", "Utskrivningsklar", "Dag noll", "Utskriven", "Dagar", "Ingår"],
            rows: episodes,
        },
    ]
}

pub async fn unit_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, String)>,
    query: web::Query<UnitQuery>,
) -> Result<HttpResponse, AppError> {
    let (month, format) = path.into_inner();
    let month = Month::parse(&month).ok_or(AppError::NotFound)?;
    let page = state.run(move |conn| load_unit(conn, &user, month, &query)).await?;
    let (body, content_type) = match format.as_str() {
        "csv" => (export::csv(&unit_tables(&page).each_ref())?, "text/csv; charset=utf-8"),
        "xlsx" => (export::xlsx(&[], &unit_tables(&page))?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        _ => return Err(AppError::NotFound),
    };
    let name: String = page.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"berakning-{}-{name}.{format}\"", page.month)))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(body))
}

#[derive(Template)]
#[template(path = "payment/imports.html")]
struct ImportsPage {
    ctx: Page,
    imports: Vec<episodes::ImportInfo>,
    errors: Vec<RowError>,
    error_total: usize,
    message: Option<String>,
}

pub async fn imports(state: web::Data<AppState>, user: PaymentOfficer, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let imports = state.read(|conn| Ok(episodes::imports(conn)?)).await?;
    let ctx = user.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(ImportsPage { ctx, imports, errors: Vec::new(), error_total: 0, message: None }.render()?))
}

/// The largest episode file taken through the browser (the CLI has no limit).
const UPLOAD_MAX: usize = 512 * 1024 * 1024;

pub async fn upload(state: web::Data<AppState>, user: PaymentOfficer, mut payload: actix_multipart::Multipart) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    use std::io::Write;
    let dir = state.config.data_dir.join("uploads");
    std::fs::create_dir_all(&dir).map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
    // Removed when this handler ends, however it ends.
    let upload = tempfile::Builder::new().suffix(".csv").tempfile_in(&dir).map_err(|e| AppError::Internal(format!("{}: {e}", dir.display())))?;
    let path = upload.path().to_path_buf();
    let mut source = String::new();
    let mut size = 0;
    let mut submission = None;
    {
        let mut file = upload.as_file();
        while let Some(field) = payload.next().await {
            let mut field = field.map_err(|e| AppError::BadRequest(format!("Filen kom inte fram: {e}")))?;
            if field.name() == Some("submission") {
                let mut key = Vec::new();
                while let Some(chunk) = field.next().await {
                    key.extend_from_slice(&chunk.map_err(|e| AppError::BadRequest(format!("Formuläret kom inte fram: {e}")))?);
                    if key.len() > 128 {
                        return Err(AppError::BadRequest("Formuläret är felaktigt.".into()));
                    }
                }
                submission = crate::web::forms::submission_key(&String::from_utf8_lossy(&key));
                continue;
            }
            if field.name() != Some("file") {
                continue;
            }
            source = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("vardtillfallen.csv")
                .chars()
                .filter(|c| !c.is_control())
                .take(150)
                .collect();
            while let Some(chunk) = field.next().await {
                let chunk = chunk.map_err(|e| AppError::BadRequest(format!("Filen kom inte fram: {e}")))?;
                size += chunk.len();
                if size > UPLOAD_MAX {
                    return Err(AppError::TooLarge);
                }
                file.write_all(&chunk).map_err(|e| AppError::Internal(format!("upload: {e}")))?;
            }
        }
    }
    const DONE: &str = "/betalning/importer?klart=import";
    let user_id = user.user.id.clone();
    let spare_from = state.config.database.kind.writes_in_parallel().then(|| state.pool.clone());
    let outcome = state
        .run(move |conn| {
            // The same upload sent again (its answer was lost) is not imported a second time.
            if let Some(key) = &submission {
                if !conn.write(|conn| submissions::claim(conn, key, &user_id))? {
                    return Ok(Err(submissions::answer(conn, key, &user_id)?));
                }
            }
            // Without a second connection (every one busy) the import goes on alone.
            let mut spare = spare_from.and_then(|pool| crate::db::checkout(&pool).ok());
            let imported = import_file(conn, spare.as_deref_mut(), &path, &source, Some(&user_id), &mut |_| {});
            if let Some(key) = &submission {
                match &imported {
                    Ok(_) => conn.write(|conn| submissions::record(conn, key, DONE))?,
                    Err(_) => conn.write(|conn| submissions::release(conn, key))?,
                }
            }
            Ok(Ok(imported))
        })
        .await;
    drop(upload);
    let imported = match outcome? {
        Ok(imported) => imported,
        Err(Some(location)) => return Ok(see_other(&location)),
        Err(None) => {
            let imports = state.read(|conn| Ok(episodes::imports(conn)?)).await?;
            let message = Some("Filen skickades redan och läses in just nu. Ladda om sidan om en stund för att se den i listan.".into());
            let page = ImportsPage { ctx: user.page(), imports, errors: Vec::new(), error_total: 0, message };
            return Ok(html(StatusCode::CONFLICT, page.render()?));
        }
    };
    match imported {
        Ok(_) => Ok(see_other(DONE)),
        Err(failure) => {
            let (errors, error_total, message) = match failure {
                ImportFailure::Invalid(crate::payment::calc::CalcFailure::Invalid { errors, total }) => (errors, total, None),
                ImportFailure::Invalid(other) => (Vec::new(), 0, Some(other.to_string())),
                ImportFailure::Database(e) => return Err(AppError::Internal(format!("import: {e}"))),
            };
            let imports = state.read(|conn| Ok(episodes::imports(conn)?)).await?;
            let page = ImportsPage { ctx: user.page(), imports, errors, error_total, message };
            Ok(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?))
        }
    }
}

#[derive(Template)]
#[template(path = "admin/payment_settings.html")]
struct SettingsPage {
    ctx: Page,
    rates: Vec<settings::DailyRate>,
    form: PostedSettings,
    errors: FieldErrors,
}

async fn render_settings(
    state: &AppState,
    admin: &CurrentUser,
    form: Option<PostedSettings>,
    errors: FieldErrors,
    notice_code: Option<&str>,
) -> Result<HttpResponse, AppError> {
    let (rates, current) = state.read(|conn| Ok((settings::daily_rates(conn)?, settings::settings(conn)?))).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = SettingsPage {
        ctx: admin.page().with_notice(notice(notice_code)),
        rates,
        form: form.unwrap_or_else(|| PostedSettings::of(&current)),
        errors,
    };
    Ok(html(status, page.render()?))
}

pub async fn settings_page(state: web::Data<AppState>, admin: AdminUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    render_settings(&state, &admin, None, FieldErrors::default(), query.klart.as_deref()).await
}

/// Saves changed settings or a daily amount and calculates every month again.
/// Sent again, the form changes nothing: every month would get yet another version.
async fn save_and_recalculate(
    state: &AppState,
    admin: &CurrentUser,
    form: &PostedSettings,
    detail: String,
    change: impl FnOnce(&mut DbConn) -> Result<(), diesel::result::Error> + Send + 'static,
) -> Result<HttpResponse, AppError> {
    let actor = admin.actor();
    let admin_id = admin.user.id.clone();
    let Ok(location) = state
        .write_once(submission_key(&form.submission), admin_id.clone(), move |conn| {
            change(conn)?;
            let by = Recalculation { cause: Cause::Settings, case_id: None, user_id: Some(&admin_id) };
            let months = crate::payment::import::recalculate_all(conn, &by)?.len();
            audit::record(conn, &actor, audit::Action::PaymentSettingsChanged, None, &format!("{detail}; new version of {months} month(s)"))?;
            super::carried_out("/admin/betalning?klart=betalning")
        })
        .await?;
    Ok(see_other(&location))
}

pub async fn save_daily_rate(state: web::Data<AppState>, admin: AdminUser, Posted(form): Posted<PostedSettings>) -> Result<HttpResponse, AppError> {
    let rate = match form.daily_rate() {
        Ok(rate) => rate,
        Err(errors) => return render_settings(&state, &admin, Some(form), errors, None).await,
    };
    let detail = format!("daily amount {} = {} kr ({})", rate.year, rate.amount, rate.source);
    save_and_recalculate(&state, &admin, &form, detail, move |conn| settings::set_daily_rate(conn, rate.year, rate.amount, &rate.source)).await
}

pub async fn save_settings(state: web::Data<AppState>, admin: AdminUser, Posted(form): Posted<PostedSettings>) -> Result<HttpResponse, AppError> {
    let new = match form.settings() {
        Ok(new) => new,
        Err(errors) => return render_settings(&state, &admin, Some(form), errors, None).await,
    };
    let detail = format!("{new:?}");
    save_and_recalculate(&state, &admin, &form, detail, move |conn| settings::save_settings(conn, &new)).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PublishForm {
    month: String,
    invoice_date: String,
    submission: String,
}

/// HSF publishes a month's current calculation as the review basis, with the planned
/// invoice date at least three weeks away; the units answer until that date (§4.2). Never
/// before payment responsibility is active.
pub async fn publish(state: web::Data<AppState>, user: PaymentOfficer, form: web::Form<PublishForm>) -> Result<HttpResponse, AppError> {
    let month = Month::parse(&form.month).ok_or_else(|| AppError::BadRequest("Välj en månad.".into()))?;
    let today = crate::store::today();
    let typed = form.invoice_date.trim().to_owned();
    // A date that is not one, or too soon, is said at the field, on the month's overview.
    let refused = |message: String| {
        let (state, viewer, typed) = (state.clone(), user.clone(), typed.clone());
        async move {
            let errors = FieldErrors::one("invoice_date", message);
            let page = state.run(move |conn| overview_page(conn, &viewer, Some(month), errors, typed)).await?;
            Ok::<_, AppError>(html(StatusCode::UNPROCESSABLE_ENTITY, page.render()?))
        }
    };
    let Ok(invoice_date) = chrono::NaiveDate::parse_from_str(&typed, "%Y-%m-%d") else {
        return refused("Ange fakturadatum som ÅÅÅÅ-MM-DD, till exempel 2026-12-31.".into()).await;
    };
    let active_from = state.read(|conn| Ok(settings::settings(conn)?.payment_responsibility_from)).await?;
    if let Err(refusal @ crate::domain::review::PublishRefusal::InvoiceTooSoon(_)) =
        crate::domain::review::may_publish(month, today, invoice_date, active_from)
    {
        return refused(refusal.message()).await;
    }
    let user_id = user.user.id.clone();
    let actor = user.actor();
    let config = state.config.clone();
    let Ok(location) = state
        .write_once(submission_key(&form.submission), user_id.clone(), move |conn| {
            let active_from = settings::settings(conn)?.payment_responsibility_from;
            crate::domain::review::may_publish(month, today, invoice_date, active_from).map_err(|refusal| AppError::Conflict(refusal.message()))?;
            let current = calculations::current(conn, month)?.ok_or(AppError::NotFound)?;
            let units = current.results.map_err(AppError::Conflict)?;
            if units.iter().any(|u| u.amount_sek.is_none()) {
                return Err(AppError::Conflict(format!(
                    "Socialstyrelsens dagbelopp för {} saknas: månaden kan inte faktureras förrän det är inlagt.",
                    month.year
                )));
            }
            if review::is_published(conn, &current.version.id)? {
                return Err(AppError::Conflict(format!("Version {} av {month} är redan publicerad.", current.version.version)));
            }
            review::publish(conn, &month.to_string(), &current.version.id, invoice_date, &user_id)?;
            let detail = format!("version {}, invoice date {invoice_date}", current.version.version);
            audit::record(conn, &actor, audit::Action::ReviewBasisPublished, Some(&month.to_string()), &detail)?;
            let mut organisations: Vec<String> = units.iter().map(unit_organisation).collect();
            organisations.dedup();
            let last_day = crate::domain::review::last_day_to_answer(invoice_date);
            crate::mail::notify::review_published(conn, &config, &month.to_string(), &organisations, last_day, crate::store::now())?;
            super::carried_out("/granskning?klart=publicerat")
        })
        .await?;
    Ok(see_other(&location))
}

pub struct ReviewRow {
    pub basis_id: String,
    pub month: String,
    pub version: i32,
    pub invoiced: bool,
    pub unit_name: String,
    pub organisation_id: String,
    /// Which of the unit's rows (`domain::review::row_key`).
    pub row_key: String,
    pub amount_sek: Option<i64>,
    pub link: String,
    pub invoice_date: chrono::NaiveDate,
    pub last_day_to_answer: chrono::NaiveDate,
    pub open: bool,
    pub response: Option<ReviewAnswer>,
    pub may_answer: bool,
}

impl ReviewRow {
    pub fn status(&self) -> &'static str {
        match (self.response, self.open) {
            (Some(answer), _) => answer.label(),
            (None, true) => "Väntar på granskning",
            (None, false) => "Granskningstiden har gått ut",
        }
    }
}

#[derive(Template)]
#[template(path = "payment/review.html")]
struct ReviewPage {
    ctx: Page,
    rows: Vec<ReviewRow>,
    /// Payment responsibility is not active: nothing here is invoiced.
    statistics: bool,
}

pub async fn review_list(state: web::Data<AppState>, user: CurrentUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let viewer = user.clone();
    let today = crate::store::today();
    let (rows, statistics) = state
        .run(move |conn| {
            let subtree = viewer.subtree(conn)?;
            let statistics = settings::settings(conn)?.payment_responsibility_from.is_none();
            let mut rows = Vec::new();
            for basis in review::published(conn)? {
                let Some(month) = Month::parse(&basis.month) else { continue };
                let Some(calculation) = calculations::get(conn, &basis.calculation_id)? else { continue };
                let Ok(results) = calculation.results else { continue };
                for result in visible_units(conn, &viewer, results)? {
                    let organisation_id = unit_organisation(&result);
                    let row_key = crate::domain::review::row_key(&result.key);
                    let response = review::response(conn, &basis.id, &organisation_id, &row_key)?;
                    let open = basis.open(today);
                    rows.push(ReviewRow {
                        may_answer: open && response.is_none() && viewer.user.role == Role::Local && subtree.contains(&organisation_id),
                        basis_id: basis.id.clone(),
                        month: basis.month.clone(),
                        unit_name: match &result.key.care_provider {
                            Some(provider) => format!("{} – övergångsregeln för psykiatri, {provider}", result.key.unit.name()),
                            None => result.key.unit.name(),
                        },
                        link: unit_link(month, &result, Some(calculation.version.version)),
                        version: calculation.version.version,
                        invoiced: basis.invoiced(today),
                        amount_sek: result.amount_sek,
                        invoice_date: basis.invoice_date,
                        last_day_to_answer: basis.last_day_to_answer(),
                        organisation_id,
                        row_key,
                        open,
                        response,
                    });
                }
            }
            Ok((rows, statistics))
        })
        .await?;
    let ctx = user.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(ReviewPage { ctx, rows, statistics }.render()?))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    organisation_id: String,
    row_key: String,
    response: String,
    submission: String,
}

/// A municipality (or district) accepts its review basis, or disputes it and goes on to
/// file a payment dispute about that month and unit.
pub async fn review_answer(
    state: web::Data<AppState>,
    user: LocalManager,
    basis_id: web::Path<String>,
    form: web::Form<AnswerForm>,
) -> Result<HttpResponse, AppError> {
    let basis_id = basis_id.into_inner();
    let form = form.into_inner();
    let answer = ReviewAnswer::parse(&form.response).ok_or_else(|| AppError::BadRequest("Välj godkänn eller ifrågasätt.".into()))?;
    let today = crate::store::today();
    let viewer = user.clone();
    let Ok(redirect) = state
        .write_once(submission_key(&form.submission), user.user.id.clone(), move |conn| {
            let subtree = viewer.subtree(conn)?;
            if !subtree.contains(&form.organisation_id) {
                return Err(AppError::NotFound);
            }
            let basis = review::get(conn, &basis_id)?.ok_or(AppError::NotFound)?;
            let calculation = calculations::get(conn, &basis.calculation_id)?.ok_or(AppError::NotFound)?;
            let results = calculation.results.map_err(AppError::Conflict)?;
            let row_key = form.row_key.as_str();
            let result = results
                .into_iter()
                .find(|r| unit_organisation(r) == form.organisation_id && crate::domain::review::row_key(&r.key) == row_key)
                .ok_or(AppError::NotFound)?;
            if !basis.open(today) {
                return Err(AppError::Conflict(format!("Granskningstiden gick ut {}.", basis.last_day_to_answer())));
            }
            if review::response(conn, &basis.id, &form.organisation_id, row_key)?.is_some() {
                return Err(AppError::Conflict("Raden är redan besvarad.".into()));
            }
            review::respond(conn, &basis.id, &form.organisation_id, row_key, answer, &viewer.user.id)?;
            audit::record(
                conn,
                &viewer.actor(),
                audit::Action::ReviewBasisAnswered,
                Some(&basis.month),
                &format!("{} {row_key} {}", form.organisation_id, answer.as_str()),
            )?;
            super::carried_out(if answer == ReviewAnswer::Accepted {
                "/granskning?klart=godkant".to_owned()
            } else {
                let mut query = url::form_urlencoded::Serializer::new(String::new());
                query.append_pair("typ", "payment_dispute");
                query.append_pair("manad", &basis.month);
                query.append_pair("version", &calculation.version.version.to_string());
                query.append_pair("enhet", &form.organisation_id);
                query.append_pair("belopp", &result.amount_sek.map(|a| a.to_string()).unwrap_or_default());
                // HSF invoices the average model; in the transitional rule the care provider does.
                let counterpart = match &result.key.care_provider {
                    Some(written) => organisations::all(conn)?
                        .into_iter()
                        .find(|o| {
                            o.kind == crate::domain::registry::OrganisationKind::CareProvider
                                && crate::domain::review::names_care_provider(written, &o.id, &o.name)
                        })
                        .map(|o| o.id),
                    None => Some("hsf".to_owned()),
                };
                // A care provider not in the registry: the filer chooses the counterpart.
                query.append_pair("motpart", counterpart.as_deref().unwrap_or(NO_COUNTERPART));
                query.append_pair("rad", row_key);
                format!("/arenden/nytt?{}", query.finish())
            })
        })
        .await?;
    Ok(see_other(&redirect))
}

// ------------------------------------------------------------------ versions of a month

pub struct VersionRow {
    pub version: calculations::Version,
    /// Over the units the viewer sees; None when the month could not be calculated.
    pub total_sek: Option<i64>,
}

#[derive(Template)]
#[template(path = "payment/versions.html")]
struct VersionsPage {
    ctx: Page,
    month: String,
    rows: Vec<VersionRow>,
    invoiced: Option<Invoiced>,
}

fn visible_total(calculation: &Calculation, visibility: &Visibility) -> Option<i64> {
    calculation.results.as_ref().ok().and_then(|results| results.iter().filter(|r| visibility.sees(&r.key.unit)).map(|r| r.amount_sek).sum())
}

/// A version made by a dispute's corrections names the case and who applied them; only those
/// who may see the case read either.
fn redacted(conn: &mut DbConn, user: &CurrentUser, mut version: calculations::Version) -> Result<calculations::Version, AppError> {
    if let Some(number) = &version.case_number {
        if !super::cases::may_see(conn, user, number)? {
            version.case_number = None;
            version.created_by = Some("–".to_owned());
        }
    }
    Ok(version)
}

/// Every version of a month's calculation, newest first, with why it was made.
pub async fn versions(state: web::Data<AppState>, user: CurrentUser, month: web::Path<String>) -> Result<HttpResponse, AppError> {
    let month = Month::parse(&month).ok_or(AppError::NotFound)?;
    let today = crate::store::today();
    let page = state
        .run(move |conn| {
            let visibility = Visibility::of(conn, &user)?;
            let mut all = Vec::new();
            for version in calculations::versions(conn, month)? {
                all.push(calculations::with_units(conn, version)?);
            }
            let current = all.first().ok_or(AppError::NotFound)?;
            let invoiced = invoiced(conn, month, current, &visibility, today)?;
            let mut rows = Vec::new();
            for c in all {
                rows.push(VersionRow { total_sek: visible_total(&c, &visibility), version: redacted(conn, &user, c.version)? });
            }
            Ok(VersionsPage { ctx: user.page(), month: month.to_string(), rows, invoiced })
        })
        .await?;
    Ok(ok_html(page.render()?))
}

/// An episode change as table cells: unit, day zero, days, counted or why not.
pub struct ChangeRow {
    pub episode_id: String,
    pub before: [String; 4],
    pub after: [String; 4],
}

impl ChangeRow {
    fn of(change: &EpisodeChange) -> ChangeRow {
        let cells = |counted: &Option<crate::domain::payment::versions::Counted>| match counted {
            None => ["saknas".to_owned(), "–".to_owned(), "–".to_owned(), "–".to_owned()],
            Some(c) => [
                format!("{} ({})", c.unit.name(), c.month),
                c.day_zero.map_or_else(|| "–".to_owned(), |d| d.to_string()),
                c.days.map_or_else(|| "–".to_owned(), |d| d.to_string()),
                c.exclusion.map_or("Ingår", |x| x.label()).to_owned(),
            ],
        };
        ChangeRow { episode_id: change.episode_id.clone(), before: cells(&change.before), after: cells(&change.after) }
    }
}

#[derive(Template)]
#[template(path = "payment/diff.html")]
struct DiffPage {
    ctx: Page,
    month: String,
    this: calculations::Version,
    other: Option<calculations::Version>,
    /// The compared version is the month's invoice basis: differences are credited or charged.
    invoice_date: Option<chrono::NaiveDate>,
    units: Vec<UnitChange>,
    total_difference: i64,
    episodes: Vec<ChangeRow>,
    statistics: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DiffQuery {
    mot: String,
}

/// One version against another (by default the one before): the units' amounts in kronor
/// and every episode whose record changed. Against the invoiced version the differences
/// are what is to be credited or charged.
pub async fn version_diff(
    state: web::Data<AppState>,
    user: CurrentUser,
    path: web::Path<(String, i32)>,
    query: web::Query<DiffQuery>,
) -> Result<HttpResponse, AppError> {
    let (month, number) = path.into_inner();
    let month = Month::parse(&month).ok_or(AppError::NotFound)?;
    let against = if query.mot.is_empty() { number - 1 } else { query.mot.parse::<i32>().map_err(|_| AppError::NotFound)? };
    let today = crate::store::today();
    let page = state
        .run(move |conn| {
            let visibility = Visibility::of(conn, &user)?;
            let this = calculations::version(conn, month, number)?.ok_or(AppError::NotFound)?;
            let other = if against >= 1 { Some(calculations::version(conn, month, against)?.ok_or(AppError::NotFound)?) } else { None };
            let invoice_date = match (&other, review::invoiced(conn, &month.to_string(), today)?) {
                (Some(o), Some(basis)) if basis.calculation_id == o.version.id => Some(basis.invoice_date),
                _ => None,
            };
            let empty = Vec::new();
            let after = this.results.as_ref().unwrap_or(&empty);
            let before = other.as_ref().and_then(|o| o.results.as_ref().ok()).unwrap_or(&empty);
            let units: Vec<UnitChange> = unit_changes(before, after).into_iter().filter(|u| visibility.sees(&u.key.unit)).collect();
            let episodes = match &other {
                Some(o) if o.version.import_id != this.version.import_id => {
                    let before = episodes::month_episodes_of(conn, &o.version.import_id, month)?;
                    let after = episodes::month_episodes_of(conn, &this.version.import_id, month)?;
                    let seen = |c: &Option<crate::domain::payment::versions::Counted>| c.as_ref().is_some_and(|c| visibility.sees(&c.unit));
                    episode_changes(&before, &after).iter().filter(|c| seen(&c.before) || seen(&c.after)).map(ChangeRow::of).collect()
                }
                _ => Vec::new(),
            };
            Ok(DiffPage {
                ctx: user.page(),
                month: month.to_string(),
                total_difference: units.iter().map(UnitChange::difference_sek).sum(),
                statistics: statistics_only(conn, month)?,
                this: redacted(conn, &user, this.version)?,
                other: other.map(|o| redacted(conn, &user, o.version)).transpose()?,
                invoice_date,
                units,
                episodes,
            })
        })
        .await?;
    Ok(ok_html(page.render()?))
}
