use crate::helpers::*;
use tvistetrappa::demo::DEMO_USERS;

#[actix_web::test]
async fn every_demo_user_can_log_in_and_sees_their_start_page() {
    let app = spawn_app().await;
    for user in &DEMO_USERS {
        app.login_as(user.email).await;
        let start = app.get("/").await;
        assert_eq!(start.status, 200);
        assert!(start.body.contains(user.name), "{}: {}", user.email, start.body);
        assert!(start.body.contains(user.role.label()));
    }
}

#[actix_web::test]
async fn a_wrong_password_is_refused_without_a_session() {
    let app = spawn_app().await;
    let response = app.login(BOTKYRKA, "fel-losenord-123").await;
    assert_eq!(response.status, 401);
    assert!(response.body.contains("Fel e-postadress eller lösenord."));
    assert!(app.cookie("tvs_session").is_none());
    let unknown = app.login("ingen@botkyrka.example", DEMO_PASSWORD).await;
    assert_eq!(unknown.status, 401);
    assert!(app.get("/").await.location().starts_with("/logga-in"));
}

#[actix_web::test]
async fn repeated_failures_throttle_the_account_even_with_the_right_password() {
    let app = spawn_app().await;
    for _ in 0..5 {
        assert_eq!(app.login(BOTKYRKA, "fel-losenord-123").await.status, 401);
    }
    let throttled = app.login(BOTKYRKA, DEMO_PASSWORD).await;
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("För många misslyckade inloggningar"));
    assert!(app.cookie("tvs_session").is_none());
    // Another account from the same address is not locked out by it.
    assert_eq!(app.login(HUDDINGE, DEMO_PASSWORD).await.status, 303);
}

#[actix_web::test]
async fn failures_from_one_address_throttle_it_across_accounts() {
    let app = spawn_app().await;
    for i in 0..30 {
        let email = format!("gissning{i}@botkyrka.example");
        assert_eq!(app.login(&email, "fel-losenord-123").await.status, 401);
    }
    assert_eq!(app.login(HUDDINGE, DEMO_PASSWORD).await.status, 429);
}

#[actix_web::test]
async fn after_logout_the_old_cookie_no_longer_works() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let old = app.cookie("tvs_session").unwrap();
    let logout = app.post("/logga-ut", &[]).await;
    assert_eq!(logout.status, 303);
    assert!(app.cookie("tvs_session").is_none());
    app.set_cookie("tvs_session", &old);
    let again = app.get("/").await;
    assert_eq!(again.status, 303);
    assert!(again.location().starts_with("/logga-in"));
}

/// Each server keeps the sessions it looked up a moment ago (src/web/session_cache.rs). A
/// session ended on one server, a user deactivated or a unit moved behind every server's back
/// (as the CLI or an operator would) holds on another server from `TRUST_FOR` after the change
/// at the latest, however busy that server is kept meanwhile.
#[actix_web::test]
async fn what_ends_or_changes_a_session_anywhere_holds_on_every_server() {
    use std::time::Instant;
    use tvistetrappa::web::session_cache::TRUST_FOR;
    let first = spawn_app().await;
    let second = spawn_app_with(Options { database_url: Some(first.database_url.clone()), ..Options::default() }).await;
    second.login_as(STORSTHLM).await;
    let reviewer = second.session();
    let on_second = |cookies: &str, path: &str| raw_page(&second.address, cookies, path);
    // Every request to the second server from `changed + TRUST_FOR` on must be `answered`;
    // the reviewer's requests keep that server looking up (and trusting) its kept sessions.
    let answered_from = |changed: Instant, cookies: &str, path: &str, answered: &dyn Fn(u16, &str) -> bool| {
        let mut answers = Vec::new();
        while changed.elapsed() < TRUST_FOR * 3 {
            assert_eq!(on_second(&reviewer, "/arenden").0, 200);
            let asked = Instant::now();
            let (status, page) = on_second(cookies, path);
            answers.push((asked.duration_since(changed) >= TRUST_FOR, answered(status, &page)));
        }
        assert!(answers.iter().any(|(late, _)| *late), "asked after TRUST_FOR");
        assert!(answers.iter().all(|(late, answered)| !late || *answered), "{path} from TRUST_FOR on: {answers:?}");
    };
    let signed_out = |status: u16, _: &str| status == 303;

    // A unit placed below Botkyrka: its cases join Botkyrka's list.
    let huddinges = format!("href=\"/arenden/{}\"", crate::access::huddinge_case(&first).await);
    first.login_as(BOTKYRKA).await;
    let botkyrka = first.session();
    let (status, list) = on_second(&botkyrka, "/arenden");
    assert_eq!(status, 200, "a session from one server holds on another");
    assert!(!list.contains(&huddinges));
    first.sql("UPDATE organisations SET parent_id = 'kommun-0127' WHERE id = 'kommun-0126'");
    answered_from(Instant::now(), &botkyrka, "/arenden", &|status, list| status == 200 && list.contains(&huddinges));

    // Signed out on the first server.
    assert_eq!(first.post("/logga-ut", &[]).await.status, 303);
    answered_from(Instant::now(), &botkyrka, "/arenden", &signed_out);

    // A user deactivated: his session goes with his account.
    first.login_as(SODERMALM).await;
    let sodermalm = first.session();
    assert_eq!(on_second(&sodermalm, "/arenden").0, 200);
    first.sql(&format!("UPDATE users SET active = false WHERE email = '{SODERMALM}'"));
    answered_from(Instant::now(), &sodermalm, "/arenden", &signed_out);
}

