//! Filing cases, reading them, and acting on them up the ladders. The rules are in
//! `domain::ladder`; this module parses forms, checks access and stores the outcome.

use super::capability::CaseFiler;
use super::case_forms::{self, CaseAction, CaseForm, Filing, LadderEntry, LadderRules, PostedAction, PostedCase, HOLDER_WARNING};
use super::error::AppError;
use super::format;
use super::forms::{submission_key, FieldErrors, Posted};
use super::guard::CurrentUser;
use super::page::{Done, Page};
use super::{html, ok_html, see_other, AppState};
use crate::domain::commitments::{self, Commitment, Responsible, CATALOGUE};
use crate::domain::deadlines;
use crate::domain::ladder::{
    self, Actor, CaseKind, CaseState, Command, EventKind, Level, Outcome, Side, Status, ALL_KINDS, ALL_LEVELS, ALL_OUTCOMES,
};
use crate::domain::payment::{self, Claim, ContestReason, Model, Month, UnitResult, ALL_CONTEST_REASONS};
use crate::domain::registry::OrganisationKind;
use crate::domain::text;
use crate::store::cases::{self, CaseRow, Filter, Holdings, ListedCase, NewCase, Party, Sort};
use crate::store::{audit, submissions, today, DbConn};
use crate::store::{calculations, disputes, episodes, interpretations, organisations, settings};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use organisations::Escaped;
use serde::Deserialize;

const PAGE_SIZE: i64 = 50;

/// What a user may see and on whose behalf they act.
pub struct Viewer {
    user: CurrentUser,
    /// The user's organisation and everything below it.
    subtree: Vec<String>,
}

impl Viewer {
    pub fn load(conn: &mut DbConn, user: &CurrentUser) -> Result<Viewer, AppError> {
        Ok(Viewer { user: user.clone(), subtree: user.subtree(conn)? })
    }

    fn sees(&self, parties: &[Party]) -> bool {
        self.user.user.role.sees_county() || parties.iter().any(|p| self.subtree.contains(&p.organisation_id))
    }

    fn actor(&self, parties: &[Party]) -> Actor {
        cases::ladder_actor(&self.user.user, &self.subtree, parties)
    }
}

impl Viewer {
    /// Whether the user may see the case with this number (nothing is logged: for pages
    /// that only mention a case).
    pub fn sees_case(&self, conn: &mut DbConn, number: &str) -> Result<bool, AppError> {
        Ok(cases::with_parties(conn, number)?.is_some_and(|(_, parties, _)| self.sees(&parties)))
    }
}

/// [`Viewer::sees_case`] for one case.
pub fn may_see(conn: &mut DbConn, user: &CurrentUser, number: &str) -> Result<bool, AppError> {
    Viewer::load(conn, user)?.sees_case(conn, number)
}

/// The case and its parties if the user may see it (reads only).
fn find_visible(conn: &mut DbConn, viewer: &Viewer, number: &str) -> Result<Option<(CaseRow, Vec<Party>, Holdings)>, AppError> {
    Ok(cases::with_parties(conn, number)?.filter(|(_, parties, _)| viewer.sees(parties)))
}

/// The 404 for a case the user may not see, logged; it does not tell whether the case exists.
fn refused_case(conn: &mut DbConn, user: &CurrentUser, number: &str) -> AppError {
    let _ = audit::record(conn, &user.actor(), audit::Action::AccessDenied, Some(number), "case outside the user's organisation");
    AppError::NotFound
}

/// The case if the user may see it; otherwise [`refused_case`].
fn load_visible(conn: &mut DbConn, viewer: &Viewer, number: &str) -> Result<(CaseRow, Vec<Party>, Holdings), AppError> {
    find_visible(conn, viewer, number)?.ok_or_else(|| refused_case(conn, &viewer.user, number))
}

// ---------------------------------------------------------------- list

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ListQuery {
    typ: String,
    niva: String,
    status: String,
    org: String,
    atagande: String,
    forsenade: String,
    fran: String,
    till: String,
    q: String,
    sortering: String,
    sida: String,
}

impl ListQuery {
    fn filter(&self, scope: Option<Vec<String>>, today: NaiveDate) -> Filter {
        let date = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
        Filter {
            scope,
            kind: CaseKind::parse(&self.typ),
            level: Level::parse(&self.niva),
            status: Status::parse(&self.status),
            organisation: Some(self.org.trim().to_owned()).filter(|o| !o.is_empty()),
            commitment: commitments::find(&self.atagande).map(|c| c.id.to_owned()),
            overdue_on: (self.forsenade == "1").then_some(today),
            filed_from: date(&self.fran),
            filed_to: date(&self.till),
            text: Some(self.q.trim().chars().take(200).collect::<String>()).filter(|q| !q.is_empty()),
            sort: match self.sortering.as_str() {
                "aldst" => Sort::Oldest,
                "frist" => Sort::Deadline,
                _ => Sort::Newest,
            },
        }
    }

    fn page(&self) -> i64 {
        self.sida.parse::<i64>().unwrap_or(1).clamp(1, 100_000)
    }

    /// This query as URL parameters, with the page replaced.
    fn with_page(&self, page: i64) -> String {
        let mut out = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("typ", &self.typ),
            ("niva", &self.niva),
            ("status", &self.status),
            ("org", &self.org),
            ("atagande", &self.atagande),
            ("forsenade", &self.forsenade),
            ("fran", &self.fran),
            ("till", &self.till),
            ("q", &self.q),
            ("sortering", &self.sortering),
        ] {
            if !value.is_empty() {
                out.append_pair(key, value);
            }
        }
        out.append_pair("sida", &page.to_string());
        out.finish()
    }
}

pub struct Row {
    pub case: ListedCase,
    pub deadline: String,
    pub overdue: bool,
    /// The name of the organisation that filed the case.
    pub filed_by: Escaped,
}

/// The list's rows, each filer named from `names` (read with [`organisations::RecentChoices::naming`]).
pub fn rows(cases: Vec<ListedCase>, names: &organisations::Choices, today: NaiveDate) -> Vec<Row> {
    cases
        .into_iter()
        .map(|case| {
            let (deadline, overdue) = deadline_text(case.deadline_on, !case.is_closed(), today);
            let filed_by = names.html(&case.filed_by_org).map_or_else(|| Escaped::new(&case.filed_by_org), |o| o.name_html.clone());
            Row { case, deadline, overdue, filed_by }
        })
        .collect()
}

/// The organisations as [`rows`] names them, for `found`.
pub fn names_for(state: &AppState, conn: &mut DbConn, found: &[ListedCase]) -> Result<std::sync::Arc<organisations::Choices>, AppError> {
    Ok(state.recent_choices.naming(conn, found.iter().map(|c| c.filed_by_org.as_str()))?)
}

