//! Follow-up reports for Storsthlm, HSF, the steering group and the VIS secretariat (the
//! county), and for a `local` user about their own organisation: the cases of a period and
//! the payment figures per month and unit, with charts, CSV and XLSX of every table, and a
//! print stylesheet for A4.

use super::charts::{self, Bar};
use super::error::AppError;
use super::export::{self, Cell, Table};
use super::forms::FieldErrors;
use super::guard::CurrentUser;
use super::page::Page;
use super::payment::paying_organisation;
use super::AppState;
use crate::domain::commitments;
use crate::domain::ladder::Level;
use crate::domain::payment::{Fraction, Model, Month, Readmissions, UnitResult};
use crate::domain::reports::{self, case_figures, ClosedCase, FiledGroup, Period};
use crate::store::{calculations, episodes, organisations, reports as queries, DbConn};
use actix_web::http::header;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;
use std::collections::HashMap;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ReportQuery {
    fran: String,
    till: String,
    tabell: String,
}

/// The organisations whose reports a user sees: None for the county.
fn visible(conn: &mut DbConn, user: &CurrentUser) -> Result<Option<Vec<String>>, AppError> {
    Ok(if user.user.role.sees_county() { None } else { Some(user.subtree(conn)?) })
}

const CASES: charts::Unit = ("ärende", "ärenden");

/// A rendered chart: its caption and SVG, made here from escaped labels and numbers only.
pub struct Chart {
    pub title: &'static str,
    pub svg: String,
}

impl Chart {
    fn columns(id: &str, title: &'static str, unit: charts::Unit, bars: &[Bar]) -> Chart {
        Chart { title, svg: charts::columns(id, title, unit, bars) }
    }

    fn bars(id: &str, title: &'static str, unit: charts::Unit, bars: &[Bar]) -> Chart {
        Chart { title, svg: charts::bars(id, title, unit, bars) }
    }
}

/// What every report page shows around its tables.
pub struct Report {
    pub title: &'static str,
    /// The period as the user reads it.
    pub period: String,
    pub scope: String,
    pub printed: String,
    pub charts: Vec<Chart>,
    pub tables: Vec<Table>,
    /// The download address without the format, with the period's query.
    pub download: String,
    /// Some month of the report lies before payment responsibility: its amounts are statistics.
    pub statistics: bool,
}

const CASE_REPORT: &str = "Uppföljning av avvikelser och tvister";
const PAYMENT_REPORT: &str = "Betalningsansvar per månad och enhet";

#[derive(Template)]
#[template(path = "reports/report.html")]
struct ReportPage {
    ctx: Page,
    /// The report's name, also while the period asked for is refused.
    title: &'static str,
    report: Option<Report>,
    /// Where the period form posts and which kind of date it asks for.
    action: &'static str,
    month_fields: bool,
    fran: String,
    till: String,
    errors: FieldErrors,
}

/// Organisation names by id, read once per report.
struct OrganisationNames(HashMap<String, String>);

impl OrganisationNames {
    fn load(conn: &mut DbConn) -> Result<OrganisationNames, AppError> {
        Ok(OrganisationNames(organisations::choices(conn)?.into_iter().map(|c| (c.id, c.name)).collect()))
    }

    /// The name, or the id of an organisation no longer in the registry.
    fn of(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_owned())
    }
}

fn scope_text(conn: &mut DbConn, user: &CurrentUser) -> Result<String, AppError> {
    if user.user.role.sees_county() {
        return Ok("Hela länet".to_owned());
    }
    let name = organisations::get(conn, &user.user.organisation_id)?.map(|o| o.name).unwrap_or_default();
    Ok(format!("{name} med underordnade enheter"))
}

// ------------------------------------------------------------------ the case report

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A period that cannot be reported on: what to say at the fields, and the answer's status
/// (400 for a period outside the bounds every request keeps to, 422 for one not understood).
pub struct InvalidPeriod {
    errors: FieldErrors,
    status: StatusCode,
}

