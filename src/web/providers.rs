//! Administration of the identity providers people sign in through (`/admin/inloggning`).

use super::capability::AdminUser;
use super::error::AppError;
use super::forms::{submission_key, FieldErrors};
use super::page::{notice, Done, Page};
use super::{html, ok_html, see_other, AppState};
use crate::domain::sso::{self, OrganisationSource};
use crate::domain::text::{self, FieldError};
use crate::store::identity_providers::{self, Provider, ProviderChange};
use crate::store::organisations::{self, Organisation};
use crate::store::{audit, today};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "admin/providers.html")]
struct ProvidersPage {
    ctx: Page,
    providers: Vec<Provider>,
    organisation_names: std::collections::HashMap<String, String>,
    redirect_uri: String,
    after_logout_uri: String,
    today: chrono::NaiveDate,
}

impl ProvidersPage {
    fn organisation_name<'a>(&'a self, id: &'a str) -> &'a str {
        self.organisation_names.get(id).map_or(id, String::as_str)
    }

    fn expires_soon(&self, provider: &Provider) -> bool {
        sso::secret_expires_soon(provider.secret_expires_on, self.today)
    }
}

pub async fn list(state: web::Data<AppState>, admin: AdminUser, query: web::Query<Done>) -> Result<HttpResponse, AppError> {
    let (providers, organisations) = state.read(|conn| Ok((identity_providers::list(conn)?, organisations::all(conn)?))).await?;
    let page = ProvidersPage {
        ctx: admin.page().with_notice(notice(query.klart.as_deref())),
        providers,
        organisation_names: organisations.into_iter().map(|o| (o.id, o.name)).collect(),
        redirect_uri: super::sso::redirect_uri(&state),
        after_logout_uri: super::sso::after_logout_uri(&state),
        today: today(),
    };
    Ok(ok_html(page.render()?))
}

/// The provider form as posted. The secret is never shown again: empty keeps the stored one.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct ProviderForm {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    secret_expires_on: String,
    /// `fixed` or `claim`.
    organisation_from: String,
    organisation_id: String,
    organisation_claim: String,
    organisation_values: String,
    create_unknown: Option<String>,
    enabled: Option<String>,
    /// Against the form being carried out twice (`store::submissions`).
    submission: String,
}

impl ProviderForm {
    fn of(provider: &Provider) -> ProviderForm {
        let (organisation_from, organisation_id, organisation_claim, organisation_values) = match &provider.organisations {
            OrganisationSource::Fixed(id) => ("fixed", id.clone(), String::new(), String::new()),
            OrganisationSource::Claim { name, values } => {
                ("claim", String::new(), name.clone(), values.iter().map(|(v, o)| format!("{v} = {o}\n")).collect())
            }
        };
        ProviderForm {
            name: provider.name.clone(),
            issuer: provider.issuer.clone(),
            client_id: provider.client_id.clone(),
            client_secret: String::new(),
            secret_expires_on: provider.secret_expires_on.map(|d| d.to_string()).unwrap_or_default(),
            organisation_from: organisation_from.into(),
            organisation_id,
            organisation_claim,
            organisation_values,
            create_unknown: provider.create_unknown.then(|| "on".into()),
            enabled: provider.enabled.then(|| "on".into()),
            submission: String::new(),
        }
    }
}

const FIELD_ORDER: [&str; 8] =
    ["name", "issuer", "client_id", "client_secret", "secret_expires_on", "organisation_id", "organisation_claim", "organisation_values"];

#[derive(Template)]
#[template(path = "admin/provider_form.html")]
struct ProviderFormPage {
    ctx: Page,
    /// None when adding.
    provider_id: Option<String>,
    form: ProviderForm,
    organisations: Vec<Organisation>,
    errors: FieldErrors,
    redirect_uri: String,
}

impl ProviderFormPage {
    fn reads_claim(&self) -> bool {
        self.form.organisation_from == "claim"
    }
}

async fn render_form(
    state: &AppState,
    admin: &AdminUser,
    provider_id: Option<String>,
    form: ProviderForm,
    errors: FieldErrors,
) -> Result<HttpResponse, AppError> {
    let organisations = state.read(|conn| Ok(organisations::all(conn)?)).await?;
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let page = ProviderFormPage {
        ctx: admin.page(),
        provider_id,
        form,
        organisations,
        errors: errors.ordered(&FIELD_ORDER),
        redirect_uri: super::sso::redirect_uri(state),
    };
    Ok(html(status, page.render()?))
}