/// "12 dagar kvar", "Sista dag i dag", "3 dagar försenat".
pub fn deadline_text(deadline: Option<NaiveDate>, open: bool, today: NaiveDate) -> (String, bool) {
    match (deadline, open) {
        (Some(day), true) => {
            let left = deadlines::days_left(day, today);
            let mut text = String::with_capacity(40);
            crate::domain::calendar::push_iso_day(&mut text, day);
            let (count, words) = match left {
                0 => (None, "sista dag i dag"),
                1 => (Some(1), "dag kvar"),
                n if n > 1 => (Some(n), "dagar kvar"),
                -1 => (Some(1), "dag försenat"),
                n => (Some(-n), "dagar försenat"),
            };
            text.push_str(" (");
            if let Some(n) = count {
                text.push_str(&n.to_string());
                text.push(' ');
            }
            text.push_str(words);
            text.push(')');
            (text, left < 0)
        }
        _ => (String::new(), false),
    }
}

#[derive(Template)]
#[template(path = "cases/list.html")]
struct ListPage<'a> {
    ctx: Page,
    query: ListQuery,
    rows: Vec<Row>,
    page: i64,
    previous: Option<String>,
    next: Option<String>,
    /// Each organisation the filter offers, with its escaped form.
    organisations: Vec<(&'a organisations::Choice, &'a organisations::ChoiceHtml)>,
    kinds: [CaseKind; 3],
    levels: [Level; 7],
    commitments: &'static [Commitment],
}

pub async fn list(state: web::Data<AppState>, user: CurrentUser, query: web::Query<ListQuery>) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let page = query.page();
    let today = today();
    let viewer_user = user.clone();
    let filter_query = query.clone();
    let shared = state.clone();
    let (found, all, scope) = state
        .view(move |conn| {
            let scope = if viewer_user.user.role.sees_county() { None } else { Some(viewer_user.subtree(conn)?) };
            let filter = filter_query.filter(scope.clone(), today);
            let found = cases::list(conn, &filter, (page - 1) * PAGE_SIZE, PAGE_SIZE)?;
            let names = names_for(&shared, conn, &found)?;
            Ok((found, names, scope))
        })
        .await?;
    let organisations = all.with_html().filter(|(o, _)| scope.as_ref().is_none_or(|s| s.contains(&o.id)) && o.can_be_party()).collect();
    let has_next = found.len() as i64 > PAGE_SIZE;
    let mut found = found;
    found.truncate(PAGE_SIZE as usize);
    let page_view = ListPage {
        ctx: user.page(),
        previous: (page > 1).then(|| query.with_page(page - 1)),
        next: has_next.then(|| query.with_page(page + 1)),
        query,
        rows: rows(found, &all, today),
        page,
        organisations,
        kinds: ALL_KINDS,
        levels: ALL_LEVELS,
        commitments: &CATALOGUE,
    };
    Ok(ok_html(super::rendered_list(&page_view, page_view.rows.len())?))
}

// ---------------------------------------------------------------- filing

#[derive(Template)]
#[template(path = "cases/new.html")]
struct NewPage {
    ctx: Page,
    kind: CaseKind,
    form: PostedCase,
    errors: FieldErrors,
    own_organisations: Vec<organisations::Choice>,
    billing_units: Vec<organisations::Choice>,
    commitments: &'static [Commitment],
    kinds: [CaseKind; 3],
    /// The form's key: the one it was sent with, or a new one.
    submission: String,
    /// VIS's interpretations of the chosen commitment.
    precedents: Vec<interpretations::Interpretation>,
    /// Ask the filer to confirm a counterpart that does not hold the commitment.
    confirm_holder: bool,
    /// The organisations that can be counterparts, in groups a filer looks through.
    counterpart_groups: Vec<CounterpartGroup>,
}

/// A group of possible counterparts, shown open when it is the first to look at or holds a
/// choice already made.
struct CounterpartGroup {
    title: &'static str,
    open: bool,
    choices: Vec<organisations::Choice>,
}