#[actix_web::test]
async fn the_session_id_changes_at_login() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let first = app.cookie("tvs_session").unwrap();
    // Signing in again from the same browser replaces the session.
    assert_eq!(app.login(BOTKYRKA, DEMO_PASSWORD).await.status, 303);
    let second = app.cookie("tvs_session").unwrap();
    assert_ne!(first, second);
    app.set_cookie("tvs_session", &first);
    assert_eq!(app.get("/").await.status, 303, "the replaced session must be gone");
    app.set_cookie("tvs_session", &second);
    assert_eq!(app.get("/").await.status, 200);
}

#[actix_web::test]
async fn cookies_are_http_only_and_same_site() {
    let app = spawn_app().await;
    let response = app.login(BOTKYRKA, DEMO_PASSWORD).await;
    let cookie = response.headers.get_all("set-cookie").map(|v| v.to_str().unwrap().to_owned()).find(|c| c.starts_with("tvs_session=")).unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}

#[actix_web::test]
async fn a_post_without_or_with_a_wrong_csrf_token_is_refused_and_changes_nothing() {
    let app = spawn_app().await;
    // Signing in needs the token too.
    let no_token = app.post_raw("/logga-in", &[("email", BOTKYRKA), ("password", DEMO_PASSWORD)]).await;
    assert_eq!(no_token.status, 403);
    assert!(app.cookie("tvs_session").is_none());

    app.login_as(ADMIN).await;
    let fields = [("kind", "inpatient_unit"), ("name", "Ska inte finnas"), ("parent_id", "region"), ("active", "on")];
    let missing = app.post_raw("/admin/enheter/ny", &fields).await;
    assert_eq!(missing.status, 403);
    assert!(missing.body.contains("säkerhetskod"));
    let mut wrong = vec![("csrf", "0".repeat(64))];
    wrong.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let wrong: Vec<(&str, &str)> = wrong.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(app.post_raw("/admin/enheter/ny", &wrong).await.status, 403);
    assert!(!app.get("/admin/enheter").await.body.contains("Ska inte finnas"));
    // A logout without a token does not log out.
    assert_eq!(app.post_raw("/logga-ut", &[]).await.status, 403);
    assert_eq!(app.get("/").await.status, 200);
    // The refusals are in the audit log.
    assert!(app.get("/admin/logg?handelse=csrf_rejected").await.body.contains("/admin/enheter/ny"));
}

#[actix_web::test]
async fn a_token_from_another_session_is_refused() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let botkyrka_token = app.csrf().await;
    app.login_as(HUDDINGE).await;
    let response = app.post_raw("/logga-ut", &[("csrf", &botkyrka_token)]).await;
    assert_eq!(response.status, 403);
}

#[actix_web::test]
async fn changing_the_password_ends_other_sessions() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let other_session = app.cookie("tvs_session").unwrap();
    app.login_as(BOTKYRKA).await;
    let wrong_current = app
        .submit(
            "/konto/losenord",
            "/konto/losenord",
            &[("current", "fel"), ("password", "ett nytt langt losenord"), ("repeat", "ett nytt langt losenord")],
        )
        .await;
    assert_eq!(wrong_current.status, 422);
    assert!(wrong_current.body.contains("Det nuvarande lösenordet stämmer inte."));
    let too_short = app.submit("/konto/losenord", "/konto/losenord", &[("current", DEMO_PASSWORD), ("password", "kort"), ("repeat", "kort")]).await;
    assert!(too_short.body.contains("minst 12 tecken"));
    let changed = app
        .submit(
            "/konto/losenord",
            "/konto/losenord",
            &[("current", DEMO_PASSWORD), ("password", "ett nytt langt losenord"), ("repeat", "ett nytt langt losenord")],
        )
        .await;
    assert_eq!(changed.status, 303);
    assert_eq!(app.get("/").await.status, 200, "this session goes on with a new cookie");
    app.set_cookie("tvs_session", &other_session);
    assert_eq!(app.get("/").await.status, 303, "the other session is ended");
    assert_eq!(app.login(BOTKYRKA, DEMO_PASSWORD).await.status, 401);
    assert_eq!(app.login(BOTKYRKA, "ett nytt langt losenord").await.status, 303);
}

