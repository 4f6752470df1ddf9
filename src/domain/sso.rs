//! Single sign-on: which provider addresses are acceptable, what identifies a person at a
//! provider, how their organisation is read, and who may sign in through a provider.
//! (The protocol itself, OpenID Connect, is in `crate::sso`.)

use url::{Host, Url};

/// An issuer address an administrator may register: `https` (plain `http` only on this
/// machine, for tests), no query or fragment, and never one of Entra ID's shared endpoints,
/// whose tokens any tenant's users can get. The text is kept exactly as typed, because the
/// provider's metadata must name the very same issuer.
pub fn parse_issuer(typed: &str) -> Result<String, &'static str> {
    let issuer = typed.trim();
    if issuer.is_empty() {
        return Err("Ange leverantörens adress (issuer).");
    }
    let url = Url::parse(issuer).map_err(|_| "Ange en hel adress, som https://login.example.se/tenant.")?;
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err("Adressen måste börja med https://."),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("Adressen får inte ha frågetecken, # eller inloggningsuppgifter.");
    }
    if is_entra_shared_endpoint(&url) {
        return Err("Entra ID:s gemensamma adress (/common, /organizations, /consumers) tas inte emot. Ange er egen tenants adress, \
                    som https://login.microsoftonline.com/<tenant-id>/v2.0.");
    }
    Ok(issuer.to_owned())
}

fn is_entra_shared_endpoint(url: &Url) -> bool {
    let microsoft = matches!(url.host_str(), Some("login.microsoftonline.com" | "login.windows.net" | "sts.windows.net"));
    let tenant = url.path_segments().and_then(|mut segments| segments.next()).unwrap_or("").to_ascii_lowercase();
    microsoft && matches!(tenant.as_str(), "common" | "organizations" | "consumers")
}

/// What identifies a person at a provider for good. Entra ID's `sub` differs per
/// application, so where a token carries Entra's tenant (`tid`) and object id (`oid`),
/// those two identify the person; otherwise the standard `sub`.
pub fn subject(sub: &str, tid: Option<&str>, oid: Option<&str>) -> String {
    match (tid.filter(|t| !t.is_empty()), oid.filter(|o| !o.is_empty())) {
        (Some(tid), Some(oid)) => format!("{tid}/{oid}"),
        _ => sub.to_owned(),
    }
}

/// How a provider tells which organisation a person signs in for. Never the e-mail domain:
/// anyone can hold an address at a domain they do not work for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrganisationSource {
    /// Everyone the provider signs in belongs to this organisation (or one of its units):
    /// one municipality's own Entra tenant.
    Fixed(String),
    /// A claim (such as an HSA id) names the organisation: each listed value stands for one
    /// organisation; other values are refused. Inera's shared provider.
    Claim { name: String, values: Vec<(String, String)> },
}

impl OrganisationSource {
    /// The organisation a sign-in is for, from the claim's value where the provider has one.
    pub fn organisation<'a>(&'a self, claim_value: Option<&str>) -> Option<&'a str> {
        match self {
            OrganisationSource::Fixed(organisation) => Some(organisation),
            OrganisationSource::Claim { values, .. } => {
                let value = claim_value?.trim();
                values.iter().find(|(v, _)| v == value).map(|(_, organisation)| organisation.as_str())
            }
        }
    }

    /// The claim to read, if any.
    pub fn claim(&self) -> Option<&str> {
        match self {
            OrganisationSource::Fixed(_) => None,
            OrganisationSource::Claim { name, .. } => Some(name),
        }
    }
}

/// The name of a claim an organisation is read from: letters, digits and `_:./-` (claims
/// may be URIs, like SAMBI's attribute names), at most 200 characters.
pub fn parse_claim_name(typed: &str) -> Result<String, &'static str> {
    let name = typed.trim();
    if name.is_empty() {
        return Err("Ange namnet på anspråket (claim) som anger organisationen.");
    }
    if name.len() > 200 || !name.chars().all(|c| c.is_ascii_alphanumeric() || "_:./-".contains(c)) {
        return Err("Namnet får bara innehålla bokstäver a–z, siffror och _ : . / - (högst 200 tecken).");
    }
    Ok(name.to_owned())
}