/// The counterparts in groups: where the chosen commitment is held by one side, that side's
/// organisations first, then the rest by kind; Stockholm's districts only as they were on `day`.
fn counterpart_groups(all: &[organisations::Choice], commitment: Option<&Commitment>, day: NaiveDate, chosen: &[String]) -> Vec<CounterpartGroup> {
    let is_chosen = |o: &organisations::Choice| chosen.contains(&o.id);
    let present: Vec<&organisations::Choice> =
        all.iter().filter(|o| o.kind != OrganisationKind::District || o.validity().contains(day) || is_chosen(o)).collect();
    let holders = commitment.and_then(|c| match c.responsible {
        Responsible::Region => Some((c.responsible, "Har åtagandet: regionen och dess vårdgivare")),
        Responsible::Municipalities => Some((c.responsible, "Har åtagandet: kommunerna")),
        Responsible::EachParty | Responsible::Jointly => None,
    });
    let holds = |o: &organisations::Choice| holders.is_some_and(|(side, _)| side.held_by(o.kind));
    let mut groups = Vec::new();
    if let Some((_, title)) = holders {
        groups.push(CounterpartGroup { title, open: true, choices: present.iter().filter(|o| holds(o)).map(|o| (*o).clone()).collect() });
    }
    use OrganisationKind as Kind;
    let kinds: [(&'static str, &[Kind]); 4] = [
        ("Kommuner", &[Kind::Municipality]),
        ("Stockholms stadsdelsområden", &[Kind::District]),
        (
            "Region Stockholm, vårdgivare och vårdenheter",
            &[Kind::Region, Kind::Administration, Kind::CareProvider, Kind::InpatientUnit, Kind::OutpatientUnit],
        ),
        ("Kommunala enheter och förbund", &[Kind::MunicipalUnit, Kind::Federation, Kind::Association]),
    ];
    for (title, members) in kinds {
        let choices: Vec<_> = present.iter().filter(|o| members.contains(&o.kind) && !holds(o)).map(|o| (*o).clone()).collect();
        if !choices.is_empty() {
            let open = choices.iter().any(is_chosen);
            groups.push(CounterpartGroup { title, open, choices });
        }
    }
    groups.retain(|g| !g.choices.is_empty());
    groups
}

impl NewPage {
    fn counterpart_chosen(&self, id: &str) -> bool {
        self.form.counterpart.iter().any(|c| c == id)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    typ: String,
    /// Prefilled from a disputed review basis: month, calculation version, billing unit and amount.
    manad: String,
    version: String,
    enhet: String,
    belopp: String,
    /// Who invoices the disputed row: HSF, or a care provider of the transitional rule.
    motpart: String,
    /// Which of the unit's rows is disputed.
    rad: String,
    /// The commitment to file against (from the catalogue page).
    atagande: String,
}

/// Organisations that can be a party: everything but the steering group and VIS.
fn party_organisations(conn: &mut DbConn) -> Result<Vec<organisations::Choice>, AppError> {
    Ok(organisations::choices(conn)?.into_iter().filter(organisations::Choice::can_be_party).collect())
}

/// The new-case form's fields in the order they appear, which the error summary follows.
const CASE_FORM_FIELDS: [&str; 13] = [
    "title",
    "filed_by_org",
    "counterpart",
    "commitment_id",
    "payment_month",
    "billing_unit_id",
    "amount_sek",
    "occurred_from",
    "occurred_to",
    "description",
    "consequences",
    "filer_registration",
    "principled",
];

async fn render_new(state: &AppState, user: &CurrentUser, kind: CaseKind, form: PostedCase, errors: FieldErrors) -> Result<HttpResponse, AppError> {
    let filer = user.clone();
    let commitment = commitments::find(&form.commitment_id);
    let (own, all, precedents) = state
        .read(move |conn| {
            let subtree = filer.subtree(conn)?;
            let all = party_organisations(conn)?;
            let own = all.iter().filter(|o| subtree.contains(&o.id)).cloned().collect::<Vec<_>>();
            let precedents = match commitment {
                Some(c) => interpretations::concerning(conn, c.id)?,
                None => Vec::new(),
            };
            Ok((own, all, precedents))
        })
        .await?;
    let billing_units = all.iter().filter(|o| o.bills_for(None)).cloned().collect();
    let day = text::date(&form.occurred_from, None).ok().flatten().unwrap_or_else(today);
    let counterpart_groups = counterpart_groups(&all, commitment, day, &form.counterparts());
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let submission = submission_key(&form.submission).unwrap_or_else(crate::security::random_token);
    let page = NewPage {
        submission,
        ctx: user.page(),
        kind,
        confirm_holder: errors.get("counterpart") == Some(HOLDER_WARNING),
        form,
        errors: errors.ordered(&CASE_FORM_FIELDS),
        own_organisations: own,
        billing_units,
        commitments: &CATALOGUE,
        kinds: ALL_KINDS,
        precedents,
        counterpart_groups,
    };
    Ok(html(status, page.render()?))
}

pub async fn new_form(state: web::Data<AppState>, user: CaseFiler, query: web::Query<NewQuery>) -> Result<HttpResponse, AppError> {
    let kind = CaseKind::parse(&query.typ).unwrap_or(CaseKind::Deviation);
    let mut prefill = PostedCase::default();
    if kind == CaseKind::PaymentDispute && !query.manad.is_empty() {
        prefill.title = format!("Granskningsunderlag {}", query.manad);
        prefill.payment_month = query.manad.clone();
        prefill.billing_unit_id = query.enhet.clone();
        prefill.filed_by_org = query.enhet.clone();
        prefill.amount_sek = query.belopp.clone();
        prefill.counterpart = match query.motpart.as_str() {
            "" => vec!["hsf".to_owned()],
            super::payment::NO_COUNTERPART => Vec::new(),
            care_provider => vec![care_provider.to_owned()],
        };
        prefill.calc_month = query.manad.clone();
        prefill.calc_unit = query.enhet.clone();
        prefill.calc_row = query.rad.clone();
        prefill.calc_version = query.version.clone();
    }
    if let Some(commitment) = commitments::find(&query.atagande) {
        prefill.commitment_id = commitment.id.to_owned();
    }
    render_new(&state, &user, kind, prefill, FieldErrors::default()).await
}

pub async fn create(state: web::Data<AppState>, user: CaseFiler, Posted(posted): Posted<PostedCase>) -> Result<HttpResponse, AppError> {
    let kind = posted.kind().ok_or_else(|| AppError::BadRequest("Välj vilken sorts ärende du anmäler.".into()))?;
    let filer = user.clone();
    let config = state.config.clone();
    let form = posted.clone();
    let outcome = state
        .write(move |conn| {
            // The same form sent again (a retry after its answer was lost) files nothing new.
            let user_id = filer.user.id.clone();
            submissions::once(conn, submission_key(&form.submission).as_deref(), &user_id, |conn| {
                let own = filer.subtree(conn)?;
                let parties = party_organisations(conn)?;
                let today = today();
                let case = match CaseForm::parse(&form, kind, &Filing { today, own: &own, parties: &parties }) {
                    Ok(case) => case,
                    Err(errors) => return Ok(Err(errors)),
                };
                let calculation = case.payment.as_ref().and_then(|p| p.calculation.clone());
                let link = match calculation {
                    Some(at) => match calculation_link(conn, &at, &own)? {
                        Some(link) => Some(link),
                        None => return Ok(Err(FieldErrors::one("payment_month", "Beräkningen som tvisten gäller hittades inte."))),
                    },
                    None => None,
                };
                let number = cases::create(conn, &new_case(case, &user_id), today)?;
                if let Some(link) = link {
                    let case = cases::by_number(conn, &number)?.ok_or(AppError::NotFound)?;
                    disputes::link(conn, &case.id, &link)?;
                }
                crate::mail::notify::case_event(conn, &config, &number, EventKind::Filed, &user_id, crate::store::now())?;
                Ok(Ok(format!("/arenden/{number}?klart=anmalt")))
            })
        })
        .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err(errors) => render_new(&state, &user, kind, posted, errors).await,
    }
}

/// The case to store from a parsed form, filed by `user_id`.
fn new_case(form: CaseForm, user_id: &str) -> NewCase {
    let (payment_month, billing_unit_id, amount_sek) = match form.payment {
        Some(p) => (Some(p.month), Some(p.billing_unit), Some(p.amount_sek)),
        None => (None, None, None),
    };
    NewCase {
        kind: form.kind,
        title: form.title,
        description: form.description,
        consequences: form.consequences,
        commitment_id: form.commitment.map(|c| c.id.to_owned()),
        filed_by_org: form.filed_by,
        filed_by_user: user_id.to_owned(),
        filer_registration: form.filer_registration,
        counterparts: form.counterparts,
        principled: form.principled,
        occurred_from: form.occurred_from,
        occurred_to: form.occurred_to,
        payment_month,
        billing_unit_id,
        amount_sek,
    }
}

const NO_CALCULATION: &str = "Tvisten gäller ingen lagrad beräkning.";

/// The calculation of `month` (a given version, or the current one) for a unit the user
/// may dispute for.
fn calculation_link(conn: &mut DbConn, at: &case_forms::CalculationRef, subtree: &[String]) -> Result<Option<disputes::CalculationLink>, AppError> {
    let (unit, row) = (at.unit.as_str(), if at.row.is_empty() { "average" } else { at.row.as_str() });
    let Some(parsed) = Month::parse(&at.month) else { return Ok(None) };
    let calculation = match at.version.parse::<i32>() {
        Ok(number) => calculations::version(conn, parsed, number)?,
        Err(_) => calculations::current(conn, parsed)?,
    };
    let Some(calculation) = calculation else { return Ok(None) };
    let Ok(results) = &calculation.results else { return Ok(None) };
    let found = subtree.iter().any(|o| o == unit)
        && results.iter().any(|r| super::payment::unit_organisation(r) == unit && crate::domain::review::row_key(&r.key) == row);
    Ok(found.then(|| disputes::CalculationLink { calculation_id: calculation.version.id, organisation_id: unit.to_owned(), row_key: row.to_owned() }))
}

/// A payment dispute about a stored calculation: the original amount, the contested
/// episodes and what the unit would owe if every claim were right; once resolved, the
/// corrections HSF applied as new calculation versions.
pub struct DisputeView {
    pub month: String,
    pub version: i32,
    pub unit_name: String,
    pub original: UnitResult,
    pub what_if: UnitResult,
    pub claims: Vec<disputes::Contested>,
    pub episode_ids: Vec<String>,
    pub may_contest: bool,
    /// HSF may apply the agreed corrections: the case is closed and none are applied yet.
    pub may_correct: bool,
    /// The versions the corrections made, as (month, version).
    pub corrections: Vec<(String, i32)>,
}

fn dispute_view(conn: &mut DbConn, case: &CaseRow, viewer: &Viewer, parties: &[Party]) -> Result<Option<DisputeView>, AppError> {
    let actor = viewer.actor(parties);
    let Some(link) = disputes::linked(conn, &case.id)? else { return Ok(None) };
    let Some(calculation) = calculations::get(conn, &link.calculation_id)? else { return Ok(None) };
    let Some(month) = Month::parse(&calculation.version.month) else { return Ok(None) };
    let Ok(results) = calculation.results else { return Ok(None) };
    let Some(original) = results
        .into_iter()
        .find(|r| super::payment::unit_organisation(r) == link.organisation_id && crate::domain::review::row_key(&r.key) == link.row_key)
    else {
        return Ok(None);
    };
    let rules = settings::rules(conn)?;
    let unit_episodes: Vec<_> = episodes::unit_episodes_of(conn, &calculation.version.import_id, month, original.key.unit.municipality)?
        .into_iter()
        .filter(|e| {
            e.paying_unit() == original.key.unit
                && e.model(&rules) == original.key.model
                && (original.key.model == Model::Average || e.care_provider == original.key.care_provider)
        })
        .collect();
    let claims = disputes::claims(conn, &case.id)?;
    let what_if = payment::what_if(&original, month, &unit_episodes, &claims.iter().map(|c| c.claim.clone()).collect::<Vec<_>>(), &rules);
    let filer = parties.iter().any(|p| p.side == Side::Filer && actor.party_orgs().contains(&p.organisation_id));
    let corrections: Vec<(String, i32)> = calculations::made_by_case(conn, &case.id)?.into_iter().map(|v| (v.month, v.version)).collect();
    Ok(Some(DisputeView {
        month: calculation.version.month,
        version: calculation.version.version,
        unit_name: original.key.unit.name(),
        episode_ids: unit_episodes.into_iter().map(|e| e.episode_id).collect(),
        may_contest: filer && case.status != Status::Closed,
        may_correct: super::payment::can_import(&viewer.user) && case.status == Status::Closed && corrections.is_empty() && !claims.is_empty(),
        corrections,
        claims,
        original,
        what_if,
    }))
}

// ---------------------------------------------------------------- one case

/// An action the user may take now, for the case page.
pub struct ActionForm {
    pub key: &'static str,
    pub button: &'static str,
    pub text_label: &'static str,
    pub text_required: bool,
}

const ACTIONS: [ActionForm; 11] = [
    ActionForm { key: "answer", button: "Lämna svar", text_label: "Er ståndpunkt", text_required: true },
    ActionForm { key: "assess", button: "Spara bedömning", text_label: "Er bedömning", text_required: true },
    ActionForm { key: "propose", button: "Föreslå lösning", text_label: "Förslag till lösning", text_required: true },
    ActionForm { key: "accept", button: "Godta förslaget", text_label: "Kommentar (frivillig)", text_required: false },
    ActionForm { key: "reject", button: "Avvisa förslaget", text_label: "Varför avvisar ni förslaget?", text_required: true },
    ActionForm { key: "escalate", button: "Lyft till nästa nivå", text_label: "Skäl till att lyfta ärendet", text_required: true },
    ActionForm { key: "refer_to_court", button: "Hänskjut till allmän domstol", text_label: "Skäl", text_required: true },
    ActionForm { key: "decide", button: "Registrera beslut", text_label: "Beslutet", text_required: true },
    ActionForm { key: "correct_decision", button: "Registrera rättelse", text_label: "Det rättade beslutet", text_required: true },
    ActionForm { key: "withdraw", button: "Återkalla ärendet", text_label: "Skäl till att återkalla", text_required: true },
    ActionForm { key: "reopen", button: "Öppna ärendet igen", text_label: "Skäl till att öppna igen", text_required: true },
];

pub struct Step {
    pub label: &'static str,
    pub current: bool,
    pub passed: bool,
}

pub struct EventView {
    pub when: String,
    pub who: String,
    pub label: &'static str,
    pub levels: String,
    pub body: String,
    pub internal: bool,
}

/// What the user posted in a case action that was refused, so that nothing is lost: shown
/// again in its form, each error by its field, or at the form's top for [`WHOLE_FORM`].
#[derive(Default)]
pub struct Draft {
    pub action: String,
    form: PostedAction,
    pub errors: FieldErrors,
}

/// The field of an error that concerns the form as a whole (the case changed meanwhile).
const WHOLE_FORM: &str = "form";

impl Draft {
    fn of(form: &PostedAction, errors: FieldErrors) -> Draft {
        Draft { action: form.action.clone(), form: form.clone(), errors }
    }

    fn refused(action: &str, field: &'static str, message: &str) -> Draft {
        Draft { action: action.to_owned(), errors: FieldErrors::one(field, message), ..Draft::default() }
    }
}

#[derive(Template)]
#[template(path = "cases/show.html")]
struct ShowPage {
    ctx: Page,
    case: CaseRow,
    kind: CaseKind,
    status: Status,
    level: Level,
    waiting: &'static str,
    deadline: String,
    overdue: bool,
    steps: Vec<Step>,
    parties: Vec<Party>,
    commitment: Option<&'static Commitment>,
    billing_unit: Option<String>,
    proposal: Option<String>,
    decisions: Vec<cases::Decision>,
    events: Vec<EventView>,
    attachments: Vec<cases::AttachmentInfo>,
    actions: Vec<&'static ActionForm>,
    outcomes: [Outcome; 5],
    my_parties: Vec<Party>,
    today: NaiveDate,
    draft: Draft,
    notice_text: Option<&'static str>,
    dispute: Option<DisputeView>,
    reasons: [ContestReason; 8],
    /// VIS's interpretations of the case's commitment: the precedent to read first.
    precedents: Vec<interpretations::Interpretation>,
    /// At level 2: which reviewer organisation asked to lift the case, and who is to confirm.
    escalation_note: Option<String>,
    /// Who holds the director capacity for each party (payment disputes).
    directors: Vec<String>,
    /// A VIS decision recorded now may enter the register of interpretations.
    offers_register: bool,
    catalogue: &'static [Commitment],
}

impl ShowPage {
    /// Whether a commitment is preselected among those a VIS interpretation concerns.
    fn concerns(&self, commitment_id: &str) -> bool {
        self.case.commitment_id.as_deref() == Some(commitment_id)
    }

    /// What the user typed into action `key`'s form, if that form was refused; else nothing.
    fn kept(&self, key: &str) -> &PostedAction {
        if self.draft.action == key {
            &self.draft.form
        } else {
            &case_forms::NOTHING_POSTED
        }
    }

    /// Whether the refused corrections form had the claim on `episode` marked as agreed.
    fn agreed(&self, episode: &str) -> bool {
        self.kept("corrections").agreed.iter().any(|v| v.trim() == episode)
    }

    /// Whether action `key`'s refused form had `commitment` ticked among those concerned.
    fn concerned(&self, key: &str, commitment: &str) -> bool {
        self.kept(key).concerns.iter().any(|v| v.trim() == commitment)
    }

    /// The error of `field` in action `key`'s form.
    fn error_at(&self, key: &str, field: &str) -> Option<&str> {
        self.draft.errors.get(field).filter(|_| self.draft.action == key)
    }

    /// The error of the comment form, posted as a comment or as a note.
    fn comment_error(&self) -> Option<&str> {
        self.error_at("comment", "text")
            .or(self.error_at("note", "text"))
            .or(self.error_at("comment", WHOLE_FORM))
            .or(self.error_at("note", WHOLE_FORM))
    }

    /// The error of the registration form of one of the user's parties.
    fn registration_error(&self, organisation_id: &str) -> Option<&str> {
        self.draft
            .errors
            .all()
            .next()
            .map(|(_, message)| message)
            .filter(|_| self.draft.action == "registration" && self.draft.form.organisation_id == organisation_id)
    }

    /// The refused action as its button names it, so the summary says which form failed.
    fn draft_action_name(&self) -> &str {
        let key = self.draft.action.as_str();
        if let Some(a) = self.actions.iter().find(|a| a.key == key) {
            return a.button;
        }
        match key {
            "comment" => "Skicka kommentar",
            "note" => "Spara intern anteckning",
            "contest" => "Ifrågasätt vårdtillfället",
            "corrections" => "Tillämpa rättelserna",
            "registration" => "Spara diarienummer",
            "attachment" => "Ladda upp",
            _ => "Åtgärden",
        }
    }

    /// Whether the refused action's form is still on the page.
    fn draft_offered(&self) -> bool {
        let key = self.draft.action.as_str();
        self.actions.iter().any(|a| a.key == key)
            || matches!(key, "comment" | "note" | "attachment")
            || (key == "registration" && !self.my_parties.is_empty())
            || (key == "contest" && self.dispute.as_ref().is_some_and(|d| d.may_contest))
            || (key == "corrections" && self.dispute.as_ref().is_some_and(|d| d.may_correct))
    }

    /// The id of the control holding `field` in the refused action's form.
    fn anchor(&self, field: &str) -> String {
        let key = self.draft.action.as_str();
        match (key, field) {
            ("comment" | "note", _) => "comment-text".to_owned(),
            ("attachment", _) => "file".to_owned(),
            ("registration", _) => format!("dnr-{}", self.draft.form.organisation_id),
            (_, WHOLE_FORM) => format!("{key}-form"),
            _ => format!("{key}-{field}"),
        }
    }

    /// Text the user wrote for an action the case no longer offers them (someone else moved
    /// the case first): shown apart, so that it is not lost with the form it belonged to.
    fn orphan_draft(&self) -> Option<&str> {
        (!self.draft_offered() && !self.draft.form.text.trim().is_empty()).then_some(self.draft.form.text.as_str())
    }
}

fn case_notice(code: Option<&str>) -> Option<&'static str> {
    match code? {
        "anmalt" => Some("Ärendet är anmält. Motparten kan nu se det."),
        "sparat" => Some("Det är sparat och syns i ärendets historik."),
        _ => None,
    }
}

