use crate::helpers::*;

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    for path in ["/logga-in", "/finns-inte", "/static/app.css"] {
        let response = app.get(path).await;
        let csp = response.headers.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert_eq!(response.headers.get("x-content-type-options").unwrap(), "nosniff");
        assert_eq!(response.headers.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(response.headers.get("referrer-policy").unwrap(), "same-origin");
    }
}

#[actix_web::test]
async fn error_pages_are_swedish_and_inside_the_layout() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let missing = app.get("/finns-inte").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.contains("<html lang=\"sv\">"));
    assert!(missing.body.contains("Sidan finns inte"));
    assert!(missing.body.contains("Hoppa till innehållet"));
    let forbidden = app.get("/admin/anvandare").await;
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.body.contains("Åtkomst nekad"));
    let bad_token = app.post_raw("/logga-ut", &[("csrf", "x")]).await;
    assert!(bad_token.body.contains("Begäran avvisades"));
}

#[actix_web::test]
async fn pages_are_accessible_in_structure() {
    let app = spawn_app().await;
    let login = app.get("/logga-in").await;
    assert!(login.body.contains("<label for=\"email\">"));
    assert!(login.body.contains("<label for=\"password\">"));
    assert!(!login.body.contains("<script"));
    app.login_as(ADMIN).await;
    for path in [
        "/",
        "/organisationer",
        "/admin/anvandare",
        "/admin/enheter",
        "/admin/logg",
        "/admin/utkorg",
        "/konto/losenord",
        "/konto/aviseringar",
        "/rapporter/arenden",
        "/rapporter/betalning",
    ] {
        let page = app.get(path).await;
        assert_eq!(page.status, 200, "{path}");
        assert_eq!(page.body.matches("<h1>").count(), 1, "{path}: one main heading");
        assert!(page.body.contains("href=\"#innehall\""), "{path}: skip link");
        assert!(page.body.contains("<main id=\"innehall\""), "{path}");
        assert!(!page.body.contains("style=\""), "{path}: no inline style under the CSP");
    }
}

#[actix_web::test]
async fn a_start_page_per_role_says_what_awaits_the_user() {
    let app = spawn_app().await;
    for (email, text) in [
        (BOTKYRKA, "Väntar på dig"),
        ("maria.sund@hsf.example", "Väntar på gemensam bedömning"),
        ("johan.lund@styrgruppen.example", "Väntar på styrgruppen"),
        ("karin.wall@vis.example", "Väntar på VIS"),
        (ADMIN, "Misslyckade inloggningar senaste dygnet"),
    ] {
        app.login_as(email).await;
        assert!(app.get("/").await.body.contains(text), "{email}");
    }
}

#[actix_web::test]
async fn malformed_requests_get_a_message_not_a_crash() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let bad_query = app.get("/admin/logg?sida=inte-ett-tal").await;
    assert_eq!(bad_query.status, 400);
    assert!(bad_query.body.contains("Uppgifterna kunde inte läsas"));
    let long_path = format!("/organisationer/{}", "x".repeat(5000));
    assert_eq!(app.get(&long_path).await.status, 404);
    let nul = app.get("/organisationer/%00%FF").await;
    assert_eq!(nul.status, 400);
    assert!(nul.body.contains("otillåtet tecken"));
    let nul_in_form = app.post("/admin/enheter/ny", &[("kind", "inpatient_unit"), ("name", "a\0b"), ("parent_id", "region")]).await;
    assert_eq!(nul_in_form.status, 400);
    app.forget_cookies();
    let nul_login = app.login("a\0@botkyrka.example", "x").await;
    assert_eq!(nul_login.status, 400);
}