/// The claim values and organisations typed one pair a line, `värde = organisations-id`;
/// `known` tells an organisation id that exists. Errors name the line.
pub fn parse_claim_values(typed: &str, known: impl Fn(&str) -> bool) -> Result<Vec<(String, String)>, String> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (number, line) in typed.lines().enumerate().map(|(i, line)| (i + 1, line.trim())) {
        if line.is_empty() {
            continue;
        }
        let Some((value, organisation)) = line.split_once('=').map(|(v, o)| (v.trim(), o.trim())) else {
            return Err(format!("Rad {number}: skriv värdet, ett likhetstecken och organisationens id, som SE2120001231-0001 = botkyrka."));
        };
        if value.is_empty() || value.len() > 200 || organisation.is_empty() {
            return Err(format!("Rad {number}: både värdet och organisationens id behövs (värdet högst 200 tecken)."));
        }
        if !known(organisation) {
            let shown: String = organisation.chars().take(80).collect();
            return Err(format!("Rad {number}: det finns ingen organisation med id {shown}. Se organisationernas id under Organisationer."));
        }
        if pairs.iter().any(|(v, _)| v == value) {
            return Err(format!("Rad {number}: värdet finns redan på en tidigare rad."));
        }
        if pairs.iter().any(|(_, o)| o == organisation) {
            return Err(format!("Rad {number}: organisationen finns redan på en tidigare rad."));
        }
        pairs.push((value.to_owned(), organisation.to_owned()));
    }
    if pairs.is_empty() {
        return Err("Ange minst ett värde och dess organisation.".into());
    }
    Ok(pairs)
}

/// An account as seen when someone signs in: whether it may be used, and its organisation
/// followed by the organisations above it (a unit, then its municipality).
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub active: bool,
    pub awaiting_confirmation: bool,
    pub organisation_chain: Vec<String>,
}

/// What happens to someone the provider has vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// Already linked: sign in.
    SignIn {
        user_id: String,
    },
    /// Pre-provisioned by an administrator (same e-mail, same organisation): link this
    /// identity to the account, then sign in.
    Link {
        user_id: String,
    },
    /// Unknown, and the provider may create people: a new, unconfirmed account.
    Create {
        organisation_id: String,
    },
    Refuse(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The provider did not say which organisation, or named one it may not sign in for.
    NoOrganisation,
    /// The account belongs to an organisation outside this sign-in's organisation.
    OtherOrganisation,
    /// No account, and the provider does not create them (or gave no usable e-mail address).
    Unknown,
    Inactive,
    AwaitingConfirmation,
}

impl Refusal {
    pub fn as_str(self) -> &'static str {
        match self {
            Refusal::NoOrganisation => "no organisation the provider may sign in for",
            Refusal::OtherOrganisation => "account belongs to another organisation",
            Refusal::Unknown => "no account",
            Refusal::Inactive => "account inactive",
            Refusal::AwaitingConfirmation => "account awaits confirmation",
        }
    }

    /// What the person is told, in plain Swedish.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::NoOrganisation => "Inloggningen gav ingen organisation som får använda Tvistetrappa den här vägen. Kontakta en administratör.",
            Refusal::OtherOrganisation => {
                "Ditt konto i Tvistetrappa hör till en annan organisation än den du loggade in för. Kontakta en administratör."
            }
            Refusal::Unknown => "Du har inget konto i Tvistetrappa. Be en administratör i din organisation att lägga upp dig.",
            Refusal::Inactive => "Ditt konto i Tvistetrappa är inaktiverat. Kontakta en administratör.",
            Refusal::AwaitingConfirmation => "Ditt konto väntar på att en administratör bekräftar det. Du kan logga in när det är gjort.",
        }
    }
}

