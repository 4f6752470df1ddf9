//! The ASVS level 2 review (issue 10): each test here failed before its fix.

use crate::helpers::*;
use diesel::prelude::*;
use std::process::Command;
use tvistetrappa::db::schema::{audit_log, login_attempts, outbox};
use tvistetrappa::db_run;
use tvistetrappa::store::{audit, users};

fn audited(app: &TestApp, action: &str) -> Vec<audit::Entry> {
    let mut conn = app.db();
    audit::page(&mut conn, Some(action), 0, 1000).unwrap()
}

// ------------------------------------------------------------ 3: demo accounts

fn binary(database_url: &str, data_dir: &std::path::Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tvistetrappa"));
    command.args(args).env("DATABASE_URL", database_url).env("DATA_DIR", data_dir).env("RUST_LOG", "warn");
    command
}

#[actix_web::test]
async fn serve_refuses_a_public_address_while_a_demo_password_is_left() {
    let app = spawn_app().await;
    let url = app.config.database.redacted();
    let output = binary(&url, &app.config.data_dir, &["serve", "--bind", "0.0.0.0:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("demo password") && stderr.contains(BOTKYRKA) && stderr.contains("user set-password"), "{stderr}");

    let mut set = binary(&url, &app.config.data_dir, &["user", "set-password", BOTKYRKA, "--password-stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    set.stdin.take().unwrap().write_all(b"ett nytt hemligt losenord\n").unwrap();
    assert!(set.wait().unwrap().success());
    assert_eq!(app.login(BOTKYRKA, DEMO_PASSWORD).await.status, 401);
    assert_eq!(app.login(BOTKYRKA, "ett nytt hemligt losenord").await.status, 303);
    let output = binary(&url, &app.config.data_dir, &["serve", "--bind", "0.0.0.0:0"]).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains(BOTKYRKA) && stderr.contains(ADMIN), "Anna is no longer named: {stderr}");
}

#[test]
fn an_empty_database_served_beyond_loopback_gets_no_demo_data() {
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|u| !u.is_empty()) {
        // Demo data is never loaded into PostgreSQL by itself; this is about the embedded start.
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("fresh.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut child = binary(&url, dir.path(), &["serve", "--bind", &format!("0.0.0.0:{port}")])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < std::time::Duration::from_secs(30), "serve did not start");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let mut conn = tvistetrappa::db::DbUrl::parse(&url).unwrap().connect().unwrap();
    assert_eq!(users::count(&mut conn).unwrap(), 0, "no demo accounts with a published password on a public address");
}

// ------------------------------------------------------------ 4: bounded work

#[actix_web::test]
async fn report_periods_outside_the_bounds_are_refused() {
    let app = spawn_app().await;
    app.login_as("lars.ek@storsthlm.example").await;
    for path in [
        "/rapporter/arenden?fran=1900-01-01&till=2026-12-31",
        "/rapporter/arenden?fran=2019-01-01&till=2029-01-01",
        "/rapporter/arenden?fran=2026-01-01&till=9999-12-31",
        "/rapporter/arenden.xlsx?fran=0001-01-01&till=9999-12-31",
        "/rapporter/betalning?fran=2019-01&till=2100-12",
        "/rapporter/betalning.xlsx?fran=1000-01&till=2026-12",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status, 400, "{path}");
    }
    let page = app.get("/rapporter/arenden?fran=2010-01-01&till=2026-12-31").await;
    assert!(page.body.contains("mellan år 2019 och 2100"), "the message stands by the field");
    assert_eq!(app.get("/rapporter/arenden?fran=2019-01-01&till=2028-12-31").await.status, 200, "ten years is allowed");
}

// ------------------------------------------------------------ 5: spreadsheet formulas

#[actix_web::test]
async fn csv_downloads_neutralise_formulas() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let mut fields = deviation("=HYPERLINK(\"http://evil.example\",\"Klicka\")", "Beskrivning");
    fields.push(("principled", "1"));
    app.file_case("deviation", &fields).await;
    app.login_as("lars.ek@storsthlm.example").await;
    let csv = String::from_utf8(app.get_bytes("/rapporter/arenden.csv?tabell=strukturella").await).unwrap();
    assert!(csv.contains("'=HYPERLINK("), "{csv}");
    assert!(!csv.contains(";=HYPERLINK") && !csv.contains(";\"=HYPERLINK"), "{csv}");
    // The workbook keeps the title as a string cell, not a formula.
    let bytes = app.get_bytes("/rapporter/arenden.xlsx").await;
    use calamine::Reader;
    let mut workbook: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let names = workbook.sheet_names().to_vec();
    let mut found = false;
    for name in names {
        let formulas = workbook.worksheet_formula(&name).unwrap();
        assert!(formulas.used_cells().all(|(_, _, f)| f.is_empty()), "no formula in {name}");
        let range = workbook.worksheet_range(&name).unwrap();
        found |= range.used_cells().any(|(_, _, v)| v.to_string().starts_with("=HYPERLINK"));
    }
    assert!(found, "the title is kept as text");
}

// ------------------------------------------------------------ 6: redirects stay home

#[actix_web::test]
async fn after_login_only_a_local_path_is_followed() {
    let app = spawn_app().await;
    for (next, expected) in [
        ("/arenden", "/arenden"),
        ("//evil.example", "/"),
        ("/%2F%2Fevil.example", "/"),
        ("/%5Cevil.example", "/"),
        ("/%252F%252Fevil.example", "/"),
        ("https://evil.example/", "/"),
        ("/%0d%0aSet-Cookie:%20x=1", "/"),
    ] {
        app.forget_cookies();
        let response = app.submit("/logga-in", "/logga-in", &[("email", BOTKYRKA), ("password", DEMO_PASSWORD), ("next", next)]).await;
        assert_eq!(response.status, 303);
        assert_eq!(response.location(), expected, "next={next}");
    }
}

// ------------------------------------------------------------ 7: second factor

#[actix_web::test]
async fn an_administrator_needs_a_second_factor_and_it_holds() {
    let app = spawn_app().await;
    let mut conn = app.db();
    let password =
        tvistetrappa::cli::add_user(&mut conn, "ny.admin@region.example", "Ny Admin", "region", "admin", Some("ett langt losenord 1".into()), true)
            .unwrap();
    drop(conn);
    let email = "ny.admin@region.example";
    assert_eq!(app.login(email, &password).await.status, 303);
    let refused = app.get("/admin/anvandare").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("tvåstegsverifiering"));

    let enrol = app.get("/konto/tvastegsverifiering").await;
    assert_eq!(enrol.status, 200);
    assert!(enrol.body.contains("<svg"), "a QR code drawn on the server");
    let wrong = app.submit("/konto/tvastegsverifiering", "/konto/tvastegsverifiering", &[("action", "enable"), ("code", "000000")]).await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("aria-describedby=\"code-fel\""));
    let code = app.next_totp_code(email);
    let enabled = app.submit("/konto/tvastegsverifiering", "/konto/tvastegsverifiering", &[("action", "enable"), ("code", &code)]).await;
    assert_eq!(enabled.status, 200, "{}", enabled.body);
    let recovery: Vec<String> = enabled.body.split("<code>").skip(1).map(|s| s.split("</code>").next().unwrap().to_owned()).collect();
    assert_eq!(recovery.len(), 10, "{}", enabled.body);
    assert_eq!(app.get("/admin/anvandare").await.status, 200, "an enrolled administrator administers");
    let removal = app.submit("/konto/tvastegsverifiering", "/konto/tvastegsverifiering", &[("action", "remove"), ("code", "123456")]).await;
    assert_eq!(removal.status, 403, "an administrator cannot turn it off");

    // Signing in now takes a code after the password.
    app.forget_cookies();
    let first = app.login(email, &password).await;
    assert_eq!(first.status, 303);
    assert!(first.location().starts_with("/logga-in/kod"), "{}", first.location());
    assert!(app.cookie("tvs_session").is_none(), "no session before the code");
    assert_eq!(app.get("/").await.status, 303);
    let bad = app.submit(&first.location(), "/logga-in/kod", &[("code", "000000")]).await;
    assert_eq!(bad.status, 401);
    assert!(app.cookie("tvs_session").is_none());
    let used = recovery[0].clone();
    let good = app.submit(&first.location(), "/logga-in/kod", &[("code", &used.to_uppercase()), ("next", "/admin/logg")]).await;
    assert_eq!(good.status, 303, "{}", good.body);
    assert_eq!(good.location(), "/admin/logg");
    assert_eq!(app.get("/admin/logg").await.status, 200);

    // A recovery code works once; an app code works once per time step.
    app.forget_cookies();
    let again = app.login(email, &password).await;
    assert_eq!(app.submit(&again.location(), "/logga-in/kod", &[("code", &used)]).await.status, 401);
    let code = app.next_totp_code(email);
    assert_eq!(app.submit(&again.location(), "/logga-in/kod", &[("code", &code)]).await.status, 303);
    app.forget_cookies();
    let replay = app.login(email, &password).await;
    assert_eq!(app.submit(&replay.location(), "/logga-in/kod", &[("code", &code)]).await.status, 401, "a replayed code");
    // Wrong codes are throttled like passwords: the replay above and four more make five.
    for _ in 0..4 {
        assert_eq!(app.submit(&replay.location(), "/logga-in/kod", &[("code", "000000")]).await.status, 401);
    }
    let code = app.next_totp_code(email);
    assert_eq!(app.submit(&replay.location(), "/logga-in/kod", &[("code", &code)]).await.status, 429, "throttled even with the right code");
    assert!(audited(&app, "second_factor_enabled").iter().any(|e| e.actor_email.as_deref() == Some(email)));
}

