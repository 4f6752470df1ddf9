//! Administration: accounts, the editable part of the registry, and the audit log. The gate
//! lets only administrators reach `/admin`.

use super::admin_forms::PostedDeadlines;
use super::capability::AdminUser;
use super::error::AppError;
use super::forms::{submission_key, FieldErrors, Posted};
use super::guard::CurrentUser;
use super::page::{notice, Done, Page};
use super::{html, ok_html, see_other, AppState};
use crate::domain::access::{Role, ALL_ROLES};
use crate::domain::deadlines::{DayCount, DeadlineRule};
use crate::domain::ladder::Level;
use crate::domain::registry::{OrganisationKind, EDITABLE_KINDS};
use crate::domain::text::{self, Email};
use crate::store::organisations::{self, Organisation, UnitChange};
use crate::store::{audit, cases, identity_providers, password_resets, sessions, users};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

/// How long the link in a welcome mail works.
const WELCOME_VALID_HOURS: i64 = 72;

const USERS_DONE: &str = "/admin/anvandare?klart=anvandare";
const UNITS_DONE: &str = "/admin/enheter?klart=enhet";

#[derive(Template)]
#[template(path = "admin/users.html")]
struct UsersPage {
    ctx: Page,
    users: Vec<users::UserListing>,
}

pub async fn users(state: web::Data<AppState>, admin: AdminUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let users = state.read(|conn| Ok(users::list(conn)?)).await?;
    let ctx = admin.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(UsersPage { ctx, users }.render()?))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UserForm {
    email: String,
    name: String,
    organisation_id: String,
    role: String,
    active: Option<String>,
    /// The director capacity (domain.md §4.1).
    director: Option<String>,
    /// Against the form being carried out twice (`store::submissions`).
    submission: String,
}

#[derive(Template)]
#[template(path = "admin/user_form.html")]
struct UserFormPage {
    ctx: Page,
    /// None when creating.
    user_id: Option<String>,
    form: UserForm,
    organisations: Vec<Organisation>,
    roles: [Role; 5],
    errors: FieldErrors,
    /// The identity providers the account is linked to (by its first sign-in there).
    linked_providers: Vec<String>,
}

impl UserFormPage {
    fn is_active(&self) -> bool {
        self.form.active.is_some()
    }

    fn is_director(&self) -> bool {
        self.form.director.is_some()
    }
}

async fn render_user_form(
    state: &AppState,
    admin: &CurrentUser,
    user_id: Option<String>,
    form: UserForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let account = user_id.clone();
    let (organisations, linked_providers) = state
        .read(move |conn| {
            let linked = match &account {
                Some(id) => identity_providers::linked_providers(conn, id)?,
                None => Vec::new(),
            };
            Ok((organisations::all(conn)?, linked))
        })
        .await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let errors = errors.ordered(&["email", "name", "organisation_id", "role", "director", "active"]);
    let page = UserFormPage { ctx: admin.page(), user_id, form, organisations, roles: ALL_ROLES, errors, linked_providers };
    Ok(html(status, page.render()?))
}

pub async fn new_user_form(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let form = UserForm { role: Role::Local.as_str().into(), active: Some("on".into()), ..UserForm::default() };
    render_user_form(&state, &admin, None, form, FieldErrors::default()).await
}

/// The profile fields common to creating and editing, parsed.
struct Profile {
    name: String,
    organisation_id: String,
    role: Role,
    director: bool,
}

/// The profile of `form`, whose organisation is `organisation` where it exists.
fn parse_profile(form: &UserForm, organisation: Option<Organisation>, errors: &mut FieldErrors) -> Option<Profile> {
    let name = errors.check("name", text::required_line(&form.name, text::NAME_MAX, "Ange namn."));
    if organisation.is_none() {
        errors.add("organisation_id", "Välj en organisation i listan.");
    }
    let role = form.role.parse::<Role>().map_err(|_| errors.add("role", "Välj en roll i listan.")).ok();
    let director = form.director.is_some();
    if director && role.is_some_and(|role| !crate::domain::access::may_hold_director_capacity(role)) {
        errors.add("director", "Direktörsbehörighet kan bara ges till en lokal chef eller en handläggare på HSF.");
    }
    match (name, organisation, role) {
        (Some(name), Some(organisation), Some(role)) => Some(Profile { name, organisation_id: organisation.id, role, director }),
        _ => None,
    }
}