pub async fn new_form(state: web::Data<AppState>, admin: AdminUser) -> Result<HttpResponse, AppError> {
    let form = ProviderForm { organisation_from: "fixed".into(), enabled: Some("on".into()), ..ProviderForm::default() };
    render_form(&state, &admin, None, form, FieldErrors::default()).await
}

pub async fn edit_form(state: web::Data<AppState>, admin: AdminUser, id: web::Path<String>) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lookup = id.clone();
    let provider = state.read(move |conn| identity_providers::get(conn, &lookup)?.ok_or(AppError::NotFound)).await?;
    render_form(&state, &admin, Some(id), ProviderForm::of(&provider), FieldErrors::default()).await
}

/// A provider as typed, checked field by field.
struct Parsed {
    name: String,
    issuer: String,
    client_id: String,
    client_secret: Option<String>,
    secret_expires_on: Option<chrono::NaiveDate>,
    organisations: OrganisationSource,
}

fn parse(form: &ProviderForm, adding: bool, organisation_ids: &[String], errors: &mut FieldErrors) -> Option<Parsed> {
    let name = errors.check(
        "name",
        text::required_line(&form.name, 100, "Ange ett namn, som användarna känner igen (till exempel SITHS-kort eller Botkyrka kommun)."),
    );
    let issuer = errors.check("issuer", sso::parse_issuer(&form.issuer).map_err(FieldError));
    let client_id = errors.check("client_id", text::required_line(&form.client_id, 200, "Ange klient-id (application/client id) från leverantören."));
    let secret = form.client_secret.trim();
    let client_secret = match (secret.is_empty(), adding) {
        (true, true) => {
            errors.add("client_secret", "Ange klienthemligheten.");
            None
        }
        (true, false) => None,
        (false, _) if secret.len() > 1000 => {
            errors.add("client_secret", "Klienthemligheten får vara högst 1 000 tecken.");
            None
        }
        (false, _) => Some(secret.to_owned()),
    };
    let secret_expires_on = errors.check("secret_expires_on", text::date(&form.secret_expires_on, None)).flatten();
    let known = |id: &str| organisation_ids.iter().any(|known| known == id);
    let organisations = if form.organisation_from == "claim" {
        let name = errors.check("organisation_claim", sso::parse_claim_name(&form.organisation_claim).map_err(FieldError));
        let values = match sso::parse_claim_values(&form.organisation_values, known) {
            Ok(values) => Some(values),
            Err(message) => {
                errors.add("organisation_values", message);
                None
            }
        };
        name.zip(values).map(|(name, values)| OrganisationSource::Claim { name, values })
    } else if known(&form.organisation_id) {
        Some(OrganisationSource::Fixed(form.organisation_id.clone()))
    } else {
        errors.add("organisation_id", "Välj organisationen i listan.");
        None
    };
    Some(Parsed { name: name?, issuer: issuer?, client_id: client_id?, client_secret, secret_expires_on, organisations: organisations? })
}

pub async fn create(state: web::Data<AppState>, admin: AdminUser, form: web::Form<ProviderForm>) -> Result<HttpResponse, AppError> {
    save(state, admin, None, form.into_inner()).await
}

pub async fn update(
    state: web::Data<AppState>,
    admin: AdminUser,
    id: web::Path<String>,
    form: web::Form<ProviderForm>,
) -> Result<HttpResponse, AppError> {
    let id = id.into_inner();
    let lookup = id.clone();
    state.read(move |conn| identity_providers::get(conn, &lookup)?.ok_or(AppError::NotFound)).await?;
    save(state, admin, Some(id), form.into_inner()).await
}