#[actix_web::test]
async fn a_forgotten_password_is_reset_through_a_one_time_link() {
    let app = spawn_app().await;
    let response = app.submit("/glomt-losenord", "/glomt-losenord", &[("email", BOTKYRKA)]).await;
    assert_eq!(response.status, 200);
    assert!(response.body.contains("Om adressen hör till ett konto"));
    // The same answer for an address without an account, and no mail.
    let unknown = app.submit("/glomt-losenord", "/glomt-losenord", &[("email", "ingen@botkyrka.example")]).await;
    assert!(unknown.body.contains("Om adressen hör till ett konto"));
    assert_eq!(app.sent_mail().len(), 1);

    let link = app.link_in_mail(BOTKYRKA, "/aterstall/");
    let mismatch = app.submit(&link, &link, &[("password", "mitt nya losenord 1"), ("repeat", "mitt nya losenord 2")]).await;
    assert_eq!(mismatch.status, 422);
    assert!(mismatch.body.contains("Lösenorden stämmer inte överens."));
    let reset = app.submit(&link, &link, &[("password", "mitt nya losenord 1"), ("repeat", "mitt nya losenord 1")]).await;
    assert_eq!(reset.status, 303);
    assert_eq!(app.get(&link).await.status, 404, "the link works once");
    assert_eq!(app.login(BOTKYRKA, "mitt nya losenord 1").await.status, 303);
}

#[actix_web::test]
async fn expired_and_malformed_reset_links_are_refused() {
    let app = spawn_app().await;
    assert_eq!(app.get(&format!("/aterstall/{}", "a".repeat(64))).await.status, 404);
    assert_eq!(app.get("/aterstall/inte-en-token").await.status, 404);
    let response = app.submit("/glomt-losenord", "/glomt-losenord", &[("email", "inte en adress")]).await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("Ange en giltig e-postadress"));
}

#[actix_web::test]
async fn the_page_after_login_is_the_one_asked_for_but_never_another_site() {
    let app = spawn_app().await;
    let redirect = app.get("/organisationer").await;
    assert_eq!(redirect.location(), "/logga-in?next=%2Forganisationer");
    let login = app
        .submit("/logga-in?next=%2Forganisationer", "/logga-in", &[("email", BOTKYRKA), ("password", DEMO_PASSWORD), ("next", "/organisationer")])
        .await;
    assert_eq!(login.location(), "/organisationer");
    app.forget_cookies();
    let evil = app.submit("/logga-in", "/logga-in", &[("email", BOTKYRKA), ("password", DEMO_PASSWORD), ("next", "//evil.example")]).await;
    assert_eq!(evil.location(), "/");
}

/// The address the audit log recorded for the newest failed login.
fn failed_login_ip(app: &TestApp) -> Option<String> {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::audit_log;
    tvistetrappa::db_run!(app.db(), |c| audit_log::table
        .filter(audit_log::action.eq("login_failed"))
        .order(audit_log::at.desc())
        .select(audit_log::ip)
        .first::<Option<String>>(c))
    .unwrap()
}

#[actix_web::test]
async fn behind_a_trusted_proxy_the_forwarded_address_is_the_client() {
    let wrong =
        |token: String| vec![("csrf".to_owned(), token), ("email".to_owned(), BOTKYRKA.to_owned()), ("password".to_owned(), "fel".to_owned())];
    let forwarded = [("x-forwarded-for", "198.51.100.7, 203.0.113.5")];
    for (trusted, expected) in [(None, "127.0.0.1"), (Some("127.0.0.1".to_owned()), "203.0.113.5")] {
        let app = spawn_app_with(Options { trusted_proxies: trusted, ..Options::default() }).await;
        let token = app.get("/logga-in").await.csrf();
        let fields = wrong(token);
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(app.post_with_headers("/logga-in", &fields, &forwarded).await.status, 401, "a wrong password");
        assert_eq!(failed_login_ip(&app).as_deref(), Some(expected));
    }
}
