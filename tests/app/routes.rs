//! Every route the app registers, with the capability its handler demands, walked by every
//! role — also under other spellings of each path, as an outside tester would write them.

use crate::helpers::*;
use tvistetrappa::domain::access::Capability::{self, *};

/// What each route must demand. A route added to the app without a line here, or with a
/// handler that demands something else, fails `every_registered_route_is_listed`.
const EXPECTED: &[(&str, &str, Capability)] = &[
    ("GET", "/", SignedIn),
    ("GET", "/healthz", Public),
    ("GET", "/readyz", Public),
    ("GET", "/static/app.css", Public),
    ("GET", "/static/motpart.js", Public),
    ("GET", "/logga-in", Public),
    ("POST", "/logga-in", Public),
    ("GET", "/logga-in/kod", Public),
    ("POST", "/logga-in/kod", Public),
    ("GET", "/logga-in/via/{id}", Public),
    ("GET", "/logga-in/svar", Public),
    ("POST", "/logga-ut", SignedIn),
    ("GET", "/konto/losenord", SignedIn),
    ("POST", "/konto/losenord", SignedIn),
    ("GET", "/konto/tvastegsverifiering", SignedIn),
    ("POST", "/konto/tvastegsverifiering", SignedIn),
    ("GET", "/konto/aviseringar", SignedIn),
    ("POST", "/konto/aviseringar", SignedIn),
    ("GET", "/glomt-losenord", Public),
    ("POST", "/glomt-losenord", Public),
    ("GET", "/aterstall/{token}", Public),
    ("POST", "/aterstall/{token}", Public),
    ("GET", "/arenden", SignedIn),
    ("GET", "/arenden/nytt", FileCases),
    ("POST", "/arenden/nytt", FileCases),
    ("GET", "/arenden/{number}", SignedIn),
    ("POST", "/arenden/{number}/atgard", SignedIn),
    ("POST", "/arenden/{number}/bilagor", SignedIn),
    ("GET", "/arenden/{number}/bilagor/{id}", SignedIn),
    ("GET", "/betalning", SignedIn),
    ("POST", "/betalning/publicera", PaymentOfficer),
    ("GET", "/granskning", SignedIn),
    ("POST", "/granskning/{id}/svar", AnswerReview),
    ("GET", "/betalning/importer", PaymentOfficer),
    ("POST", "/betalning/importer", PaymentOfficer),
    ("GET", "/betalning/{month}/versioner", SignedIn),
    ("GET", "/betalning/{month}/versioner/{version}", SignedIn),
    ("GET", "/betalning/{month}/enhet", SignedIn),
    ("GET", "/betalning/{month}/enhet.{format}", SignedIn),
    ("GET", "/tolkningar", SignedIn),
    ("GET", "/tolkningar.{format}", SignedIn),
    ("GET", "/ataganden", SignedIn),
    ("GET", "/rapporter", SignedIn),
    ("GET", "/rapporter/arenden", SignedIn),
    ("GET", "/rapporter/arenden.{format}", SignedIn),
    ("GET", "/rapporter/betalning", SignedIn),
    ("GET", "/rapporter/betalning.{format}", SignedIn),
    ("GET", "/organisationer", SignedIn),
    ("GET", "/organisationer/{id}", SignedIn),
    ("GET", "/admin/anvandare", Administer),
    ("GET", "/admin/anvandare/ny", Administer),
    ("POST", "/admin/anvandare/ny", Administer),
    ("GET", "/admin/anvandare/{id}", Administer),
    ("POST", "/admin/anvandare/{id}", Administer),
    ("GET", "/admin/enheter", Administer),
    ("GET", "/admin/enheter/ny", Administer),
    ("POST", "/admin/enheter/ny", Administer),
    ("GET", "/admin/enheter/{id}", Administer),
    ("POST", "/admin/enheter/{id}", Administer),
    ("GET", "/admin/frister", Administer),
    ("POST", "/admin/frister", Administer),
    ("GET", "/admin/betalning", Administer),
    ("POST", "/admin/betalning/dagbelopp", Administer),
    ("POST", "/admin/betalning/installningar", Administer),
    ("POST", "/admin/organisationer/{id}/brevlada", Administer),
    ("GET", "/admin/utkorg", Administer),
    ("POST", "/admin/utkorg/{id}/igen", Administer),
    ("GET", "/admin/inloggning", Administer),
    ("GET", "/admin/inloggning/ny", Administer),
    ("POST", "/admin/inloggning/ny", Administer),
    ("GET", "/admin/inloggning/{id}", Administer),
    ("POST", "/admin/inloggning/{id}", Administer),
    ("GET", "/admin/logg", Administer),
];

