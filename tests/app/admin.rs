use crate::helpers::*;
use tvistetrappa::demo::DEMO_USERS;
use tvistetrappa::domain::access::Role;
use tvistetrappa::store::users;

const ADMIN_PAGES: [&str; 7] =
    ["/admin/anvandare", "/admin/anvandare/ny", "/admin/enheter", "/admin/enheter/ny", "/admin/logg", "/admin/frister", "/admin/betalning"];

#[actix_web::test]
async fn admin_pages_refuse_everyone_else() {
    let app = spawn_app().await;
    let target = {
        let mut conn = app.db();
        users::by_email(&mut conn, BOTKYRKA).unwrap().unwrap().id
    };
    for user in DEMO_USERS.iter().filter(|u| u.role != Role::Admin) {
        app.login_as(user.email).await;
        for page in ADMIN_PAGES.iter().map(|p| p.to_string()).chain([format!("/admin/anvandare/{target}"), "/admin/enheter/vg-sos".into()]) {
            let response = app.get(&page).await;
            assert_eq!(response.status, 403, "{} {page}", user.email);
            assert!(response.body.contains("Åtkomst nekad"));
        }
        let created = app
            .post("/admin/anvandare/ny", &[("email", "ny@botkyrka.example"), ("name", "Ny"), ("organisation_id", "kommun-0127"), ("role", "admin")])
            .await;
        assert_eq!(created.status, 403, "{}", user.email);
        let promoted = app
            .post(
                &format!("/admin/anvandare/{target}"),
                &[("name", "Anna Berg"), ("organisation_id", "kommun-0127"), ("role", "admin"), ("active", "on")],
            )
            .await;
        assert_eq!(promoted.status, 403);
    }
    let mut conn = app.db();
    assert!(users::by_email(&mut conn, "ny@botkyrka.example").unwrap().is_none());
    assert_eq!(users::by_email(&mut conn, BOTKYRKA).unwrap().unwrap().role, Role::Local);
    drop(conn);
    app.login_as(ADMIN).await;
    for page in ADMIN_PAGES {
        assert_eq!(app.get(page).await.status, 200, "{page}");
    }
}

#[actix_web::test]
async fn an_admin_creates_a_user_who_sets_a_password_from_the_welcome_mail() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let response = app
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[("email", "Karl.Nord@Nacka.example"), ("name", "Karl Nord"), ("organisation_id", "kommun-0182"), ("role", "local")],
        )
        .await;
    assert_eq!(response.status, 303, "{}", response.body);
    let list = app.get("/admin/anvandare?klart=anvandare").await;
    assert!(list.body.contains("karl.nord@nacka.example"));
    assert!(list.body.contains("Användaren är sparad."));
    let link = app.link_in_mail("karl.nord@nacka.example", "/aterstall/");
    app.forget_cookies();
    // No password works before one is chosen.
    assert_eq!(app.login("karl.nord@nacka.example", "").await.status, 401);
    let set = app.submit(&link, &link, &[("password", "karls eget losenord"), ("repeat", "karls eget losenord")]).await;
    assert_eq!(set.status, 303);
    assert_eq!(app.login("karl.nord@nacka.example", "karls eget losenord").await.status, 303);
    assert!(app.get("/").await.body.contains("Nacka kommun"));
}

#[actix_web::test]
async fn bad_user_input_is_shown_next_to_the_fields_and_nothing_is_written() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let long_name = "x".repeat(201);
    let response = app
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[("email", "inte-en-adress"), ("name", &long_name), ("organisation_id", "finns-inte"), ("role", "kung")],
        )
        .await;
    assert_eq!(response.status, 422);
    for message in ["Ange en giltig e-postadress", "Texten är för lång.", "Välj en organisation i listan.", "Välj en roll i listan."] {
        assert!(response.body.contains(message), "{message}");
    }
    assert!(response.body.contains("aria-invalid=\"true\""));
    let duplicate = app
        .submit(
            "/admin/anvandare/ny",
            "/admin/anvandare/ny",
            &[("email", BOTKYRKA), ("name", "Dubblett"), ("organisation_id", "kommun-0127"), ("role", "local")],
        )
        .await;
    assert!(duplicate.body.contains("Det finns redan en användare"));
    let huge = "y".repeat(2 * 1024 * 1024);
    let too_large = app.post("/admin/anvandare/ny", &[("name", &huge)]).await;
    assert_eq!(too_large.status, 413);
    let mut conn = app.db();
    assert_eq!(users::count(&mut conn).unwrap(), DEMO_USERS.len() as i64);
}