impl InvalidPeriod {
    /// `backwards` is what to say when the end comes before the start (in days or months).
    fn refused(mut errors: FieldErrors, refusal: reports::PeriodRefusal, backwards: &'static str) -> InvalidPeriod {
        let message = if refusal == reports::PeriodRefusal::Reversed { backwards } else { refusal.message() };
        errors.add("till", message);
        let status = if refusal == reports::PeriodRefusal::Reversed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::BAD_REQUEST };
        InvalidPeriod { errors, status }
    }
}

const DAYS_BACKWARDS: &str = "Slutdatumet kan inte ligga före startdatumet.";

/// The period asked for, the current year when nothing is asked, or what is wrong.
fn case_period(query: &ReportQuery, today: NaiveDate) -> Result<Period, InvalidPeriod> {
    let year = Period::year_of(today);
    let mut errors = FieldErrors::default();
    let mut day = |field: &'static str, text: &str, default: NaiveDate| {
        if text.trim().is_empty() {
            return Some(default);
        }
        let parsed = parse_day(text);
        if parsed.is_none() {
            errors.add(field, "Ange datumet som ÅÅÅÅ-MM-DD.");
        }
        parsed
    };
    let from = day("fran", &query.fran, year.from);
    let to = day("till", &query.till, year.to);
    let (Some(from), Some(to)) = (from, to) else { return Err(InvalidPeriod { errors, status: StatusCode::UNPROCESSABLE_ENTITY }) };
    match reports::check_span((from.year(), from.month()), (to.year(), to.month())) {
        Ok(()) => Period::new(from, to).ok_or_else(|| InvalidPeriod::refused(errors, reports::PeriodRefusal::Reversed, DAYS_BACKWARDS)),
        Err(refusal) => Err(InvalidPeriod::refused(errors, refusal, DAYS_BACKWARDS)),
    }
}

fn decision_text(decisions: &[queries::DecisionLine], case_id: &str) -> String {
    let lines: Vec<String> =
        decisions.iter().filter(|d| d.0 == case_id).map(|d| format!("{} {} ({}): {}", d.2, d.3, d.1.label(), d.4.label())).collect();
    if lines.is_empty() {
        "Inget beslut ännu".to_owned()
    } else {
        lines.join("; ")
    }
}

/// A two-column table: a label and how many.
fn counts(key: &'static str, title: &str, headings: [&'static str; 2], rows: impl IntoIterator<Item = (String, usize)>) -> Table {
    Table {
        key,
        title: title.into(),
        headings: headings.to_vec(),
        rows: rows.into_iter().map(|(label, n)| vec![Cell::Text(label), Cell::Int(n as i64)]).collect(),
    }
}