// ------------------------------------------------------------ 8: throttling under a burst

#[actix_web::test]
async fn a_burst_of_wrong_passwords_gets_at_most_five_checked() {
    let app = spawn_app().await;
    let form = app.get("/logga-in").await;
    let token = form.csrf();
    let app = &app;
    let attempts = (0..20).map(|i| {
        let password = format!("fel losenord {i}");
        let token = token.clone();
        async move { app.post_raw("/logga-in", &[("csrf", &token), ("email", HUDDINGE), ("password", &password), ("next", "/")]).await.status }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    assert!(checked <= 5, "{checked} passwords were checked: {statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 20 - checked);
    let mut conn = app.db();
    let rows: i64 = db_run!(conn, |c| login_attempts::table.filter(login_attempts::email.eq(HUDDINGE)).count().get_result(c)).unwrap();
    assert!(rows <= 5, "{rows} attempts counted");
    drop(conn);
    assert_eq!(app.login(HUDDINGE, DEMO_PASSWORD).await.status, 429, "the right password waits too");
}

// ------------------------------------------------------------ 9: personnummer

#[actix_web::test]
async fn identity_numbers_are_refused_however_they_are_written_and_wherever() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    for written in ["８１１２１８－９８７６", "811218 – 9876", "81 12 18 9876", "1981.12.18-9876"] {
        let description = format!("Patienten {written} fick vänta");
        let page = app.get("/arenden/nytt?typ=deviation").await;
        let mut fields = vec![("csrf", page.csrf()), ("kind", "deviation".to_owned())];
        for (k, v) in deviation("Rubrik", &description) {
            fields.push((k, v.to_owned()));
        }
        let borrowed: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = app.post_raw("/arenden/nytt", &borrowed).await;
        assert_eq!(response.status, 422, "{written}");
        assert!(response.body.contains("personnummer"), "{written}");
    }
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning utan nummer")).await;
    let comment = app.act(&number, "comment", &[("text", "Se 19811218 9876")]).await;
    assert_eq!(comment.status, 422, "{}", comment.body);
    let text_file = app.upload(&number, "lista.txt", "namn;pnr\nAnna;811218-9876\n".as_bytes()).await;
    assert_eq!(text_file.status, 422);
    assert!(text_file.body.contains("personnummer"));
    assert_eq!(app.upload(&number, "lista.txt", "Inget nummer här, bara 2026-11-30.".as_bytes()).await.status, 303);

    app.login_as(ADMIN).await;
    let page = app.get("/admin/anvandare/ny").await;
    let response = app
        .post_raw(
            "/admin/anvandare/ny",
            &[
                ("csrf", &page.csrf()),
                ("email", "ny@botkyrka.example"),
                ("name", "Ny 811218-9876"),
                ("organisation_id", "kommun-0127"),
                ("role", "local"),
            ],
        )
        .await;
    assert_eq!(response.status, 422);
    assert!(response.body.contains("personnummer"));
}

// ------------------------------------------------------------ 10: secrets at rest

#[actix_web::test]
async fn a_delivered_reset_link_is_not_kept_in_the_outbox() {
    let app = spawn_app().await;
    assert_eq!(app.submit("/glomt-losenord", "/glomt-losenord", &[("email", BOTKYRKA)]).await.status, 200);
    app.wait_for_outbox();
    let link = app.link_in_mail(BOTKYRKA, "/aterstall/");
    let token = link.trim_start_matches("/aterstall/");
    let mut conn = app.db();
    let bodies: Vec<(String, String)> =
        db_run!(conn, |c| outbox::table.filter(outbox::kind.eq("account")).select((outbox::text_body, outbox::html_body)).load(c)).unwrap();
    assert_eq!(bodies.len(), 1);
    for (text, html) in bodies {
        assert!(!text.contains(token) && !html.contains(token), "the link stays in the outbox");
    }
}

// ------------------------------------------------------------ 11: the audit log

#[actix_web::test]
async fn the_audit_log_is_append_only_on_both_databases() {
    let app = spawn_app().await;
    assert_eq!(app.login(BOTKYRKA, "fel").await.status, 401);
    let mut conn = app.db();
    assert!(db_run!(conn, |c| diesel::update(audit_log::table).set(audit_log::detail.eq("ändrad")).execute(c)).is_err());
    assert!(db_run!(conn, |c| diesel::delete(audit_log::table).execute(c)).is_err());
}

#[actix_web::test]
async fn a_refused_case_action_is_logged_though_its_transaction_rolls_back() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    // Only the counterpart answers; the filer is refused inside the action's transaction.
    let refused = app.act(&number, "answer", &[("text", "Svar")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    let denied = audited(&app, "access_denied");
    assert!(denied.iter().any(|e| e.target.as_deref() == Some(&format!("POST /arenden/{number}/atgard")[..])), "{denied:#?}");
}

#[actix_web::test]
async fn anonymous_posts_cannot_grow_the_log_without_bound() {
    let app = spawn_app().await;
    for _ in 0..(audit::BOUNDED_PER_WINDOW + 20) {
        assert_eq!(app.post_raw("/logga-in", &[("email", "x@y.example"), ("password", "z")]).await.status, 403);
    }
    let rows = audited(&app, "csrf_rejected");
    assert_eq!(rows.len() as i64, audit::BOUNDED_PER_WINDOW);
    assert!(rows[0].detail.contains("not logged"), "the last row says the rest are not: {}", rows[0].detail);
}

#[actix_web::test]
async fn downloads_of_attachments_and_reports_are_logged() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    assert_eq!(app.upload(&number, "underlag.pdf", b"%PDF-1.4 underlag").await.status, 303);
    let page = app.get(&format!("/arenden/{number}")).await;
    let start = page.body.find(&format!("/arenden/{number}/bilagor/")).unwrap();
    let attachment = page.body[start..].split('"').next().unwrap().to_owned();
    app.get_bytes(&attachment).await;
    app.get_bytes("/rapporter/arenden.xlsx").await;
    let downloads = audited(&app, "download");
    assert!(downloads.iter().any(|e| e.target.as_deref() == Some(&format!("GET {attachment}")[..])), "{downloads:#?}");
    assert!(downloads.iter().any(|e| e.target.as_deref().is_some_and(|t| t.starts_with("GET /rapporter/arenden.xlsx"))));
    assert!(downloads.iter().all(|e| e.actor_email.as_deref() == Some(BOTKYRKA)));
}

// ------------------------------------------------------------ 12: headers

#[actix_web::test]
async fn signed_in_pages_are_not_stored_and_https_gets_hsts_and_host_cookies() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    for path in ["/", "/arenden", "/rapporter/arenden"] {
        let response = app.get(path).await;
        assert_eq!(response.headers.get("cache-control").unwrap(), "no-store", "{path}");
    }
    assert!(app.get("/").await.headers.get("strict-transport-security").is_none(), "no HSTS over plain http");

    let secure = spawn_app_with(Options { base_url: Some("https://tvist.example".into()), ..Options::default() }).await;
    let login = secure.get("/logga-in").await;
    assert!(login.headers.get("strict-transport-security").unwrap().to_str().unwrap().starts_with("max-age="));
    let cookie = login.headers.get("set-cookie").unwrap().to_str().unwrap().to_owned();
    assert!(cookie.starts_with("__Host-tvs_anon=") && cookie.contains("Secure") && cookie.contains("Path=/"), "{cookie}");
    let signed_in = secure.submit("/logga-in", "/logga-in", &[("email", BOTKYRKA), ("password", DEMO_PASSWORD)]).await;
    let session = signed_in.headers.get_all("set-cookie").map(|v| v.to_str().unwrap().to_owned()).find(|c| c.contains("tvs_session")).unwrap();
    assert!(session.starts_with("__Host-tvs_session=") && session.contains("Secure"), "{session}");
    assert_eq!(secure.get("/").await.status, 200, "the prefixed cookie signs in");
}

// ------------------------------------------------------------ 13: smaller holes

#[actix_web::test]
async fn a_nul_is_refused_whatever_carries_the_token() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let token = app.csrf().await;
    let response = app.post_with_headers("/konto/aviseringar", &[("x", "a\0b")], &[("x-csrf-token", &token)]).await;
    assert_eq!(response.status, 400);
}