fn build_show(
    conn: &mut DbConn,
    viewer: &Viewer,
    case: CaseRow,
    parties: Vec<Party>,
    holdings: Holdings,
    draft: Draft,
    notice: Option<&'static str>,
) -> Result<ShowPage, AppError> {
    let today = today();
    let state = case.state(&parties, today);
    let actor = viewer.actor(&parties);
    // Lists the case does not hold are not asked for.
    let decisions = if holdings.decisions { cases::decisions(conn, &case.id)? } else { Vec::new() };
    let events = cases::events(conn, &case.id, &viewer.user.user.organisation_id)?;
    let proposal = if case.proposal_accepted_by.is_some() {
        events.iter().rev().find(|e| e.action == EventKind::Step(Command::Propose)).map(|e| e.body.clone())
    } else {
        None
    };
    let actions = ACTIONS
        .iter()
        .filter(|a| Command::parse(a.key, Outcome::Resolved).is_some_and(|c| state.apply(&actor, c).is_ok()))
        .filter(|a| a.key != "correct_decision" || !decisions.is_empty())
        .collect();
    let billing_unit = match &case.billing_unit_id {
        Some(id) => organisations::get(conn, id)?.map(|o| o.name),
        None => None,
    };
    let kind = case.kind;
    let level = case.level;
    let (deadline, overdue) = deadline_text(case.deadline_on, case.status != Status::Closed, today);
    let steps = kind.ladder().iter().map(|l| Step { label: l.label(), current: *l == level, passed: l.step() < level.step() }).collect();
    let events = events
        .into_iter()
        .map(|e| EventView {
            when: format::time(e.at),
            who: match (e.actor_name, e.actor_org_name) {
                (Some(name), Some(org)) => format!("{name}, {org}"),
                (Some(name), None) => name,
                (None, Some(org)) => org,
                (None, None) => String::new(),
            },
            label: e.action.label(),
            levels: match (e.from_level, e.to_level) {
                (Some(from), Some(to)) if from != to => format!("{} → {}", from.label(), to.label()),
                (None, Some(to)) => to.label().to_owned(),
                _ => String::new(),
            },
            body: e.body,
            internal: e.internal,
        })
        .collect();
    let my_parties = parties.iter().filter(|p| actor.party_orgs().contains(&p.organisation_id)).cloned().collect();
    let dispute = if case.kind == CaseKind::PaymentDispute { dispute_view(conn, &case, viewer, &parties)? } else { None };
    let precedents = match &case.commitment_id {
        Some(id) if holdings.precedents => interpretations::concerning(conn, id)?,
        _ => Vec::new(),
    };
    let escalation_note = state
        .escalation_requested_by
        .map(|asked| format!("{} har begärt att ärendet lyfts till styrgruppen. {} behöver bekräfta.", asked.label(), asked.other().label()));
    let directors = if kind == CaseKind::PaymentDispute { cases::directors(conn, &parties)? } else { Vec::new() };
    let offers_register = level == Level::Vis;
    Ok(ShowPage {
        ctx: viewer.user.page(),
        kind,
        status: case.status,
        level,
        waiting: case.waiting_for.label(),
        deadline,
        overdue,
        steps,
        commitment: case.commitment_id.as_deref().and_then(commitments::find),
        billing_unit,
        proposal,
        attachments: if holdings.attachments { cases::attachments(conn, &case.id)? } else { Vec::new() },
        decisions,
        events,
        actions,
        outcomes: ALL_OUTCOMES,
        my_parties,
        parties,
        case,
        today,
        draft,
        notice_text: notice,
        dispute,
        reasons: ALL_CONTEST_REASONS,
        precedents,
        escalation_note,
        directors,
        offers_register,
        catalogue: &CATALOGUE,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    user: CurrentUser,
    number: web::Path<String>,
    query: web::Query<Done>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let notice = case_notice(query.klart.as_deref());
    let (viewer_user, lookup) = (user.clone(), number.clone());
    let page = state
        .view(move |conn| {
            let viewer = Viewer::load(conn, &viewer_user)?;
            let Some((case, parties, holdings)) = find_visible(conn, &viewer, &lookup)? else { return Ok(None) };
            build_show(conn, &viewer, case, parties, holdings, Draft::default(), notice).map(Some)
        })
        .await?;
    match page {
        Some(page) => Ok(ok_html(page.render()?)),
        None => Err(state.write(move |conn| Ok(refused_case(conn, &user, &number))).await?),
    }
}

/// Why a posted action did not go through.
enum Refused {
    /// The user may not (403) or not now (409): an error page with the reason.
    Status(AppError),
    /// The form needs correcting, or the case changed meanwhile: the case page again with
    /// the message and what the user typed.
    Again(StatusCode, Box<Draft>),
}

pub async fn act(
    state: web::Data<AppState>,
    user: CurrentUser,
    number: web::Path<String>,
    Posted(form): Posted<PostedAction>,
) -> Result<HttpResponse, AppError> {
    let number = number.into_inner();
    let action = form.action.clone();
    let redirect = format!("/arenden/{number}?klart=sparat");
    let today = today();
    let config = state.config.clone();
    let submission = submission_key(&form.submission);
    let outcome = state
        .run(move |conn| {
            let viewer = Viewer::load(conn, &user)?;
            let result: Result<Result<String, std::convert::Infallible>, Rollback> = conn.write(|conn| {
                cases::lock(conn, &number)?;
                // The same form sent again (a retry after its answer was lost) does nothing new.
                submissions::once(conn, submission.as_deref(), &viewer.user.user.id, |conn| {
                    let (case, parties, _) = load_visible(conn, &viewer, &number)?;
                    match perform(conn, &viewer, &case, &parties, &form, today)? {
                        Ok(event) => {
                            crate::mail::notify::case_event(conn, &config, &number, event, &viewer.user.user.id, crate::store::now())?;
                            Ok(Ok(redirect))
                        }
                        // Nothing of a refused action may stay written.
                        Err(refused) => Err(Rollback(refused)),
                    }
                })
            });
            let refused = match result {
                Ok(Ok(location)) => return Ok(Ok(location)),
                Err(Rollback(refused)) => refused,
            };
            match refused {
                Refused::Status(error) => Err(error),
                Refused::Again(status, draft) => {
                    let (case, parties, holdings) = load_visible(conn, &viewer, &number)?;
                    Ok(Err((status, build_show(conn, &viewer, case, parties, holdings, *draft, None)?)))
                }
            }
        })
        .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err((status, page)) => {
            log::debug!("case action {action} refused: {status}");
            Ok(html(status, page.render()?))
        }
    }
}

/// Carries a refusal out of the transaction so that it rolls back.
struct Rollback(Refused);

impl From<diesel::result::Error> for Rollback {
    fn from(e: diesel::result::Error) -> Self {
        Rollback(Refused::Status(e.into()))
    }
}

impl From<AppError> for Rollback {
    fn from(e: AppError) -> Self {
        Rollback(Refused::Status(e))
    }
}

/// What a posted action did: the event it recorded (what mail tells), or why it was refused.
type Performed = Result<Result<EventKind, Refused>, AppError>;

/// The form shown again with one error at `field`.
fn again(status: StatusCode, form: &PostedAction, field: &'static str, message: impl Into<String>) -> Performed {
    refused_fields(status, form, FieldErrors::one(field, message))
}

/// The form shown again with its fields' errors.
fn refused_fields(status: StatusCode, form: &PostedAction, errors: FieldErrors) -> Performed {
    Ok(Err(Refused::Again(status, Box::new(Draft::of(form, errors)))))
}

/// An event that does not move the case (a comment, a note, a registration number).
fn case_event<'a>(
    case: &'a CaseRow,
    user: &'a crate::store::users::User,
    action: EventKind,
    body: &'a str,
    visible_to_org: Option<&'a str>,
) -> cases::NewEvent<'a> {
    cases::NewEvent {
        case_id: &case.id,
        actor_id: Some(&user.id),
        actor_org_id: Some(&user.organisation_id),
        action,
        from_level: None,
        to_level: None,
        body,
        visible_to_org,
    }
}