fn build_case_report(conn: &mut DbConn, user: &CurrentUser, period: Period, today: NaiveDate) -> Result<Report, AppError> {
    let visible = visible(conn, user)?;
    let visible = visible.as_deref();
    let filed = reports::Filed {
        groups: queries::filed_groups(conn, period, visible)?
            .into_iter()
            .map(|(kind, commitment, level, status, cases)| FiledGroup { kind, commitment, level, status, cases: cases as usize })
            .collect(),
        overdue: queries::overdue(conn, period, visible, today)? as usize,
        by_party: queries::by_party(conn, period, visible)?.into_iter().map(|(o, n)| (o, n as usize)).collect(),
    };
    let closed_rows = queries::closed(conn, period, visible)?;
    let closed: Vec<ClosedCase> =
        closed_rows.iter().map(|(level, filed, closed)| ClosedCase { level: *level, days: (*closed - *filed).num_days() }).collect();
    let escalated: Vec<Level> = queries::escalations(conn, period, visible)?;
    let figures = case_figures(&filed, &closed, &escalated);

    let names = OrganisationNames::load(conn)?;
    let commitment_name = |id: &Option<String>| match id {
        Some(id) => commitments::find(id).map_or_else(|| id.clone(), |c| format!("{} ({})", c.title, c.reference)),
        None => "Inget åtagande (tolkningsfråga eller betalningstvist)".to_owned(),
    };
    let count = |n: usize| Cell::Int(n as i64);

    // Each month's first instant in UTC, to bucket filing and closing times by Stockholm month.
    let starts: Vec<(String, chrono::NaiveDateTime)> =
        period.months().into_iter().map(|m| (m.to_string(), crate::store::stockholm_midnight(m.first_day()))).collect();
    let month_of = |at: &chrono::NaiveDateTime| starts.partition_point(|(_, start)| start <= at).checked_sub(1);
    let mut opened_per_month: Vec<Bar> = starts.iter().map(|(m, _)| Bar { label: m.clone(), value: 0 }).collect();
    let mut closed_per_month = vec![0; starts.len()];
    for filed_at in queries::filing_times(conn, period, visible)? {
        if let Some(i) = month_of(&filed_at) {
            opened_per_month[i].value += 1;
        }
    }
    for (_, _, closed_at) in &closed_rows {
        if let Some(i) = month_of(closed_at) {
            closed_per_month[i] += 1;
        }
    }

    let structural: Vec<queries::Structural> =
        queries::structural(conn, period, visible)?.into_iter().filter(|c| reports::is_structural(c.kind, c.principled, c.level)).collect();
    let decisions = queries::decisions_of(conn, &structural.iter().map(|c| c.id.clone()).collect::<Vec<_>>())?;

    let tables = vec![
        counts(
            "oversikt",
            "Översikt",
            ["Mått", "Antal"],
            [
                ("Anmälda ärenden", figures.opened),
                ("Avslutade ärenden", figures.closed),
                ("Öppna ärenden med passerad svarsfrist", figures.overdue),
                ("Lyfta till styrgruppen", figures.to_steering),
                ("Lyfta till VIS", figures.to_vis),
            ]
            .map(|(label, n)| (label.to_owned(), n)),
        ),
        Table {
            key: "manader",
            title: "Anmälda och avslutade per månad".into(),
            headings: vec!["Månad", "Anmälda", "Avslutade"],
            rows: opened_per_month
                .iter()
                .zip(&closed_per_month)
                .map(|(b, closed)| vec![Cell::text(&b.label), Cell::Int(b.value), Cell::Int(*closed)])
                .collect(),
        },
        counts("typ", "Anmälda per typ", ["Typ", "Anmälda"], figures.by_kind.iter().map(|(k, n)| (k.label().to_owned(), *n))),
        counts("atagande", "Anmälda per åtagande", ["Åtagande", "Anmälda"], figures.by_commitment.iter().map(|(c, n)| (commitment_name(c), *n))),
        counts(
            "niva",
            "Anmälda per högsta nivå",
            ["Högsta nivå som nåtts", "Ärenden"],
            figures.by_level.iter().map(|(l, n)| (l.label().to_owned(), *n)),
        ),
        counts("status", "Anmälda per status", ["Status", "Ärenden"], figures.by_status.iter().map(|(s, n)| (s.label().to_owned(), *n))),
        counts(
            "organisation",
            "Anmälda per part",
            ["Organisation", "Ärenden där den är part"],
            figures.by_organisation.iter().map(|(o, n)| (names.of(o), *n)),
        ),
        Table {
            key: "losningstid",
            title: "Tid till avslut per nivå".into(),
            headings: vec!["Nivå där ärendet avslutades", "Avslutade", "Median (dagar)", "90:e percentilen (dagar)"],
            rows: figures
                .resolution
                .iter()
                .map(|r| vec![Cell::text(r.level.label()), count(r.cases), Cell::Int(r.median_days), Cell::Int(r.p90_days)])
                .collect(),
        },
        Table {
            key: "strukturella",
            title: "Strukturella avvikelser".into(),
            headings: vec!["Ärende", "Typ", "Rubrik", "Högsta nivå", "Principiellt", "Beslut"],
            rows: structural
                .iter()
                .map(|c| {
                    vec![
                        Cell::text(&c.number),
                        Cell::text(c.kind.label()),
                        Cell::text(&c.title),
                        Cell::text(c.level.label()),
                        Cell::text(if c.principled { "Ja" } else { "Nej" }),
                        Cell::text(decision_text(&decisions, &c.id)),
                    ]
                })
                .collect(),
        },
    ];
    let by_commitment: Vec<Bar> = figures
        .by_commitment
        .iter()
        .map(|(c, n)| Bar { label: c.as_deref().and_then(commitments::find).map_or("Inget åtagande", |c| c.title).to_owned(), value: *n as i64 })
        .collect();
    let by_level: Vec<Bar> = figures.by_level.iter().map(|(l, n)| Bar { label: l.label().to_owned(), value: *n as i64 }).collect();
    let charts = vec![
        Chart::columns("per-manad", "Anmälda ärenden per månad", CASES, &opened_per_month),
        Chart::bars("per-atagande", "Anmälda ärenden per åtagande", CASES, &by_commitment),
        Chart::bars("per-niva", "Ärenden per högsta nivå", CASES, &by_level),
    ];
    Ok(Report {
        title: CASE_REPORT,
        period: format!("{} – {}", period.from, period.to),
        scope: scope_text(conn, user)?,
        printed: today.to_string(),
        charts,
        tables,
        download: format!("/rapporter/arenden.{{format}}?fran={}&till={}", period.from, period.to),
        statistics: false,
    })
}

