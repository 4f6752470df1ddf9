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
    let added =
        tvistetrappa(&app, &["user", "add", "--email", "Ny.Chef@Solna.example", "--name", "Ny Chef", "--organisation", "0184", "--role", "local"]);
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
        let output =
            Command::new(env!("CARGO_BIN_EXE_tvistetrappa")).arg("migrate").env("DATABASE_URL", url).env("DATA_DIR", dir.path()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success());
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("hemligt"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

fn calc(args: &[&str], file: &str) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("episodes.csv");
    std::fs::write(&path, file).unwrap();
    Command::new(env!("CARGO_BIN_EXE_tvistetrappa"))
        .arg("calc")
        .arg("--episodes")
        .arg(&path)
        .args(args)
        .env("DATABASE_URL", "oracle://never-opened")
        .output()
        .unwrap()
}

const EPISODES: &str = "\
episode_id,municipality_code,district,placement_municipality_code,care_type,care_provider,admission_notice_at,ready_notice_at,discharged_at,needs_sip,sip_called_at
a1,0127,,,somatic,,2022-03-01 08:00,2022-03-10 11:59,2022-03-15 10:00,ja,2022-03-13 10:00
a2,0127,,,somatic,,2022-03-01 08:00,2022-03-10 12:00:01,2022-03-12 10:00,,
a3,0127,,,somatic,,2022-03-01 08:00,2022-03-10 09:00,2022-03-10 18:00,,
a4,0127,,,somatic,,2022-03-01 08:00,2022-03-10 09:00,2022-03-20 10:00,yes,2022-03-14 10:00
s1,0180,Södermalm,,somatic,,2022-03-01 08:00,2022-03-10 09:00,2022-03-13 10:00,,
p1,0126,,0127,psykiatri,SLSO,2022-03-01 08:00,2022-03-10 09:00,2022-03-11 10:00,,
";

#[test]
fn calc_prints_the_month_as_the_brief_specifies() {
    let output = calc(&["--month", "2022-03", "--format", "json"], EPISODES);
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    // Botkyrka (0127), also paying for p1 placed from Huddinge: a1 D=5, a2 D=1, a3 D=0,
    // p1 D=1 (psychiatric after 2021-07-01 joins the average); a4 excluded (SIP after 4 days).
    // A = 7/4 = 1.75; k = 3; B = 0.45 × 3 = 1.35; amount = 1.35 × 9 300 = 12 555.
    assert_eq!(json["month"], "2022-03");
    let units = json["units"].as_array().unwrap();
    assert_eq!(units.len(), 2);
    assert_eq!(
        units[0],
        serde_json::json!({"municipality_code": "0127", "district": null, "model": "average", "care_provider": null,
            "episodes_total": 5, "episodes_included": 4, "total_days": 7, "episodes_with_days": 3, "daily_rate_sek": 9300,
            "average_days": "1.75", "threshold_days": "1.30", "billable_days": "1.35", "amount_sek": 12555})
    );
    // Stockholm, Södermalm: D = 3 → A = 3.00; B = 1.70; amount = 15 810.
    assert_eq!((units[1]["municipality_code"].as_str(), units[1]["district"].as_str()), (Some("0180"), Some("Södermalm")));
    assert_eq!((units[1]["billable_days"].as_str(), units[1]["amount_sek"].as_i64()), (Some("1.70"), Some(15810)));
    let table = calc(&["--month", "2022-03", "--format", "table"], EPISODES);
    assert!(String::from_utf8_lossy(&table.stdout).contains("Summa: 28365 kr"));
}