/// Carries out one posted action inside the caller's transaction: who may do it is asked
/// first, then its fields are parsed (`case_forms`), then it is stored.
fn perform(conn: &mut DbConn, viewer: &Viewer, case: &CaseRow, parties: &[Party], form: &PostedAction, today: NaiveDate) -> Performed {
    let user = &viewer.user.user;
    if form.version != case.version.to_string() {
        return again(
            StatusCode::CONFLICT,
            form,
            WHOLE_FORM,
            "Ärendet ändrades av någon annan medan du skrev. Här är det aktuella läget – din text finns kvar, kontrollera och skicka igen.",
        );
    }
    let Some(action) = CaseAction::parse(form) else {
        return Ok(Err(Refused::Status(AppError::BadRequest("Okänd åtgärd.".into()))));
    };
    let refused = |errors| refused_fields(StatusCode::UNPROCESSABLE_ENTITY, form, errors);
    let event = |action, body, visible| case_event(case, user, action, body, visible);
    let recorded = match action {
        CaseAction::Comment | CaseAction::Note => {
            let body = match case_forms::comment(form) {
                Ok(body) => body,
                Err(errors) => return refused(errors),
            };
            let kind = if action == CaseAction::Note { EventKind::Note } else { EventKind::Comment };
            let visible = (kind == EventKind::Note).then_some(user.organisation_id.as_str());
            cases::add_event(conn, &event(kind, &body, visible))?;
            kind
        }
        CaseAction::Contest => {
            let Some(view) = dispute_view(conn, case, viewer, parties)? else {
                return Ok(Err(Refused::Status(AppError::Conflict(NO_CALCULATION.into()))));
            };
            if !view.may_contest {
                return Ok(Err(Refused::Status(AppError::Forbidden(
                    "Bara den kommun som anmält tvisten ifrågasätter vårdtillfällen, medan ärendet pågår.",
                ))));
            }
            let claim = match case_forms::claim(form, &view.episode_ids) {
                Ok(claim) => claim,
                Err(errors) => return refused(errors),
            };
            disputes::contest(conn, &case.id, &claim, &user.id)?;
            let body = match &claim.corrected {
                Some(value) => format!("{}: {} ({value})", claim.episode_id, claim.reason.label()),
                None => format!("{}: {}", claim.episode_id, claim.reason.label()),
            };
            cases::add_event(conn, &event(EventKind::Contest, &body, None))?;
            EventKind::Contest
        }
        CaseAction::Corrections => {
            let Some(view) = dispute_view(conn, case, viewer, parties)? else {
                return Ok(Err(Refused::Status(AppError::Conflict(NO_CALCULATION.into()))));
            };
            if !view.may_correct {
                return Ok(Err(Refused::Status(AppError::Forbidden(
                    "HSF tillämpar rättelser en gång, när tvisten är avgjord och vårdtillfällen är ifrågasatta.",
                ))));
            }
            let agreed_ids = match case_forms::agreed(form) {
                Ok(ids) => ids,
                Err(errors) => return refused(errors),
            };
            let agreed: Vec<Claim> = view.claims.iter().filter(|c| agreed_ids.contains(&c.claim.episode_id)).map(|c| c.claim.clone()).collect();
            if agreed.is_empty() {
                return again(StatusCode::UNPROCESSABLE_ENTITY, form, "agreed", "Markera de invändningar som parterna kommit överens om.");
            }
            let month = Month::parse(&view.month).ok_or(AppError::NotFound)?;
            let made = crate::payment::import::apply_corrections(conn, (&case.id, &case.number), month, &agreed, &user.id)?;
            disputes::settle_claims(conn, &case.id, &agreed_ids)?;
            let versions: Vec<String> = made.iter().map(|(m, v)| format!("{m} version {v}")).collect();
            let body = format!("{} av {} invändningar godtogs. Ny beräkning: {}.", agreed.len(), view.claims.len(), versions.join(", "));
            cases::add_event(conn, &event(EventKind::Corrections, &body, None))?;
            audit::record(conn, &viewer.user.actor(), audit::Action::CorrectionsApplied, Some(&case.number), &versions.join(", "))?;
            EventKind::Corrections
        }
        CaseAction::Registration => {
            let actor = viewer.actor(parties);
            let Some(org) = actor.party_orgs().iter().find(|o| **o == form.organisation_id) else {
                return Ok(Err(Refused::Status(AppError::Forbidden("Bara en part anger sitt eget diarienummer."))));
            };
            let number = match case_forms::registration_number(form) {
                Ok(number) => number,
                Err(errors) => return refused(errors),
            };
            cases::set_registration_number(conn, &case.id, org, number.as_deref())?;
            cases::add_event(conn, &event(EventKind::Registration, number.as_deref().unwrap_or(""), None))?;
            EventKind::Registration
        }
        CaseAction::Ladder(command) => return climb(conn, viewer, case, parties, form, command, today),
    };
    cases::touch(conn, &case.id)?;
    Ok(Ok(recorded))
}