/// Who may sign in through a provider. `organisation` is the organisation the provider
/// vouched for (`None`: none it may sign in for); `linked` the account already linked to
/// this identity; `by_email` an account with the (verified) e-mail address the provider
/// gave, not yet linked at this provider. An account must belong to the organisation or to
/// a unit under it, at every sign-in.
pub fn resolve(organisation: Option<&str>, linked: Option<&Account>, by_email: Option<&Account>, may_create: bool) -> Resolution {
    let Some(organisation) = organisation else { return Resolution::Refuse(Refusal::NoOrganisation) };
    let usable = |account: &Account| {
        if account.awaiting_confirmation {
            Err(Refusal::AwaitingConfirmation)
        } else if !account.active {
            Err(Refusal::Inactive)
        } else if !account.organisation_chain.iter().any(|o| o == organisation) {
            Err(Refusal::OtherOrganisation)
        } else {
            Ok(account.user_id.clone())
        }
    };
    match (linked, by_email) {
        (Some(account), _) => usable(account).map_or_else(Resolution::Refuse, |user_id| Resolution::SignIn { user_id }),
        (None, Some(account)) => usable(account).map_or_else(Resolution::Refuse, |user_id| Resolution::Link { user_id }),
        (None, None) if may_create => Resolution::Create { organisation_id: organisation.to_owned() },
        (None, None) => Resolution::Refuse(Refusal::Unknown),
    }
}

/// Days before a client secret expires that administrators are warned.
pub const SECRET_WARNING_DAYS: i64 = 30;