#[test]
fn calc_refuses_bad_files_and_missing_rules_with_a_clear_message() {
    let broken = format!("{EPISODES}b1,0999,,,somatic,,,,2022-03-15 10:00,,\nb2,0127,,,ortopedi,,,,2022-03-32 10:00,,\n");
    let output = calc(&["--month", "2022-03"], &broken);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(stderr.contains("line 8, column municipality_code"), "{stderr}");
    assert!(stderr.contains("line 9, column care_type"), "{stderr}");
    assert!(stderr.contains("line 9, column discharged_at"), "{stderr}");
    assert!(output.stdout.is_empty());

    let unknown = calc(&["--month", "2022-03"], "episode_id,kommun\n");
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("line 1, column kommun: unknown column"));

    let no_rate = calc(&["--month", "2021-12"], "episode_id,municipality_code,care_type,discharged_at\nx,0127,somatic,2021-12-01 10:00\n");
    assert!(!no_rate.status.success());
    assert!(String::from_utf8_lossy(&no_rate.stderr).contains("no daily amount for 2021"));
    let with_rate = calc(
        &["--month", "2021-12", "--rate", "2021=8500"],
        "episode_id,municipality_code,care_type,discharged_at\nx,0127,somatic,2021-12-01 10:00\n",
    );
    assert!(with_rate.status.success());

    let too_early = calc(&["--month", "2019-12"], "episode_id,municipality_code,care_type,discharged_at\nx,0127,somatic,2019-12-01 10:00\n");
    assert!(String::from_utf8_lossy(&too_early.stderr).contains("no payment rules apply to 2019-12"));
    let no_october = calc(&["--month", "2020-12"], "episode_id,municipality_code,care_type,discharged_at\nx,0127,somatic,2020-12-01 10:00\n");
    assert!(String::from_utf8_lossy(&no_october.stderr).contains("county average of October 2020"));
    let entered = calc(
        &["--month", "2020-12", "--county-average-oct-2020", "1.87"],
        "episode_id,municipality_code,care_type,discharged_at\nx,0127,somatic,2020-12-01 10:00\n",
    );
    assert!(entered.status.success(), "{}", String::from_utf8_lossy(&entered.stderr));
    for bad in [vec!["--month", "2022-3"], vec!["--month", "2022-03", "--rate", "2022"], vec!["--month", "2022-03", "--format", "xml"]] {
        let output = calc(&bad, EPISODES);
        assert!(!output.status.success(), "{bad:?}");
        assert!(!String::from_utf8_lossy(&output.stderr).contains("panicked"));
    }
}

#[actix_web::test]
async fn an_import_from_the_command_line_reports_progress_as_plain_lines_off_a_terminal() {
    let app = spawn_app().await;
    let path = app.config.data_dir.join("vardtillfallen.csv");
    std::fs::write(&path, FILE).unwrap();
    let output = tvistetrappa(&app, &["import", "--episodes", path.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(stderr.lines().any(|l| l == "imported 6 rows"), "{stderr}");
    assert!(!stderr.contains('\r') && !stderr.contains('\u{1b}'), "no bar drawn into a pipe: {stderr:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("6 rows"));
}

#[actix_web::test]
async fn an_import_reads_standard_input_and_a_process_substitution() {
    let app = spawn_app().await;
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_tvistetrappa"))
        .args(["import", "--episodes", "-"])
        .env("DATABASE_URL", app.config.database.redacted())
        .env("DATA_DIR", &app.config.data_dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(FILE.as_bytes()).unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("6 rows"));

    // `--episodes <(cat file)`: a path to a pipe that can be read once.
    let path = app.config.data_dir.join("vardtillfallen.csv");
    std::fs::write(&path, FILE).unwrap();
    let script = format!("{} import --episodes <(cat {})", env!("CARGO_BIN_EXE_tvistetrappa"), path.display());
    let output = Command::new("bash")
        .args(["-c", &script])
        .env("DATABASE_URL", app.config.database.redacted())
        .env("DATA_DIR", &app.config.data_dir)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stdout).contains("6 rows"));
    let march = tvistetrappa::domain::payment::Month { year: 2022, month: 3 };
    assert_eq!(tvistetrappa::store::calculations::versions(&mut app.db(), march).unwrap().len(), 2);
}