/// Who walks the routes: a visitor, each kind of local user, both reviewer organisations,
/// the steering group, the VIS secretariat and an administrator.
const ROLES: &[(&str, Option<&str>)] = &[
    ("visitor", None),
    ("municipality", Some(BOTKYRKA)),
    ("Stockholm city", Some("lena.sjoberg@stockholm.example")),
    ("Stockholm district", Some("omar.said@stockholm.example")),
    ("hospital ward", Some("sara.nyberg@sodersjukhuset.example")),
    ("Storsthlm reviewer", Some("lars.ek@storsthlm.example")),
    ("HSF reviewer", Some("maria.sund@hsf.example")),
    ("steering group", Some("johan.lund@styrgruppen.example")),
    ("VIS secretariat", Some("karin.wall@vis.example")),
    ("administrator", Some(ADMIN)),
];

#[test]
fn every_registered_route_is_listed() {
    let mut registered: Vec<(String, String, Capability)> =
        tvistetrappa::web::route_table().into_iter().map(|r| (r.method, r.pattern, r.needs)).collect();
    let mut expected: Vec<(String, String, Capability)> = EXPECTED.iter().map(|(m, p, c)| (m.to_string(), p.to_string(), *c)).collect();
    registered.sort();
    expected.sort();
    let missing: Vec<_> = registered.iter().filter(|r| !expected.contains(r)).collect();
    let stale: Vec<_> = expected.iter().filter(|e| !registered.contains(e)).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "registered but not expected (or with another capability): {missing:#?}\nexpected but not registered: {stale:#?}"
    );
}

/// A concrete path for a pattern: ids that exist nowhere, so that nothing is changed and a
/// handler that lets the user in answers 404 or a form error, never 403.
fn concrete(pattern: &str) -> String {
    pattern
        .replace("{token}", &"0".repeat(64))
        .replace("{number}", "AV-2026-9999")
        .replace("{month}", "2022-03")
        .replace("{version}", "1")
        .replace("{format}", "csv")
        .replace("{id}", "finns-inte")
}

/// Other ways of writing the same path that a router or a proxy might read as it.
fn spellings(path: &str) -> Vec<String> {
    if path == "/" {
        return vec!["//".into(), "/./".into(), "/x/../".into(), "/;param".into(), "/%2F".into()];
    }
    let first = path.as_bytes()[1];
    let rest = &path[2..];
    vec![
        format!("/%{first:02X}{rest}"),
        format!("/%25{first:02X}{rest}"),
        format!("/{path}"),
        format!("/.{path}"),
        format!("/x/..{path}"),
        path.to_uppercase(),
        format!("{path}/"),
        format!("{path};param"),
    ]
}

fn granted(needs: Capability, email: &str) -> bool {
    let role_of = |e: &str| match e {
        "lars.ek@storsthlm.example" => ("reviewer", "storsthlm"),
        "maria.sund@hsf.example" => ("reviewer", "hsf"),
        "johan.lund@styrgruppen.example" => ("steering", "styrgruppen"),
        "karin.wall@vis.example" => ("secretariat", "vis"),
        ADMIN => ("admin", "region"),
        _ => ("local", "kommun"),
    };
    let (role, organisation) = role_of(email);
    needs.granted(role.parse().unwrap(), organisation)
}