/// A step on the ladder: allowed by the agreement's rules (`domain::ladder`) for this actor
/// in this state, then its fields, then the decision (and register entry) and the move.
fn climb(
    conn: &mut DbConn,
    viewer: &Viewer,
    case: &CaseRow,
    parties: &[Party],
    form: &PostedAction,
    command: Command,
    today: NaiveDate,
) -> Performed {
    let user = &viewer.user.user;
    let spec = ACTIONS.iter().find(|a| a.key == form.action).expect("every command has a form");
    let state: CaseState = case.state(parties, today);
    let transition = match state.apply(&viewer.actor(parties), command) {
        Ok(t) => t,
        Err(ladder::Refusal::Forbidden(why)) => return Ok(Err(Refused::Status(AppError::Forbidden(why)))),
        Err(ladder::Refusal::Conflict(why)) => return Ok(Err(Refused::Status(AppError::Conflict(why.into())))),
    };
    let earlier_decisions: Vec<String> = match command {
        Command::Decide { correction: true, .. } => cases::decisions(conn, &case.id)?.into_iter().map(|d| d.id).collect(),
        _ => Vec::new(),
    };
    let rules = LadderRules {
        command,
        today,
        text_required: spec.text_required,
        at_vis: state.level == Level::Vis,
        case_kind: case.kind,
        earlier_decisions: &earlier_decisions,
    };
    let entry = match LadderEntry::parse(form, &rules) {
        Ok(entry) => entry,
        Err(errors) => return refused_fields(StatusCode::UNPROCESSABLE_ENTITY, form, errors),
    };
    if let Some(decision) = &entry.decision {
        let decision_id = cases::add_decision(
            conn,
            &cases::NewDecision {
                case_id: &case.id,
                level: state.level,
                decided_on: decision.decided_on,
                reference: &decision.reference,
                body: &entry.text,
                outcome: decision.outcome,
                corrects_id: decision.corrects.as_deref(),
                recorded_by: &user.id,
            },
        )?;
        if let Some((question, commitment_ids)) = &decision.register {
            let corrects_entry = match &decision.corrects {
                Some(earlier) => interpretations::by_decision(conn, earlier)?,
                None => None,
            };
            let number = interpretations::register(
                conn,
                &interpretations::NewInterpretation {
                    case_id: &case.id,
                    decision_id: &decision_id,
                    decided_on: decision.decided_on,
                    protocol: &decision.reference,
                    question,
                    interpretation: &entry.text,
                    corrects_id: corrects_entry.as_deref(),
                    commitment_ids,
                },
            )?;
            cases::add_event(conn, &case_event(case, user, EventKind::Interpretation, &number, None))?;
        }
    }
    if !cases::record_transition(conn, case, &state, &transition, command, &entry.text, user)? {
        return again(
            StatusCode::CONFLICT,
            form,
            WHOLE_FORM,
            "Ärendet ändrades av någon annan samtidigt. Här är det aktuella läget – din text finns kvar.",
        );
    }
    Ok(Ok(transition.event(command)))
}