#[actix_web::test]
async fn a_repeated_counterpart_is_a_field_error() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let page = app.get("/arenden/nytt?typ=deviation").await;
    let token = page.csrf();
    let response = app
        .post_raw(
            "/arenden/nytt",
            &[
                ("csrf", &token),
                ("kind", "deviation"),
                ("title", "Rubrik"),
                ("filed_by_org", "kommun-0127"),
                ("counterpart", "enh-sos-medicin-52"),
                ("counterpart", "hsf"),
                ("counterpart", "enh-sos-medicin-52"),
                ("commitment_id", "process.sip-called"),
                ("occurred_from", "2026-11-02"),
                ("description", "Beskrivning"),
            ],
        )
        .await;
    assert_eq!(response.status, 422, "{}", response.body);
    assert!(response.body.contains("bara en gång"));
}

#[actix_web::test]
async fn an_attachment_to_a_case_out_of_sight_is_refused_and_a_failed_import_leaves_no_file() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Botkyrkas ärende", "Beskrivning")).await;
    app.login_as(HUDDINGE).await;
    let page = app.get("/").await;
    let response = app.post_file(&page, &format!("/arenden/{number}/bilagor"), &[("version", "1")], "x.pdf", b"%PDF-1.4 x").await;
    assert_eq!(response.status, 404);

    app.login_as("maria.sund@hsf.example").await;
    let imports = app.get("/betalning/importer").await;
    let refused = app.post_file(&imports, "/betalning/importer", &[], "fel.csv", b"episode_id,bad\n1,2\n").await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    let uploads = app.config.data_dir.join("uploads");
    let left: Vec<_> = std::fs::read_dir(&uploads).map(|d| d.flatten().collect()).unwrap_or_default();
    assert!(left.is_empty(), "{left:?}");
}