pub async fn cases_report(state: web::Data<AppState>, user: CurrentUser, query: web::Query<ReportQuery>) -> Result<HttpResponse, AppError> {
    let today = crate::store::today();
    let query = query.into_inner();
    let period = case_period(&query, today);
    let viewer = user.clone();
    let report = match period {
        Ok(period) => Ok(state.read(move |conn| build_case_report(conn, &viewer, period, today)).await?),
        Err(errors) => Err(errors),
    };
    render(user, report, "/rapporter/arenden", false, query)
}

fn render(
    user: CurrentUser,
    report: Result<Report, InvalidPeriod>,
    action: &'static str,
    month_fields: bool,
    query: ReportQuery,
) -> Result<HttpResponse, AppError> {
    let (report, errors, status) = match report {
        Ok(report) => (Some(report), FieldErrors::default(), actix_web::http::StatusCode::OK),
        Err(invalid) => (None, invalid.errors, invalid.status),
    };
    let (fran, till) = match &report {
        Some(_) if query.fran.is_empty() && query.till.is_empty() => (String::new(), String::new()),
        _ => (query.fran, query.till),
    };
    let title = if month_fields { PAYMENT_REPORT } else { CASE_REPORT };
    let page = ReportPage { ctx: user.page(), title, report, action, month_fields, fran, till, errors };
    Ok(super::html(status, page.render()?))
}

/// A report's tables as CSV (one table, `?tabell=`) or XLSX (all of them).
pub(super) fn download(report: Report, format: &str, table: &str, name: &str) -> Result<HttpResponse, AppError> {
    let (bytes, content_type, extension) = match format {
        "xlsx" => {
            let heading = [
                ("Rapport", report.title.to_owned()),
                ("Period", report.period.clone()),
                ("Omfattning", report.scope.clone()),
                ("Utskriven", report.printed.clone()),
            ];
            (export::xlsx(&heading, &report.tables)?, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx")
        }
        "csv" => {
            let table = report.tables.iter().find(|t| t.key == table).ok_or(AppError::NotFound)?;
            (export::csv(&[table])?, "text/csv; charset=utf-8", "csv")
        }
        _ => return Err(AppError::NotFound),
    };
    let suffix = if extension == "csv" { format!("-{table}") } else { String::new() };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}{suffix}.{extension}\"")))
        .body(bytes))
}