#[actix_web::test]
async fn every_route_answers_every_role_as_its_capability_says() {
    let app = spawn_app().await;
    for (role, email) in ROLES {
        let mut token = match email {
            Some(email) => {
                app.login_as(email).await;
                app.csrf().await
            }
            None => {
                app.forget_cookies();
                app.get("/logga-in").await.csrf()
            }
        };
        for (method, pattern, needs) in EXPECTED {
            let path = concrete(pattern);
            // A visitor is sent to sign in before a private page's form is read; the server
            // then waits a moment for the unread body, so none is sent.
            let body = if email.is_none() && *needs != Public { String::new() } else { format!("csrf={token}") };
            let (status, location) = app.raw_request(method, &path, &body);
            let to_login = status == 303 && location.starts_with("/logga-in?next=");
            let what = format!("{role}: {method} {path}");
            assert!(status < 500, "{what} answered {status}");
            match email {
                None if *needs == Public => assert!(!to_login, "{what} sent a visitor to sign in"),
                None => assert!(to_login, "{what} answered {status} ({location}) instead of sending a visitor to sign in"),
                Some(email) if granted(*needs, email) => {
                    assert!(status != 403 && !to_login, "{what} refused a user who holds {needs:?}: {status}")
                }
                Some(_) => assert_eq!(status, 403, "{what} let in a user without {needs:?}"),
            }
            if *pattern == "/logga-ut" {
                if let Some(email) = email {
                    app.login_as(email).await;
                    token = app.csrf().await;
                }
            }
            // Spelled otherwise, a path never gives anyone more than the plain spelling.
            let plain_refused = email.is_none_or(|e| !granted(*needs, e));
            if *needs != Public && plain_refused {
                for spelled in spellings(&path) {
                    let (status, location) = app.raw_request(method, &spelled, &body);
                    let what = format!("{role}: {method} {spelled}");
                    let refused = match email {
                        None => (status == 303 && location.starts_with("/logga-in?next=")) || matches!(status, 400 | 404),
                        Some(_) => matches!(status, 400 | 403 | 404 | 405),
                    };
                    assert!(refused, "{what} answered {status} ({location})");
                }
            }
        }
    }
}

#[actix_web::test]
async fn a_local_user_cannot_make_herself_administrator_by_any_spelling() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let token = app.csrf().await;
    let id = {
        let mut conn = app.db();
        tvistetrappa::store::users::by_email(&mut conn, BOTKYRKA).unwrap().unwrap().id
    };
    let body = format!("csrf={token}&name=Anna+Berg&email=anna.berg%40botkyrka.example&organisation_id=kommun-0127&role=admin&active=on");
    for path in spellings(&format!("/admin/anvandare/{id}")).into_iter().chain([format!("/admin/anvandare/{id}")]) {
        let (status, _) = app.raw_request("POST", &path, &body);
        assert!(matches!(status, 403..=405), "POST {path} answered {status}");
        let (status, _) = app.raw_request("GET", &path.replace(&format!("/{id}"), ""), "");
        assert!(matches!(status, 403..=405), "GET of the user list by {path} answered {status}");
    }
    let mut conn = app.db();
    let anna = tvistetrappa::store::users::by_email(&mut conn, BOTKYRKA).unwrap().unwrap();
    assert_eq!(anna.role.as_str(), "local");
    // Each refusal is in the audit log, with the path as it was asked for.
    let refused = tvistetrappa::store::audit::page(&mut conn, Some("access_denied"), 0, 100).unwrap();
    assert!(refused.iter().any(|e| e.target.as_deref() == Some(&format!("POST /%61dmin/anvandare/{id}")[..])), "{refused:#?}");
}