pub async fn create_user(state: web::Data<AppState>, admin: AdminUser, form: web::Form<UserForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let submitted = form.clone();
    let actor = admin.actor();
    let config = state.config.clone();
    let outcome = state
        .write_once(submission_key(&form.submission), admin.user.id.clone(), move |conn| {
            let mut errors = FieldErrors::default();
            let email = errors.check("email", Email::parse(&form.email));
            if let Some(email) = &email {
                if users::by_email(conn, email.as_str())?.is_some() {
                    errors.add("email", "Det finns redan en användare med den e-postadressen.");
                }
            }
            let organisation = organisations::get(conn, &form.organisation_id)?;
            let profile = parse_profile(&form, organisation, &mut errors);
            let (Some(email), Some(profile), true) = (email, profile, errors.is_empty()) else { return Ok(Err(errors)) };
            let id = users::insert(
                conn,
                &users::NewUser {
                    email: email.as_str(),
                    name: &profile.name,
                    organisation_id: &profile.organisation_id,
                    role: profile.role,
                    password_hash: crate::security::NO_PASSWORD,
                    director: profile.director,
                    awaiting_confirmation: false,
                },
            )?;
            let token = password_resets::create(conn, &id, chrono::Duration::hours(WELCOME_VALID_HOURS))?;
            let detail = format!("{} ({}, {}, direktör: {})", email, profile.role, profile.organisation_id, profile.director);
            audit::record(conn, &actor, audit::Action::UserCreated, Some(&id), &detail)?;
            let lines = [
                format!("Hej {}!", profile.name),
                "Du har fått ett konto i Tvistetrappa, där avvikelser och betalningstvister enligt överenskommelsen om utskrivning från sluten vård hanteras."
                    .to_owned(),
                format!("Välj ditt lösenord via länken. Den fungerar en gång och i {WELCOME_VALID_HOURS} timmar."),
            ];
            let link = format!("{}/aterstall/{token}", config.base_url);
            crate::mail::notify::account_mail(conn, &config, email.as_str(), "Välkommen till Tvistetrappa", &lines, &link, crate::store::now())?;
            Ok(Ok(USERS_DONE.to_owned()))
        })
        .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err(errors) => render_user_form(&state, &admin, None, submitted, errors).await,
    }
}

pub async fn edit_user_form(state: web::Data<AppState>, admin: AdminUser, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let user = state.read(move |conn| users::get(conn, &lookup)?.ok_or(AppError::NotFound)).await?;
    let form = UserForm {
        email: user.email,
        name: user.name,
        organisation_id: user.organisation_id,
        role: user.role.as_str().into(),
        active: user.active.then(|| "on".into()),
        director: user.director.then(|| "on".into()),
        submission: String::new(),
    };
    render_user_form(&state, &admin, Some(id), form, FieldErrors::default()).await
}

pub async fn update_user(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let mut form = form.into_inner();
    let actor = admin.actor();
    let admin_id = admin.user.id.clone();
    let user_id = id.clone();
    let submitted = form.clone();
    let outcome = state
        .write_once(submission_key(&form.submission), admin_id.clone(), move |conn| {
            let existing = users::get(conn, &user_id)?.ok_or(AppError::NotFound)?;
            form.email = existing.email.clone();
            let mut errors = FieldErrors::default();
            let organisation = organisations::get(conn, &form.organisation_id)?;
            let profile = parse_profile(&form, organisation, &mut errors);
            let active = form.active.is_some();
            if user_id == admin_id && (!active || profile.as_ref().is_some_and(|p| p.role != Role::Admin)) {
                errors.add("role", "Du kan inte ta bort din egen administratörsbehörighet eller inaktivera dig själv.");
            }
            let (Some(profile), true) = (profile, errors.is_empty()) else { return Ok(Err(errors)) };
            users::update_profile(conn, &user_id, &profile.name, &profile.organisation_id, profile.role, active, profile.director)?;
            let detail =
                format!("{} ({}, {}, aktiv: {active}, direktör: {})", existing.email, profile.role, profile.organisation_id, profile.director);
            audit::record(conn, &actor, audit::Action::UserUpdated, Some(&user_id), &detail)?;
            if existing.active && !active {
                sessions::delete_for_user(conn, &user_id)?;
                audit::record(conn, &actor, audit::Action::UserDisabled, Some(&user_id), &existing.email)?;
            }
            Ok(Ok(USERS_DONE.to_owned()))
        })
        .await?;
    match outcome {
        Ok(location) => Ok(see_other(&location)),
        Err(errors) => {
            let mut submitted = submitted;
            let lookup = id.clone();
            submitted.email = state.read(move |conn| Ok(users::get(conn, &lookup)?.map(|u| u.email).unwrap_or_default())).await?;
            render_user_form(&state, &admin, Some(id), submitted, errors).await
        }
    }
}