/// Checks the form, then that the provider answers at the issuer, then saves it.
async fn save(state: web::Data<AppState>, admin: AdminUser, id: Option<String>, form: ProviderForm) -> Result<HttpResponse, AppError> {
    // Sent again, the form would find its own name taken: the first answer comes back first.
    let key = submission_key(&form.submission);
    if let Some(location) = state.answered(key.clone(), admin.user.id.clone()).await? {
        return Ok(see_other(&location));
    }
    let organisation_ids: Vec<String> = state.read(|conn| Ok(organisations::all(conn)?.into_iter().map(|o| o.id).collect())).await?;
    let mut errors = FieldErrors::default();
    let parsed = parse(&form, id.is_none(), &organisation_ids, &mut errors);
    if let Some(parsed) = &parsed {
        let (except, name, issuer) = (id.clone(), parsed.name.clone(), parsed.issuer.clone());
        let (name_taken, issuer_taken) = state.read(move |conn| Ok(identity_providers::taken(conn, except.as_deref(), &name, &issuer)?)).await?;
        if name_taken {
            errors.add("name", "Det finns redan en inloggningstjänst med det namnet.");
        }
        if issuer_taken {
            errors.add("issuer", "Det finns redan en inloggningstjänst med den adressen.");
        } else if let Err(e) = state.sso.check(&parsed.issuer).await {
            log::info!("identity provider {} not saved: {e}", parsed.issuer);
            errors.add(
                "issuer",
                "Leverantören svarar inte med OpenID Connect-uppgifter för exakt den här adressen. Kontrollera adressen (även / på slutet) och att leverantören går att nå.",
            );
        }
    }
    let (Some(parsed), true) = (parsed, errors.is_empty()) else { return render_form(&state, &admin, id, form, errors).await };
    let sealed = parsed.client_secret.as_deref().map(|secret| crate::security::seal(state.config.secret_key.bytes(), secret));
    let actor = admin.actor();
    let Ok(location) = state
        .write_once(key, admin.user.id.clone(), move |conn| {
            let change = ProviderChange {
                name: &parsed.name,
                issuer: &parsed.issuer,
                client_id: &parsed.client_id,
                client_secret_sealed: sealed,
                secret_expires_on: parsed.secret_expires_on,
                organisations: &parsed.organisations,
                create_unknown: form.create_unknown.is_some(),
                enabled: form.enabled.is_some(),
            };
            let secret_changed = change.client_secret_sealed.is_some();
            let saved = identity_providers::save(conn, id.as_deref(), &change)?;
            let action = if id.is_some() { audit::Action::ProviderChanged } else { audit::Action::ProviderCreated };
            let detail = format!(
                "{} ({}, klient {}, {}, skapar okända: {}, aktiv: {}{})",
                change.name,
                change.issuer,
                change.client_id,
                describe(change.organisations),
                change.create_unknown,
                change.enabled,
                if secret_changed { ", ny klienthemlighet" } else { "" }
            );
            audit::record(conn, &actor, action, Some(&saved), &detail)?;
            super::carried_out("/admin/inloggning?klart=inloggning")
        })
        .await?;
    Ok(see_other(&location))
}

/// A provider's organisations for the audit log.
fn describe(organisations: &OrganisationSource) -> String {
    match organisations {
        OrganisationSource::Fixed(id) => format!("organisation {id}"),
        OrganisationSource::Claim { name, values } => {
            format!("organisation ur {name}: {}", values.iter().map(|(v, o)| format!("{v}={o}")).collect::<Vec<_>>().join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::web::forms::read;

    fn parsed(body: &str, adding: bool) -> (Option<Parsed>, Vec<&'static str>) {
        let form: ProviderForm = read(body.as_bytes()).unwrap();
        let mut errors = FieldErrors::default();
        let parsed = parse(&form, adding, &["kommun-0127".to_owned(), "region".to_owned()], &mut errors);
        (parsed, errors.fields())
    }

    #[test]
    fn a_provider_with_a_fixed_organisation_or_a_claim_is_parsed() {
        let (fixed, errors) = parsed(
            "name=SITHS&issuer=https%3A%2F%2Flogin.example.se%2Ft&client_id=tvs&client_secret=s3&secret_expires_on=2027-01-31\
             &organisation_from=fixed&organisation_id=region",
            true,
        );
        let fixed = fixed.expect("valid");
        assert!(errors.is_empty());
        assert_eq!((fixed.client_secret.as_deref(), fixed.secret_expires_on.map(|d| d.to_string())), (Some("s3"), Some("2027-01-31".into())));
        assert!(matches!(fixed.organisations, OrganisationSource::Fixed(ref id) if id == "region"));
        let (claim, _) = parsed(
            "name=Botkyrka&issuer=https%3A%2F%2Fidp.botkyrka.se&client_id=tvs&organisation_from=claim&organisation_claim=org\
             &organisation_values=SE1+%3D+kommun-0127%0A",
            false,
        );
        match claim.expect("valid; an edit keeps the stored secret").organisations {
            OrganisationSource::Claim { name, values } => assert_eq!((name.as_str(), values), ("org", vec![("SE1".into(), "kommun-0127".into())])),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_field_of_a_provider_is_refused_in_one_step() {
        let (none, errors) = parsed("name=&issuer=ftp%3A%2F%2Fx&client_id=&secret_expires_on=snart&organisation_id=nowhere", true);
        assert!(none.is_none());
        assert_eq!(errors, ["name", "issuer", "client_id", "client_secret", "secret_expires_on", "organisation_id"]);
        let (_, errors) = parsed("organisation_from=claim&organisation_claim=a+b&organisation_values=SE1+%3D+nowhere", false);
        assert!(errors.contains(&"organisation_claim") && errors.contains(&"organisation_values"));
    }
}