/// Whether a client secret's expiry is near (or past) on `today`.
pub fn secret_expires_soon(expires_on: Option<chrono::NaiveDate>, today: chrono::NaiveDate) -> bool {
    expires_on.is_some_and(|day| (day - today).num_days() <= SECRET_WARNING_DAYS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issuers_must_be_https_and_tenant_specific() {
        assert_eq!(parse_issuer(" https://idp.inera.se/oidc ").as_deref(), Ok("https://idp.inera.se/oidc"));
        assert_eq!(parse_issuer("https://idp.example/").as_deref(), Ok("https://idp.example/"), "kept exactly, slash included");
        let tenant = "https://login.microsoftonline.com/0b2c6a4e-8f1d-4d0b-9a43-1c1f7c2e9f10/v2.0";
        assert_eq!(parse_issuer(tenant).as_deref(), Ok(tenant));
        assert!(parse_issuer("http://127.0.0.1:4000").is_ok());
        assert!(parse_issuer("http://localhost:4000").is_ok());
        for bad in [
            "",
            "idp.example",
            "http://idp.example",
            "ftp://idp.example",
            "https://idp.example/?tenant=1",
            "https://idp.example/#x",
            "https://user:pw@idp.example",
            "https://login.microsoftonline.com/common/v2.0",
            "https://login.microsoftonline.com/Organizations/v2.0",
            "https://login.microsoftonline.com/consumers/v2.0",
        ] {
            assert!(parse_issuer(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn entra_people_are_their_tenant_and_object_id_others_their_sub() {
        assert_eq!(subject("pairwise-sub", Some("tenant"), Some("object")), "tenant/object");
        assert_eq!(subject("sub-1", None, Some("object")), "sub-1");
        assert_eq!(subject("sub-1", Some(""), Some("object")), "sub-1");
        assert_eq!(subject("sub-1", None, None), "sub-1");
    }

    #[test]
    fn the_organisation_comes_from_the_provider_or_its_claim_never_elsewhere() {
        let fixed = OrganisationSource::Fixed("botkyrka".into());
        assert_eq!(fixed.organisation(None), Some("botkyrka"));
        assert_eq!(fixed.organisation(Some("SE-anything")), Some("botkyrka"));
        assert_eq!(fixed.claim(), None);
        let claim = OrganisationSource::Claim {
            name: "hsa_organisation".into(),
            values: vec![("SE2321000016-0001".into(), "region".into()), ("SE2120001231-0001".into(), "botkyrka".into())],
        };
        assert_eq!(claim.claim(), Some("hsa_organisation"));
        assert_eq!(claim.organisation(Some(" SE2120001231-0001 ")), Some("botkyrka"));
        assert_eq!(claim.organisation(Some("SE0000000000-0000")), None);
        assert_eq!(claim.organisation(None), None);
    }

    fn account(id: &str, chain: &[&str]) -> Account {
        Account { user_id: id.into(), active: true, awaiting_confirmation: false, organisation_chain: chain.iter().map(|s| s.to_string()).collect() }
    }

    #[test]
    fn who_may_sign_in_through_a_provider() {
        let anna = account("anna", &["botkyrka"]);
        let unit = account("unit-user", &["botkyrka-hemtjanst", "botkyrka"]);
        let other = account("olle", &["huddinge"]);
        assert_eq!(resolve(Some("botkyrka"), Some(&anna), None, false), Resolution::SignIn { user_id: "anna".into() });
        assert_eq!(resolve(Some("botkyrka"), Some(&unit), None, false), Resolution::SignIn { user_id: "unit-user".into() }, "a unit's user");
        assert_eq!(resolve(Some("botkyrka"), None, Some(&anna), false), Resolution::Link { user_id: "anna".into() });
        assert_eq!(resolve(Some("botkyrka"), None, Some(&other), true), Resolution::Refuse(Refusal::OtherOrganisation));
        assert_eq!(resolve(Some("botkyrka"), Some(&other), None, true), Resolution::Refuse(Refusal::OtherOrganisation));
        assert_eq!(resolve(None, Some(&anna), None, true), Resolution::Refuse(Refusal::NoOrganisation));
        assert_eq!(resolve(Some("botkyrka"), None, None, false), Resolution::Refuse(Refusal::Unknown));
        assert_eq!(resolve(Some("botkyrka"), None, None, true), Resolution::Create { organisation_id: "botkyrka".into() });
        let inactive = Account { active: false, ..anna.clone() };
        assert_eq!(resolve(Some("botkyrka"), Some(&inactive), None, true), Resolution::Refuse(Refusal::Inactive));
        let waiting = Account { active: false, awaiting_confirmation: true, ..anna.clone() };
        assert_eq!(resolve(Some("botkyrka"), Some(&waiting), None, true), Resolution::Refuse(Refusal::AwaitingConfirmation));
        // A linked identity wins over an e-mail match.
        assert_eq!(resolve(Some("botkyrka"), Some(&anna), Some(&unit), false), Resolution::SignIn { user_id: "anna".into() });
    }

    #[test]
    fn claim_names_and_values_are_parsed_with_the_line_of_an_error() {
        assert_eq!(
            parse_claim_name(" http://sambi.se/attributes/1/organizationIdentifier ").as_deref(),
            Ok("http://sambi.se/attributes/1/organizationIdentifier")
        );
        assert!(parse_claim_name("").is_err());
        assert!(parse_claim_name("two words").is_err());
        let known = |id: &str| ["botkyrka", "region"].contains(&id);
        assert_eq!(
            parse_claim_values("SE1 = botkyrka\n\n  SE2=region  \n", known),
            Ok(vec![("SE1".to_owned(), "botkyrka".to_owned()), ("SE2".to_owned(), "region".to_owned())])
        );
        assert!(parse_claim_values("", known).unwrap_err().contains("minst ett"));
        assert!(parse_claim_values("SE1 = botkyrka\nSE2 botkyrka", known).unwrap_err().starts_with("Rad 2:"));
        assert!(parse_claim_values("SE1 = nowhere", known).unwrap_err().contains("ingen organisation med id nowhere"));
        assert!(parse_claim_values("SE1 = botkyrka\nSE1 = region", known).unwrap_err().starts_with("Rad 2: värdet"));
        assert!(parse_claim_values("SE1 = botkyrka\nSE2 = botkyrka", known).unwrap_err().starts_with("Rad 2: organisationen"));
        assert!(parse_claim_values(" = botkyrka", known).unwrap_err().starts_with("Rad 1:"));
    }

    #[test]
    fn secrets_warn_a_month_ahead() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        assert!(!secret_expires_soon(None, today));
        assert!(!secret_expires_soon(Some(today + chrono::Duration::days(31)), today));
        assert!(secret_expires_soon(Some(today + chrono::Duration::days(30)), today));
        assert!(secret_expires_soon(Some(today - chrono::Duration::days(1)), today));
    }
}