// ---------------------------------------------------------------- attachments

/// The largest attachment we keep.
pub const ATTACHMENT_MAX: usize = 10 * 1024 * 1024;

/// What we accept, recognised by name and by content, and the type it is served as.
fn attachment_type(filename: &str, content: &[u8]) -> Option<&'static str> {
    let extension = filename.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
    let starts = |magic: &[u8]| content.starts_with(magic);
    let zip = starts(b"PK\x03\x04");
    let ole = starts(&[0xD0, 0xCF, 0x11, 0xE0]);
    Some(match extension.as_str() {
        "pdf" if starts(b"%PDF-") => "application/pdf",
        "png" if starts(b"\x89PNG\r\n\x1a\n") => "image/png",
        "jpg" | "jpeg" if starts(&[0xFF, 0xD8, 0xFF]) => "image/jpeg",
        "docx" if zip => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "xlsx" if zip => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pptx" if zip => "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "odt" if zip => "application/vnd.oasis.opendocument.text",
        "ods" if zip => "application/vnd.oasis.opendocument.spreadsheet",
        "doc" if ole => "application/msword",
        "xls" if ole => "application/vnd.ms-excel",
        "txt" | "csv" if std::str::from_utf8(content).is_ok() && !content.contains(&0) => "text/plain; charset=utf-8",
        _ => return None,
    })
}

/// The file's own name without folders, quotes or control characters.
fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\'' | ';')).take(150).collect();
    if cleaned.trim().is_empty() {
        "bilaga".to_owned()
    } else {
        cleaned.trim().to_owned()
    }
}

