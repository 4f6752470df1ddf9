use crate::helpers::*;
use std::process::Command;
use tvistetrappa::domain::access::Role;
use tvistetrappa::store::users;

fn tvistetrappa(app: &TestApp, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_tvistetrappa"))
        .args(args)
        .env("DATABASE_URL", app.config.database.redacted())
        .env("DATA_DIR", &app.config.data_dir)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run the binary")
}

#[actix_web::test]
async fn users_are_managed_from_the_command_line() {
    let app = spawn_app().await;
    let added = tvistetrappa(&app, &["user", "add", "--email", "Ny.Chef@Solna.example", "--name", "Ny Chef", "--organisation", "0184", "--role", "local"]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let out = String::from_utf8_lossy(&added.stdout).into_owned();
    let password = out.split("password: ").nth(1).unwrap().trim().to_owned();
    assert_eq!(app.login("ny.chef@solna.example", &password).await.status, 303);

    let list = tvistetrappa(&app, &["user", "list"]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("ny.chef@solna.example"));

    assert!(tvistetrappa(&app, &["user", "set-role", "ny.chef@solna.example", "reviewer"]).status.success());
    let mut conn = app.db();
    assert_eq!(users::by_email(&mut conn, "ny.chef@solna.example").unwrap().unwrap().role, Role::Reviewer);
    drop(conn);

    assert!(tvistetrappa(&app, &["user", "disable", "ny.chef@solna.example"]).status.success());
    assert_eq!(app.get("/").await.status, 303, "disabling ends the session");
    assert_eq!(app.login("ny.chef@solna.example", &password).await.status, 401);
}

#[actix_web::test]
async fn bad_command_line_input_gets_a_clear_message_and_a_failing_exit() {
    let app = spawn_app().await;
    for (args, message) in [
        (vec!["user", "add", "--email", "x", "--name", "X", "--organisation", "0127", "--role", "local"], "--email"),
        (vec!["user", "add", "--email", "a@b.example", "--name", "X", "--organisation", "9999", "--role", "local"], "no organisation"),
        (vec!["user", "add", "--email", "a@b.example", "--name", "X", "--organisation", "0127", "--role", "kung"], "unknown role"),
        (vec!["user", "add", "--email", BOTKYRKA, "--name", "X", "--organisation", "0127", "--role", "local"], "already exists"),
        (vec!["user", "set-role", "ingen@x.example", "admin"], "no user"),
        (vec!["user", "disable", "ingen@x.example"], "no user"),
    ] {
        let output = tvistetrappa(&app, &args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{args:?}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_wrong_database_url_is_named_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    for (url, message) in [
        ("mysql://root:hemligt@localhost/db", "unknown scheme"),
        ("postgres://app:hemligt@127.0.0.1:1/tvist", "cannot open the database postgres://app:***@127.0.0.1:1/tvist"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_tvistetrappa"))
            .arg("migrate")
            .env("DATABASE_URL", url)
            .env("DATA_DIR", dir.path())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("hemligt"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}