pub async fn cases_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    format: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::store::today();
    let query = query.into_inner();
    let period = case_period(&query, today)
        .map_err(|_| AppError::BadRequest("Ange en period på högst tio år mellan 2019 och 2100, som ÅÅÅÅ-MM-DD.".into()))?;
    let report = state.read(move |conn| build_case_report(conn, &user, period, today)).await?;
    download(report, &format, &query.tabell, &format!("arenden-{}-{}", period.from, period.to))
}

// ------------------------------------------------------------------ the payment report

/// The months asked for; without them, the year of the newest imported month.
fn payment_period(query: &ReportQuery, newest: Option<Month>, today: NaiveDate) -> Result<(Month, Month), InvalidPeriod> {
    let year = newest.map_or(chrono::Datelike::year(&today), |m| m.year);
    let mut errors = FieldErrors::default();
    let mut month = |field: &'static str, text: &str, default: Month| {
        if text.trim().is_empty() {
            return Some(default);
        }
        let parsed = Month::parse(text.trim());
        if parsed.is_none() {
            errors.add(field, "Ange månaden som ÅÅÅÅ-MM.");
        }
        parsed
    };
    let from = month("fran", &query.fran, Month { year, month: 1 });
    let to = month("till", &query.till, Month { year, month: 12 });
    let (Some(from), Some(to)) = (from, to) else { return Err(InvalidPeriod { errors, status: StatusCode::UNPROCESSABLE_ENTITY }) };
    match reports::check_span((from.year, from.month), (to.year, to.month)) {
        Ok(()) => Ok((from, to)),
        Err(refusal) => Err(InvalidPeriod::refused(errors, refusal, "Slutmånaden kan inte ligga före startmånaden.")),
    }
}