pub async fn upload(
    state: web::Data<AppState>,
    user: CurrentUser,
    number: web::Path<String>,
    mut payload: actix_multipart::Multipart,
) -> Result<HttpResponse, AppError> {
    use futures_util::StreamExt;
    let number = number.into_inner();
    // Whether the case may be seen is settled before a byte of the body is read.
    let (viewer, lookup) = (user.clone(), number.clone());
    state
        .read(move |conn| {
            let viewer = Viewer::load(conn, &viewer)?;
            load_visible(conn, &viewer, &lookup).map(drop)
        })
        .await?;
    let mut file: Option<(String, Vec<u8>)> = None;
    let mut version = String::new();
    let mut submission = None;
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|e| AppError::BadRequest(format!("Filen kom inte fram: {e}")))?;
        let name = field.name().unwrap_or("").to_owned();
        let filename = field.content_disposition().and_then(|d| d.get_filename()).map(clean_filename);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| AppError::BadRequest(format!("Filen kom inte fram: {e}")))?;
            if bytes.len() + chunk.len() > ATTACHMENT_MAX {
                return Err(AppError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        match name.as_str() {
            "file" => file = Some((filename.unwrap_or_else(|| "bilaga".into()), bytes)),
            "version" => version = String::from_utf8_lossy(&bytes).into_owned(),
            "submission" => submission = crate::web::forms::submission_key(&String::from_utf8_lossy(&bytes)),
            _ => {}
        }
    }
    let draft_error = |message: &str| Draft::refused("attachment", "file", message);
    let config = state.config.clone();
    let checked = match &file {
        None => Err("Välj en fil att bifoga."),
        Some((_, bytes)) if bytes.is_empty() => Err("Filen är tom."),
        Some((name, _)) if crate::domain::personnummer::contains(name) => Err("Filnamnet innehåller ett personnummer. Byt namn på filen."),
        Some((name, bytes))
            if matches!(attachment_type(name, bytes), Some(t) if t.starts_with("text/"))
                && crate::domain::personnummer::contains(&String::from_utf8_lossy(bytes)) =>
        {
            Err("Filen innehåller ett personnummer eller samordningsnummer. Ärenden får inte innehålla patientuppgifter – ta bort numret.")
        }
        Some((name, bytes)) => attachment_type(name, bytes)
            .ok_or("Filtypen tas inte emot. Bifoga PDF, bild (PNG, JPEG), Word, Excel, PowerPoint, OpenDocument eller text."),
    };
    let outcome = state
        .run(move |conn| {
            let viewer = Viewer::load(conn, &user)?;
            let (case, parties, holdings) = load_visible(conn, &viewer, &number)?;
            // The same upload sent again (its answer was lost, or the two raced) gets the first
            // answer. Read after the case: a version raised by the first upload is then seen
            // together with the answer it recorded in the same transaction.
            if let Some(done) = submission.as_deref().map(|key| submissions::answer(conn, key, &viewer.user.user.id)).transpose()?.flatten() {
                return Ok(Ok(done));
            }
            let refusal = match checked {
                Err(message) => Some((StatusCode::UNPROCESSABLE_ENTITY, draft_error(message))),
                Ok(_) if version != case.version.to_string() => {
                    Some((StatusCode::CONFLICT, draft_error("Ärendet ändrades medan du valde fil. Försök igen.")))
                }
                Ok(_) => None,
            };
            if let Some((status, draft)) = refusal {
                return Ok(Err((status, build_show(conn, &viewer, case, parties, holdings, draft, None)?)));
            }
            let content_type = checked.expect("checked above");
            let (filename, bytes) = file.expect("checked above");
            let location = format!("/arenden/{number}?klart=sparat");
            conn.write(|conn| {
                // The same pattern as every case action: the row held, the form not carried out
                // before, the version the user saw still current.
                cases::lock(conn, &number)?;
                submissions::once(conn, submission.as_deref(), &viewer.user.user.id, |conn| {
                    if cases::by_number(conn, &number)?.is_none_or(|fresh| fresh.version != case.version) {
                        return Err(AppError::Conflict("Ärendet ändrades medan filen laddades upp. Försök igen.".into()));
                    }
                    cases::add_attachment(conn, &case.id, &filename, content_type, &bytes, &viewer.user.user.id)?;
                    cases::add_event(
                        conn,
                        &cases::NewEvent {
                            case_id: &case.id,
                            actor_id: Some(&viewer.user.user.id),
                            actor_org_id: Some(&viewer.user.user.organisation_id),
                            action: EventKind::Attachment,
                            from_level: None,
                            to_level: None,
                            body: &filename,
                            visible_to_org: None,
                        },
                    )?;
                    cases::touch(conn, &case.id)?;
                    crate::mail::notify::case_event(conn, &config, &number, EventKind::Attachment, &viewer.user.user.id, crate::store::now())?;
                    Ok::<_, AppError>(Ok(location))
                })
            })
        })
        .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err((status, page)) => Ok(html(status, page.render()?)),
    }
}

pub async fn download(state: web::Data<AppState>, user: CurrentUser, path: web::Path<(String, String)>) -> Result<HttpResponse, AppError> {
    let (number, id) = path.into_inner();
    let (filename, content_type, bytes) = state
        .read(move |conn| {
            let viewer = Viewer::load(conn, &user)?;
            let (case, _, _) = load_visible(conn, &viewer, &number)?;
            cases::attachment(conn, &case.id, &id)?.ok_or(AppError::NotFound)
        })
        .await?;
    let ascii: String = filename.chars().map(|c| if c.is_ascii_alphanumeric() || ".-_ ".contains(c) { c } else { '_' }).collect();
    let encoded: String = url::form_urlencoded::byte_serialize(filename.as_bytes()).collect::<String>().replace('+', "%20");
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")))
        .insert_header(("Cache-Control", "private, no-store"))
        .body(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attachments_are_recognised_by_name_and_content() {
        assert_eq!(attachment_type("beslut.pdf", b"%PDF-1.7 ..."), Some("application/pdf"));
        assert_eq!(attachment_type("BILD.PNG", b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(attachment_type("beslut.pdf", b"<html>"), None);
        assert_eq!(attachment_type("skript.html", b"<script>"), None);
        assert_eq!(attachment_type("noter.txt", b"hej\n"), Some("text/plain; charset=utf-8"));
        assert_eq!(attachment_type("noter.txt", b"\0\x01"), None);
    }

    #[test]
    fn filenames_lose_folders_and_quotes() {
        assert_eq!(clean_filename("C:\\Users\\x\\beslut \"slut\".pdf"), "beslut slut.pdf");
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename(""), "bilaga");
    }

    /// The list writes these without escaping (`|safe` in cases/list.html and table.html):
    /// none may hold a character HTML reads as markup.
    #[test]
    fn labels_written_unescaped_hold_no_markup() {
        use crate::domain::ladder::{ALL_STATUSES, ALL_WAITING};
        let texts = ALL_KINDS
            .iter()
            .flat_map(|k| [k.as_str(), k.label()])
            .chain(ALL_LEVELS.iter().flat_map(|l| [l.as_str(), l.label()]))
            .chain(CATALOGUE.iter().flat_map(|c| [c.id, c.title]))
            .chain(ALL_STATUSES.map(|s| s.label()))
            .chain(ALL_WAITING.map(|w| w.label()));
        for text in texts {
            assert!(!text.contains(['<', '>', '&', '"', '\'']), "{text}");
        }
    }

    #[test]
    fn deadline_texts() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(deadline_text(Some(day(30)), true, today), ("2026-11-30 (7 dagar kvar)".into(), false));
        assert_eq!(deadline_text(Some(day(23)), true, today), ("2026-11-23 (sista dag i dag)".into(), false));
        assert_eq!(deadline_text(Some(day(20)), true, today), ("2026-11-20 (3 dagar försenat)".into(), true));
        assert_eq!(deadline_text(Some(day(20)), false, today), (String::new(), false));
    }
}