#[derive(Template)]
#[template(path = "admin/units.html")]
struct UnitsPage {
    ctx: Page,
    units: Vec<Organisation>,
}

pub async fn units(state: web::Data<AppState>, admin: AdminUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let units = state.read(|conn| Ok(organisations::all(conn)?.into_iter().filter(Organisation::is_editable).collect())).await?;
    let ctx = admin.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(UnitsPage { ctx, units }.render()?))
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct UnitForm {
    kind: String,
    name: String,
    parent_id: String,
    active: Option<String>,
    /// Against the form being carried out twice (`store::submissions`).
    submission: String,
}

#[derive(Template)]
#[template(path = "admin/unit_form.html")]
struct UnitFormPage {
    ctx: Page,
    unit_id: Option<String>,
    form: UnitForm,
    kinds: [OrganisationKind; 4],
    parents: Vec<Organisation>,
    errors: FieldErrors,
}

impl UnitFormPage {
    fn is_active(&self) -> bool {
        self.form.active.is_some()
    }
}

async fn render_unit_form(
    state: &AppState,
    admin: &CurrentUser,
    unit_id: Option<String>,
    form: UnitForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let parents = state.read(|conn| Ok(organisations::possible_parents(conn)?)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let errors = errors.ordered(&["kind", "name", "parent_id", "active"]);
    let page = UnitFormPage { ctx: admin.page(), unit_id, form, kinds: EDITABLE_KINDS, parents, errors };
    Ok(html(status, page.render()?))
}

pub async fn new_unit_form(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let form = UnitForm {
        kind: OrganisationKind::InpatientUnit.as_str().into(),
        parent_id: "region".into(),
        active: Some("on".into()),
        ..UnitForm::default()
    };
    render_unit_form(&state, &admin, None, form, FieldErrors::default()).await
}

/// The unit of `form`, which hangs under one of `parents`.
fn parse_unit<'a>(form: &'a UnitForm, parents: &[Organisation], name: &'a mut String, errors: &mut FieldErrors) -> Option<UnitChange<'a>> {
    match text::required_line(&form.name, text::NAME_MAX, "Ange enhetens namn.") {
        Ok(parsed) => *name = parsed,
        Err(e) => errors.add("name", e.0),
    }
    let kind = OrganisationKind::parse(&form.kind).filter(|k| k.is_editable());
    if kind.is_none() {
        errors.add("kind", "Välj en typ i listan.");
    }
    if !parents.iter().any(|p| p.id == form.parent_id) {
        errors.add("parent_id", "Välj vilken organisation enheten hör till.");
    }
    match (kind, errors.is_empty()) {
        (Some(kind), true) => {
            Some(UnitChange { kind: kind.as_str(), name: name.as_str(), parent_id: &form.parent_id, active: form.active.is_some() })
        }
        _ => None,
    }
}

pub async fn create_unit(state: web::Data<AppState>, admin: AdminUser, form: web::Form<UnitForm>) -> Result<HttpResponse, AppError> {
    let form = form.into_inner();
    let submitted = form.clone();
    let actor = admin.actor();
    let outcome = state
        .write_once(submission_key(&form.submission), admin.user.id.clone(), move |conn| {
            let mut errors = FieldErrors::default();
            let mut name = String::new();
            let parents = organisations::possible_parents(conn)?;
            let Some(unit) = parse_unit(&form, &parents, &mut name, &mut errors) else { return Ok(Err(errors)) };
            let id = crate::store::new_id();
            organisations::insert_unit(conn, &id, &unit)?;
            audit::record(conn, &actor, audit::Action::UnitCreated, Some(&id), unit.name)?;
            Ok(Ok(UNITS_DONE.to_owned()))
        })
        .await?;
    match outcome {
        Ok(location) => {
            state.recent_choices.forget();
            Ok(see_other(&location))
        }
        Err(errors) => render_unit_form(&state, &admin, None, submitted, errors).await,
    }
}

pub async fn edit_unit_form(state: web::Data<AppState>, admin: AdminUser, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let unit = state.read(move |conn| organisations::get(conn, &lookup)?.filter(Organisation::is_editable).ok_or(AppError::NotFound)).await?;
    let form = UnitForm {
        kind: unit.kind.as_str().to_owned(),
        name: unit.name,
        parent_id: unit.parent_id.unwrap_or_default(),
        active: unit.active.then(|| "on".into()),
        submission: String::new(),
    };
    render_unit_form(&state, &admin, Some(id), form, FieldErrors::default()).await
}

pub async fn update_unit(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    form: web::Form<UnitForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let form = form.into_inner();
    let submitted = form.clone();
    let actor = admin.actor();
    let unit_id = id.clone();
    let outcome = state
        .write_once(submission_key(&form.submission), admin.user.id.clone(), move |conn| {
            organisations::get(conn, &unit_id)?.filter(Organisation::is_editable).ok_or(AppError::NotFound)?;
            let mut errors = FieldErrors::default();
            let mut name = String::new();
            let parents = organisations::possible_parents(conn)?;
            let Some(unit) = parse_unit(&form, &parents, &mut name, &mut errors) else { return Ok(Err(errors)) };
            organisations::update_unit(conn, &unit_id, &unit)?;
            audit::record(conn, &actor, audit::Action::UnitUpdated, Some(&unit_id), unit.name)?;
            Ok(Ok(UNITS_DONE.to_owned()))
        })
        .await?;
    match outcome {
        Ok(location) => {
            state.recent_choices.forget();
            Ok(see_other(&location))
        }
        Err(errors) => render_unit_form(&state, &admin, Some(id), submitted, errors).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LogQuery {
    sida: Option<i64>,
    handelse: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    ctx: Page,
    entries: Vec<audit::Entry>,
    page: i64,
    has_more: bool,
    action: String,
    actions: Vec<(&'static str, &'static str)>,
}

const LOG_PAGE_SIZE: i64 = 100;

pub async fn audit_log(state: web::Data<AppState>, admin: AdminUser, query: web::Query<LogQuery>) -> Result<HttpResponse, AppError> {
    let page = query.sida.unwrap_or(1).clamp(1, 100_000);
    let action = query.handelse.clone().filter(|a| audit::ALL_ACTIONS.iter().any(|known| known.as_str() == a));
    let filter = action.clone();
    let mut entries = state.read(move |conn| Ok(audit::page(conn, filter.as_deref(), (page - 1) * LOG_PAGE_SIZE, LOG_PAGE_SIZE + 1)?)).await?;
    let has_more = entries.len() as i64 > LOG_PAGE_SIZE;
    entries.truncate(LOG_PAGE_SIZE as usize);
    let actions = audit::ALL_ACTIONS.iter().map(|a| (a.as_str(), a.label())).collect();
    let page = AuditPage { ctx: admin.page(), entries, page, has_more, action: action.unwrap_or_default(), actions };
    Ok(ok_html(page.render()?))
}

#[derive(Template)]
#[template(path = "admin/deadlines.html")]
struct DeadlinesPage {
    ctx: Page,
    rows: Vec<DeadlineRow>,
    errors: FieldErrors,
}

struct DeadlineRow {
    level: Level,
    ladder: &'static str,
    days: String,
    count: String,
}

fn ladder_of(level: Level) -> &'static str {
    if matches!(level, Level::NearestManagers | Level::Directors | Level::Court) {
        "Betalningstvister"
    } else {
        "Avvikelser och tolkningsfrågor"
    }
}

fn deadline_rows(rules: Vec<(Level, Option<DeadlineRule>)>) -> Vec<DeadlineRow> {
    rules
        .into_iter()
        .map(|(level, rule)| DeadlineRow {
            level,
            ladder: ladder_of(level),
            days: rule.map(|r| r.days.to_string()).unwrap_or_default(),
            count: rule.map_or(DayCount::Calendar, |r| r.count).as_str().to_owned(),
        })
        .collect()
}

pub async fn deadlines(state: web::Data<AppState>, admin: AdminUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let rules = state.read(|conn| Ok(cases::level_rules(conn)?)).await?;
    let ctx = admin.page().with_notice(notice(query.klart.as_deref()));
    Ok(ok_html(DeadlinesPage { ctx, rows: deadline_rows(rules), errors: FieldErrors::default() }.render()?))
}

pub async fn save_deadlines(state: web::Data<AppState>, admin: AdminUser, Posted(form): Posted<PostedDeadlines>) -> Result<HttpResponse, AppError> {
    let rules = match form.rules() {
        Ok(rules) => rules,
        Err(errors) => {
            // What was typed, shown again as it was.
            let rows = form
                .typed()
                .into_iter()
                .map(|t| DeadlineRow { level: t.level, ladder: ladder_of(t.level), days: t.days, count: t.count.as_str().to_owned() })
                .collect();
            return Ok(html(StatusCode::UNPROCESSABLE_ENTITY, DeadlinesPage { ctx: admin.page(), rows, errors }.render()?));
        }
    };
    let actor = admin.actor();
    let Ok(location) = state
        .write_once(submission_key(form.submission()), admin.user.id.clone(), move |conn| {
            let mut detail = Vec::new();
            for (level, rule) in &rules {
                cases::set_level_rule(conn, *level, *rule)?;
                detail.push(match rule {
                    Some(r) => format!("{} {} {}", level.as_str(), r.days, r.count.as_str()),
                    None => format!("{} none", level.as_str()),
                });
            }
            audit::record(conn, &actor, audit::Action::DeadlinesChanged, None, &detail.join(", "))?;
            super::carried_out("/admin/frister?klart=frister")
        })
        .await?;
    Ok(see_other(&location))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::registry::OrganisationKind;
    use crate::web::forms::read;

    fn organisation(id: &str, kind: OrganisationKind) -> Organisation {
        Organisation {
            id: id.into(),
            kind,
            name: id.to_uppercase(),
            municipality_code: None,
            parent_id: None,
            valid_from: None,
            valid_to: None,
            active: true,
            created_at: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap().and_hms_opt(0, 0, 0).unwrap(),
            contact_email: None,
        }
    }

    #[test]
    fn a_users_profile_needs_a_name_a_known_organisation_and_a_role_that_may_hold_what_is_ticked() {
        let form: UserForm = read(b"email=a%40b.se&name=Eva&organisation_id=kommun-0127&role=local&director=on").unwrap();
        let mut errors = FieldErrors::default();
        let profile = parse_profile(&form, Some(organisation("kommun-0127", OrganisationKind::Municipality)), &mut errors).expect("valid");
        assert!(errors.is_empty() && profile.director && profile.role == Role::Local && profile.organisation_id == "kommun-0127");

        let form: UserForm = read(b"name=+&organisation_id=nowhere&role=superuser").unwrap();
        let mut errors = FieldErrors::default();
        assert!(parse_profile(&form, None, &mut errors).is_none());
        assert_eq!(errors.fields(), ["name", "organisation_id", "role"]);

        let form: UserForm = read(b"name=Lars&organisation_id=storsthlm&role=steering&director=on").unwrap();
        let mut errors = FieldErrors::default();
        parse_profile(&form, Some(organisation("storsthlm", OrganisationKind::Association)), &mut errors);
        assert_eq!(errors.fields(), ["director"], "the steering group holds no director capacity");
    }

    #[test]
    fn a_unit_is_of_an_editable_kind_under_a_possible_parent() {
        let parents = [organisation("region", OrganisationKind::Region)];
        let form: UnitForm = read(b"kind=inpatient_unit&name=Avd+12&parent_id=region&active=on").unwrap();
        let (mut name, mut errors) = (String::new(), FieldErrors::default());
        let unit = parse_unit(&form, &parents, &mut name, &mut errors).expect("valid");
        assert_eq!((unit.kind, unit.name, unit.parent_id, unit.active), ("inpatient_unit", "Avd 12", "region", true));

        let form: UnitForm = read(b"kind=municipality&name=&parent_id=kommun-0127").unwrap();
        let (mut name, mut errors) = (String::new(), FieldErrors::default());
        assert!(parse_unit(&form, &parents, &mut name, &mut errors).is_none());
        assert_eq!(errors.fields(), ["name", "kind", "parent_id"], "a municipality comes with the registry");
    }
}
