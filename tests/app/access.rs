use crate::helpers::*;
use tvistetrappa::store::users;

/// A case Huddinge's user files against Karolinska; its number.
pub async fn huddinge_case(app: &TestApp) -> String {
    app.login_as(HUDDINGE).await;
    app.file_case(
        "deviation",
        &[
            ("title", "Huddinges ärende"),
            ("filed_by_org", "kommun-0126"),
            ("counterpart", "enh-karolinska-huddinge-akutgeriatrik"),
            ("commitment_id", "process.ready-notice"),
            ("occurred_from", "2026-11-01"),
            ("description", "Erik Holm skriver."),
        ],
    )
    .await
}

/// Every route that takes an id, with an id of something that belongs to Huddinge.
async fn huddinge_routes(app: &TestApp) -> Vec<String> {
    let number = huddinge_case(app).await;
    assert_eq!(app.upload(&number, "huddinge.pdf", b"%PDF-1.4 Huddinge").await.status, 303);
    let page = app.get(&format!("/arenden/{number}")).await;
    let start = page.body.find(&format!("/arenden/{number}/bilagor/")).unwrap();
    let attachment = page.body[start..].split('"').next().unwrap().to_owned();
    let mut conn = app.db();
    let huddinge_user = users::by_email(&mut conn, HUDDINGE).unwrap().unwrap();
    vec![
        format!("/arenden/{number}"),
        format!("/arenden/{number}/atgard"),
        attachment,
        "/organisationer/kommun-0126".to_owned(),
        format!("/admin/anvandare/{}", huddinge_user.id),
        "/admin/enheter/enh-vc-flemingsberg".to_owned(),
    ]
}

#[actix_web::test]
async fn a_botkyrka_user_sees_nothing_of_huddinge() {
    let app = spawn_app().await;
    let routes = huddinge_routes(&app).await;
    app.login_as(BOTKYRKA).await;
    for route in &routes {
        let response = app.get(route).await;
        assert!(matches!(response.status, 403..=405), "{route}: {}", response.status);
        for secret in ["Huddinge", "erik.holm", "Erik Holm", "Flemingsberg"] {
            assert!(!response.body.contains(secret), "{route} shows {secret}");
        }
    }
    let list = app.get("/organisationer").await;
    assert!(list.body.contains("Botkyrka kommun"));
    assert!(!list.body.contains("Huddinge"));
    // Posting to Huddinge's things is refused too, and changes nothing.
    let token = app.csrf().await;
    for route in &routes[4..] {
        let response = app.post_raw(route, &[("csrf", &token), ("name", "Ändrad"), ("role", "admin"), ("organisation_id", "kommun-0127")]).await;
        assert_eq!(response.status, 403, "{route}");
    }
    let case_action = app.post_raw(&routes[1], &[("csrf", &token), ("version", "1"), ("action", "comment"), ("text", "Intrång")]).await;
    assert_eq!(case_action.status, 404);
    assert!(!case_action.body.contains("Huddinges ärende"));
    let mut conn = app.db();
    let huddinge = users::by_email(&mut conn, HUDDINGE).unwrap().unwrap();
    assert_eq!(huddinge.name, "Erik Holm");
    assert_eq!(huddinge.organisation_id, "kommun-0126");
}

#[actix_web::test]
async fn refused_access_is_logged() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    assert_eq!(app.get("/organisationer/kommun-0126").await.status, 404);
    assert_eq!(app.get("/admin/logg").await.status, 403);
    let number = app.file_case("deviation", &deviation("Botkyrka och Södersjukhuset", "Inte Huddinges ärende.")).await;
    // The case page reads in one snapshot and writes the refusal after it.
    app.login_as(HUDDINGE).await;
    assert_eq!(app.get(&format!("/arenden/{number}")).await.status, 404);
    app.login_as(ADMIN).await;
    let log = app.get("/admin/logg?handelse=access_denied").await;
    assert!(log.body.contains("kommun-0126"));
    assert!(log.body.contains("/admin/logg"));
    assert!(log.body.contains(BOTKYRKA));
    assert!(log.body.contains(&number) && log.body.contains(HUDDINGE), "{}", log.body);
}

#[actix_web::test]
async fn a_city_user_sees_its_districts_and_a_district_user_only_its_own() {
    let app = spawn_app().await;
    app.login_as("lena.sjoberg@stockholm.example").await;
    assert_eq!(app.get("/organisationer/sdo-bromma").await.status, 200);
    assert_eq!(app.get("/organisationer/sdo-sodermalm").await.status, 200);
    assert_eq!(app.get("/organisationer/kommun-0127").await.status, 404);
    app.login_as("omar.said@stockholm.example").await;
    assert_eq!(app.get("/organisationer/sdo-sodermalm").await.status, 200);
    assert_eq!(app.get("/organisationer/sdo-bromma").await.status, 404);
    assert_eq!(app.get("/organisationer/kommun-0180").await.status, 404);
}

/// Whether a user's organisation has units below it is read with the session, and kept only
/// as long as the session is: a unit placed below Botkyrka, even behind the server's back,
/// shows its cases to Botkyrka's user within moments, and stops showing them once it is
/// moved away again.
#[actix_web::test]
async fn a_unit_moved_below_an_organisation_shows_its_cases_to_its_users() {
    let app = spawn_app().await;
    let number = huddinge_case(&app).await;
    app.login_as(BOTKYRKA).await;
    let case_page = format!("/arenden/{number}");
    let shown = |body: &str| body.contains(&format!("href=\"{case_page}\""));
    assert_eq!(app.get(&case_page).await.status, 404);
    assert!(!shown(&app.get("/arenden").await.body));

    app.sql("UPDATE organisations SET parent_id = 'kommun-0127' WHERE id = 'kommun-0126'");
    app.wait_for_access_changes();
    assert_eq!(app.get(&case_page).await.status, 200);
    assert!(shown(&app.get("/arenden").await.body));
    assert!(app.get("/organisationer").await.body.contains("Huddinge"));

    app.sql("UPDATE organisations SET parent_id = NULL WHERE id = 'kommun-0126'");
    app.wait_for_access_changes();
    assert_eq!(app.get(&case_page).await.status, 404);
    assert!(!shown(&app.get("/arenden").await.body));
    assert!(!app.get("/organisationer").await.body.contains("Huddinge"));
}

#[actix_web::test]
async fn county_roles_see_every_organisation() {
    let app = spawn_app().await;
    for email in ["lars.ek@storsthlm.example", "maria.sund@hsf.example", "johan.lund@styrgruppen.example", "karin.wall@vis.example"] {
        app.login_as(email).await;
        let page = app.get("/organisationer/kommun-0126").await;
        assert_eq!(page.status, 200, "{email}");
        assert!(page.body.contains("erik.holm@huddinge.example"));
    }
}

#[actix_web::test]
async fn anonymous_visitors_are_sent_to_the_login_page_from_everywhere_but_public_pages() {
    let app = spawn_app().await;
    for path in ["/", "/organisationer", "/organisationer/kommun-0126", "/admin/anvandare", "/admin/logg", "/konto/losenord", "/finns-inte"] {
        let response = app.get(path).await;
        assert_eq!(response.status, 303, "{path}");
        assert!(response.location().starts_with("/logga-in?next="), "{path}");
    }
    for path in ["/logga-in", "/glomt-losenord", "/static/app.css", "/healthz"] {
        assert_eq!(app.get(path).await.status, 200, "{path}");
    }
}