fn build_payment_report(conn: &mut DbConn, user: &CurrentUser, from: Month, to: Month, today: NaiveDate) -> Result<Report, AppError> {
    let visible = visible(conn, user)?;
    let sees = |r: &UnitResult| visible.as_ref().is_none_or(|v| v.contains(&paying_organisation(&r.key.unit)));
    let months: Vec<Month> = from.through(to).collect();
    let month_names: Vec<String> = months.iter().map(|m| m.to_string()).collect();
    let disputes: Vec<queries::MonthDispute> =
        queries::disputes_in(conn, &month_names)?.into_iter().filter(|d| visible.as_ref().is_none_or(|v| v.contains(&d.organisation_id))).collect();
    let mut unit_rows = Vec::new();
    let mut month_rows = Vec::new();
    let mut amounts = Vec::new();
    let mut days = Vec::new();
    let mut follow_up_rows = Vec::new();
    let mut readmission_bars = Vec::new();
    for month in &months {
        let Some(calculation) = calculations::current(conn, *month)? else { continue };
        let Ok(results) = calculation.results else { continue };
        let seen: Vec<UnitResult> = results.iter().filter(|r| sees(r)).cloned().collect();
        let mut month_readmissions: Option<Readmissions> = None;
        for row in reports::follow_up(&seen) {
            if !row.city_total {
                if let Some(r) = row.readmissions {
                    month_readmissions.get_or_insert_default().add(r);
                }
            }
            follow_up_rows.push(vec![
                Cell::text(month.to_string()),
                Cell::text(row.name),
                Cell::Int(row.episodes),
                Cell::Int(row.included),
                Cell::Int(row.days),
                row.amount_sek.map_or_else(|| Cell::text(super::format::RATE_MISSING), Cell::Int),
                row.readmissions.map_or_else(|| Cell::text("inte rapporterat"), |r| Cell::Int(r.aged_65_or_over)),
                row.readmissions.map_or_else(|| Cell::text("inte rapporterat"), |r| Cell::Int(r.readmitted)),
                Cell::text(reports::percent_text(row.readmissions)),
            ]);
        }
        if let Some(percent) = month_readmissions.and_then(Readmissions::percent) {
            readmission_bars.push(Bar { label: month.to_string(), value: percent.round_half_up() as i64 });
        }
        let (mut total, mut included, mut day_sum, mut billable, mut disputed) = (0, 0, 0, 0i128, 0);
        // None once a unit has no daily amount: the month's statistics still show (§6).
        let mut amount = Some(0);
        let mut counted = std::collections::HashSet::new();
        for r in &seen {
            let organisation = paying_organisation(&r.key.unit);
            // A unit's disputes show on its first row (a unit can have an average and an individual row).
            let here: Vec<&queries::MonthDispute> = if counted.insert(organisation.clone()) {
                disputes.iter().filter(|d| d.month == month.to_string() && d.organisation_id == organisation).collect()
            } else {
                Vec::new()
            };
            let disputed_here: i64 = here.iter().map(|d| d.amount_sek).sum();
            let outcomes: Vec<String> = here.iter().map(|d| format!("{}: {}", d.number, dispute_state(d))).collect();
            unit_rows.push(vec![
                Cell::text(month.to_string()),
                Cell::text(r.key.unit.name()),
                Cell::text(match (&r.key.model, &r.key.care_provider) {
                    (Model::Average, _) => "Genomsnitt".to_owned(),
                    (Model::Individual, Some(p)) => format!("Individuell (psykiatri), {p}"),
                    (Model::Individual, None) => "Individuell (psykiatri)".to_owned(),
                }),
                Cell::Int(r.tally.episodes_total),
                Cell::Int(r.tally.episodes_included),
                Cell::Int(r.tally.total_days),
                r.average_days.map_or_else(|| Cell::text(""), Cell::Decimal),
                r.threshold_days.map_or_else(|| Cell::text(""), Cell::Decimal),
                Cell::Decimal(r.billable_days),
                r.amount_sek.map_or_else(|| Cell::text(super::format::RATE_MISSING), Cell::Int),
                Cell::Int(disputed_here),
                Cell::text(outcomes.join("; ")),
            ]);
            total += r.tally.episodes_total;
            included += r.tally.episodes_included;
            day_sum += r.tally.total_days;
            billable += r.billable_days.round_to_hundredths();
            amount = amount.zip(r.amount_sek).map(|(sum, a)| sum + a);
            disputed += disputed_here;
        }
        let average = if included > 0 { Cell::Decimal(Fraction::new(day_sum as i128, included as i128)) } else { Cell::text("") };
        month_rows.push(vec![
            Cell::text(month.to_string()),
            Cell::Int(total),
            Cell::Int(included),
            Cell::Int(day_sum),
            average,
            Cell::Decimal(Fraction::hundredths(billable)),
            amount.map_or_else(|| Cell::text(super::format::RATE_MISSING), Cell::Int),
            Cell::Int(disputed),
        ]);
        amounts.push(Bar { label: month.to_string(), value: amount.unwrap_or(0) });
        days.push(Bar { label: month.to_string(), value: day_sum });
    }
    let names = OrganisationNames::load(conn)?;
    let dispute_rows = disputes
        .iter()
        .map(|d| {
            vec![
                Cell::text(&d.month),
                Cell::text(names.of(&d.organisation_id)),
                Cell::text(&d.number),
                Cell::Int(d.amount_sek),
                Cell::text(dispute_state(d)),
            ]
        })
        .collect();
    let tables = vec![
        Table {
            key: "manader",
            title: "Per månad".into(),
            headings: vec![
                "Månad",
                "Vårdtillfällen",
                "Ingår",
                "Utskrivningsklara dagar från dag noll",
                "Genomsnitt",
                "Dagar med betalningsansvar",
                "Belopp (kr)",
                "Ifrågasatt (kr)",
            ],
            rows: month_rows,
        },
        Table {
            key: "enheter",
            title: "Per månad och enhet".into(),
            headings: vec![
                "Månad",
                "Enhet",
                "Modell",
                "Vårdtillfällen",
                "Ingår",
                "Utskrivningsklara dagar från dag noll",
                "Genomsnitt A",
                "Tröskel T",
                "Dagar med betalningsansvar B",
                "Belopp (kr)",
                "Ifrågasatt (kr)",
                "Tvister",
            ],
            rows: unit_rows,
        },
        Table {
            key: "uppfoljning",
            title: "Uppföljning per månad och enhet (Stockholm även som hela staden)".into(),
            headings: vec![
                "Månad",
                "Enhet",
                "Vårdtillfällen",
                "Ingår",
                "Utskrivningsklara dagar från dag noll",
                "Belopp (kr)",
                "Vårdtillfällen 65+",
                "Oplanerat återinskrivna inom 7 dagar",
                "Andel återinskrivna",
            ],
            rows: follow_up_rows,
        },
        Table {
            key: "tvister",
            title: "Betalningstvister".into(),
            headings: vec!["Månad", "Enhet", "Ärende", "Ifrågasatt belopp (kr)", "Läge"],
            rows: dispute_rows,
        },
    ];
    let mut charts = vec![
        Chart::columns("belopp", "Belopp per månad (kr)", ("kr", "kr"), &amounts),
        Chart::columns("dagar", "Utskrivningsklara dagar per månad", ("dag", "dagar"), &days),
    ];
    // Only where some month reported it: an empty chart would read as 0 %.
    if !readmission_bars.is_empty() {
        charts.push(Chart::columns(
            "aterinskrivning",
            "Oplanerade återinskrivningar inom 7 dagar bland personer 65+ (%)",
            ("%", "%"),
            &readmission_bars,
        ));
    }
    Ok(Report {
        title: PAYMENT_REPORT,
        period: format!("{from} – {to}"),
        scope: scope_text(conn, user)?,
        printed: today.to_string(),
        charts,
        tables,
        download: format!("/rapporter/betalning.{{format}}?fran={from}&till={to}"),
        statistics: crate::domain::review::statistics_only(from, crate::store::settings::settings(conn)?.payment_responsibility_from),
    })
}