#[actix_web::test]
async fn disabling_a_user_ends_their_sessions_and_blocks_login() {
    let app = spawn_app().await;
    app.login_as(HUDDINGE).await;
    let huddinge_session = app.cookie("tvs_session").unwrap();
    let id = {
        let mut conn = app.db();
        users::by_email(&mut conn, HUDDINGE).unwrap().unwrap().id
    };
    app.login_as(ADMIN).await;
    let page = format!("/admin/anvandare/{id}");
    let response = app.submit(&page, &page, &[("name", "Erik Holm"), ("organisation_id", "kommun-0126"), ("role", "local")]).await;
    assert_eq!(response.status, 303, "{}", response.body);
    app.forget_cookies();
    app.set_cookie("tvs_session", &huddinge_session);
    assert_eq!(app.get("/").await.status, 303);
    app.forget_cookies();
    assert_eq!(app.login(HUDDINGE, DEMO_PASSWORD).await.status, 401);
}

#[actix_web::test]
async fn an_admin_cannot_lock_themselves_out() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let id = {
        let mut conn = app.db();
        users::by_email(&mut conn, ADMIN).unwrap().unwrap().id
    };
    let page = format!("/admin/anvandare/{id}");
    let response = app.submit(&page, &page, &[("name", "Alex Admin"), ("organisation_id", "region"), ("role", "local"), ("active", "on")]).await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("Du kan inte ta bort din egen administratörsbehörighet"));
    assert_eq!(app.get("/admin/anvandare").await.status, 200);
}

#[actix_web::test]
async fn an_admin_adds_and_edits_care_units() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    // The case list's filter offers the organisations as read a moment ago; this server's own
    // changes show at once.
    let filter = |body: &str| body.split("<select id=\"org\"").nth(1).unwrap().split("</select>").next().unwrap().to_owned();
    assert!(!filter(&app.get("/arenden").await.body).contains("avdelning 63"));
    // Its name holds a character that HTML escapes: the filter's names are escaped once, when read.
    let created = app
        .submit(
            "/admin/enheter/ny",
            "/admin/enheter/ny",
            &[("kind", "inpatient_unit"), ("name", "Södersjukhuset, avdelning 63 & 64"), ("parent_id", "vg-sos"), ("active", "on")],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let list = app.get("/admin/enheter").await;
    assert!(list.body.contains("Södersjukhuset, avdelning 63 &#38; 64"));
    let offered = filter(&app.get("/arenden").await.body);
    assert!(offered.contains(">Södersjukhuset, avdelning 63 &#38; 64</option>") && offered.contains("value=\"vg-sos\""), "{offered}");
    let refused = app.submit("/admin/enheter/ny", "/admin/enheter/ny", &[("kind", "municipality"), ("name", ""), ("parent_id", "vis")]).await;
    assert_eq!(refused.status, 422);
    for message in ["Ange enhetens namn.", "Välj en typ i listan.", "Välj vilken organisation enheten hör till."] {
        assert!(refused.body.contains(message), "{message}");
    }
    let edited = app
        .submit(
            "/admin/enheter/vg-sos",
            "/admin/enheter/vg-sos",
            &[("kind", "care_provider"), ("name", "Södersjukhuset AB (SÖS)"), ("parent_id", "region")],
        )
        .await;
    assert_eq!(edited.status, 303);
    let page = app.get("/organisationer/vg-sos").await;
    assert!(page.body.contains("Södersjukhuset AB (SÖS)"));
    assert!(!filter(&app.get("/arenden").await.body).contains("value=\"vg-sos\""), "made inactive: no longer a party to choose");
    assert!(page.body.contains("Inaktiv"));
    // Parties of the agreement are not editable here.
    assert_eq!(app.get("/admin/enheter/kommun-0127").await.status, 404);
    let log = app.get("/admin/logg").await;
    assert!(log.body.contains("Enhet skapad"));
    assert!(log.body.contains("Enhet ändrad"));
}