fn dispute_state(d: &queries::MonthDispute) -> String {
    let status = d.status.label();
    match d.outcome {
        Some(outcome) => format!("{status}, {}", outcome.label()),
        None => status.to_owned(),
    }
}

fn newest_month(conn: &mut DbConn) -> Result<Option<Month>, AppError> {
    Ok(episodes::months(conn)?.first().and_then(|m| Month::parse(m)))
}

pub async fn payment_report(state: web::Data<AppState>, user: CurrentUser, query: web::Query<ReportQuery>) -> Result<HttpResponse, AppError> {
    let today = crate::store::today();
    let query = query.into_inner();
    let asked = query.clone();
    let viewer = user.clone();
    let report = state
        .read(move |conn| {
            let newest = newest_month(conn)?;
            Ok(match payment_period(&asked, newest, today) {
                Ok((from, to)) => Ok(build_payment_report(conn, &viewer, from, to, today)?),
                Err(errors) => Err(errors),
            })
        })
        .await?;
    render(user, report, "/rapporter/betalning", true, query)
}

pub async fn payment_download(
    state: web::Data<AppState>,
    user: CurrentUser,
    format: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, AppError> {
    let today = crate::store::today();
    let query = query.into_inner();
    let asked = query.clone();
    let (report, name) = state
        .read(move |conn| {
            let newest = newest_month(conn)?;
            let (from, to) = payment_period(&asked, newest, today)
                .map_err(|_| AppError::BadRequest("Ange en period på högst tio år mellan 2019 och 2100, som ÅÅÅÅ-MM.".into()))?;
            Ok((build_payment_report(conn, &user, from, to, today)?, format!("betalning-{from}-{to}")))
        })
        .await?;
    download(report, &format, &query.tabell, &name)
}
