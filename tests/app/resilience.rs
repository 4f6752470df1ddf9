//! Faults an operator meets (issue 13): here, PostgreSQL restarting under a running service.

use crate::helpers::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use tvistetrappa::payment::import::BATCH;

/// A PostgreSQL cluster of the test's own, on a free loopback port, that the test may stop
/// and start; removed when dropped.
struct PrivateCluster {
    bin: PathBuf,
    dir: tempfile::TempDir,
    port: u16,
}

impl PrivateCluster {
    /// The server's programs (Debian keeps them per version); None where PostgreSQL is not installed.
    fn programs() -> Option<PathBuf> {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten().map(|e| e.path().join("bin")).collect();
        versions.sort();
        versions.pop().filter(|bin| bin.join("initdb").exists())
    }

    /// Runs a server program as the `postgres` user when we are root (PostgreSQL refuses root).
    fn run(bin: &Path, program: &str, args: &[&str]) -> std::process::Output {
        let path = bin.join(program);
        let as_root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
        let mut command = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            Command::new(&path)
        };
        command.args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"))
    }

    fn create() -> PrivateCluster {
        let bin = Self::programs().expect("PostgreSQL's server programs under /usr/lib/postgresql");
        let dir = tempfile::tempdir().unwrap();
        // The server runs as `postgres`: it must own its directory.
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(dir.path()).status();
        let data = dir.path().join("data");
        let out = Self::run(&bin, "initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "postgres", "--no-sync"]);
        assert!(out.status.success(), "initdb: {}", String::from_utf8_lossy(&out.stderr));
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = PrivateCluster { bin, dir, port };
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.path().join("data").display().to_string()
    }

    fn start(&self) {
        let options = format!("-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off", self.port, self.dir.path().display());
        let log = self.dir.path().join("server.log").display().to_string();
        let out = Self::run(&self.bin, "pg_ctl", &["-D", &self.data(), "-o", &options, "-l", &log, "-w", "start"]);
        assert!(out.status.success(), "pg_ctl start: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    }

    fn stop(&self) {
        let out = Self::run(&self.bin, "pg_ctl", &["-D", &self.data(), "-m", "fast", "-w", "stop"]);
        assert!(out.status.success(), "pg_ctl stop: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres?sslmode=disable", self.port)
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = Self::run(&self.bin, "pg_ctl", &["-D", &self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

#[actix_web::test]
async fn after_postgresql_restarts_signed_in_pages_answer_again_within_seconds() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        // The embedded database has no server to restart; this runs in the PostgreSQL pass.
        return;
    }
    let cluster = PrivateCluster::create();
    let app = spawn_app_with(Options { database_url: Some(cluster.url()), ..Options::default() }).await;
    app.login_as(BOTKYRKA).await;
    assert_eq!(app.get("/arenden").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);

    cluster.stop();
    assert_eq!(app.get("/healthz").await.status, 200, "the process itself is alive");
    assert_eq!(app.get("/readyz").await.status, 503, "but not ready without its database");
    let down = app.get("/arenden").await;
    assert_eq!(down.status, 503, "no page without the database, and a status a client may retry");
    assert!(down.body.contains("når inte sin databas"), "{}", down.body);

    cluster.start();
    let back = Instant::now();
    loop {
        let page = app.get("/arenden").await;
        if page.status == 200 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(2), "still {} {:?} after PostgreSQL came back", page.status, back.elapsed());
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/readyz").await.status, 200);
    // Every pooled connection was dead; each is replaced, not only the first.
    for _ in 0..10 {
        assert_eq!(app.get("/arenden").await.status, 200);
    }
    drop(app);
}

fn case_version(app: &TestApp, number: &str) -> i32 {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::cases;
    let mut conn = app.db();
    tvistetrappa::db_run!(conn, |c| cases::table.filter(cases::number.eq(number)).select(cases::version).first(c)).unwrap()
}

#[actix_web::test]
async fn two_people_commenting_at_once_one_is_saved_and_the_other_is_told() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;
    let (anna, anna_token) = (app.session(), app.csrf().await);
    app.login_as("sara.nyberg@sodersjukhuset.example").await;
    let (sara, sara_token) = (app.session(), app.csrf().await);
    let path = format!("/arenden/{number}/atgard");
    for round in 0..5 {
        let version = case_version(&app, &number);
        let body = |token: &str, who: &str| format!("csrf={token}&version={version}&action=comment&text={who}+{round}");
        let statuses = at_once(&app.address, (&anna, body(&anna_token, "Anna")), (&sara, body(&sara_token, "Sara")), &path);
        assert_eq!(statuses, [303, 409], "round {round}: one comment is saved, the other is told the case changed");
        assert_eq!(case_version(&app, &number), version + 1, "round {round}");
    }
    use diesel::prelude::*;
    use tvistetrappa::db::schema::case_events;
    let mut conn = app.db();
    let comments: i64 = tvistetrappa::db_run!(conn, |c| case_events::table.filter(case_events::action.eq("comment")).count().get_result(c)).unwrap();
    assert_eq!(comments, 5);
}

#[actix_web::test]
async fn five_imports_of_one_file_at_once_all_succeed_with_their_own_version() {
    let app = spawn_app().await;
    let path = app.config.data_dir.join("samma.csv");
    std::fs::write(&path, FILE).unwrap();
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(5));
    let imports: Vec<_> = (0..5)
        .map(|_| {
            // Connections of their own: five would wait for the test pool's four.
            let (database, path, barrier) = (app.config.database.clone(), path.clone(), barrier.clone());
            std::thread::spawn(move || {
                let (mut conn, mut spare) = (database.connect().unwrap(), database.connect().unwrap());
                barrier.wait();
                tvistetrappa::payment::import::import_file(&mut conn, Some(&mut spare), &path, "samma.csv", None, &mut |_| {})
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
        })
        .collect();
    for import in imports {
        assert_eq!(import.join().unwrap(), Ok(()));
    }
    let mut conn = app.db();
    let march = tvistetrappa::domain::payment::Month { year: 2022, month: 3 };
    let mut numbers: Vec<i32> = tvistetrappa::store::calculations::versions(&mut conn, march).unwrap().into_iter().map(|v| v.version).collect();
    numbers.sort();
    assert_eq!(numbers, [1, 2, 3, 4, 5]);
}

/// An episode file of `rows` valid March 2022 rows, then `tail` as it is.
fn long_file(rows: usize, tail: &str) -> String {
    let mut file = String::from("episode_id,municipality_code,district,care_type,admission_notice_at,ready_notice_at,discharged_at\n");
    for i in 0..rows {
        file.push_str(&format!("e{i},0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-15 10:00\n"));
    }
    file + tail
}

fn stored(conn: &mut tvistetrappa::db::DbConn) -> (i64, i64) {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::{episode_imports, episodes};
    let rows = tvistetrappa::db_run!(conn, |c| episodes::table.count().get_result(c)).unwrap();
    let imports = tvistetrappa::db_run!(conn, |c| episode_imports::table.count().get_result(c)).unwrap();
    (rows, imports)
}

#[actix_web::test]
async fn an_import_reads_a_pipe_once_and_other_writers_are_not_held_up_meanwhile() {
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let fifo = app.config.data_dir.join("vardtillfallen.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let (done_tx, done) = std::sync::mpsc::channel();
    let (database, path) = (app.config.database.clone(), fifo.clone());
    std::thread::spawn(move || {
        let (mut conn, mut spare) = (database.connect().unwrap(), database.connect().unwrap());
        let outcome = tvistetrappa::payment::import::import_file(&mut conn, Some(&mut spare), &path, "ror.csv", None, &mut |_| {});
        let _ = done_tx.send(outcome.map(|i| (i.rows, i.months.len())).map_err(|e| e.to_string()));
    });
    let file = long_file(3 * BATCH, "");
    let (first, rest) = file.split_at(file.len() / 2);
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    use std::io::Write;
    writer.write_all(first.as_bytes()).unwrap();
    // The import is now between batches, waiting for the pipe: it holds no transaction, so
    // the service files a case as usual.
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    let started = Instant::now();
    let number = app.file_case("deviation", &deviation("Under importen", "Ärendet sparas medan en fil läses in.")).await;
    assert!(started.elapsed() < Duration::from_secs(5), "filing waited {:?} for the import", started.elapsed());
    assert!(app.get(&format!("/arenden/{number}")).await.body.contains("Under importen"));
    let listed = || tvistetrappa::store::episodes::imports(&mut app.db()).unwrap().iter().filter(|i| i.source == "ror.csv").count();
    assert_eq!(listed(), 0, "a staged import is not listed");
    writer.write_all(rest.as_bytes()).unwrap();
    drop(writer);
    let outcome = done.recv_timeout(Duration::from_secs(60)).expect("the import ends when the pipe closes");
    assert_eq!(outcome, Ok((3 * BATCH as u64, 1)));
    assert_eq!(stored(&mut app.db()), (3 * BATCH as i64, 1));
    assert_eq!(listed(), 1);
}

#[actix_web::test]
async fn an_import_whose_second_writer_is_cut_off_fails_whole_and_leaves_no_rows() {
    if std::env::var("TEST_DATABASE_URL").map_or(true, |u| u.is_empty()) {
        // SQLite writes on one connection only; the second writer is PostgreSQL's.
        return;
    }
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Backend {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        pid: i32,
    }
    let app = spawn_app().await;
    let (mut conn, mut spare) = (app.db(), app.config.database.connect().unwrap());
    let spare_pid = tvistetrappa::db_run!(spare, |c| diesel::sql_query("SELECT pg_backend_pid() AS pid").get_result::<Backend>(c)).unwrap().pid;
    // A file of valid rows read from a pipe: the second writer's server process is ended once
    // the first batches are in, as an operator's `pg_terminate_backend` or a crash would.
    let fifo = app.config.data_dir.join("avbruten.fifo");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let path = fifo.clone();
    let import = std::thread::spawn(move || {
        tvistetrappa::payment::import::import_file(&mut conn, Some(&mut spare), &path, "avbruten.csv", None, &mut |_| {}).map(|i| i.rows)
    });
    let file = long_file(8 * BATCH, "");
    let (first, rest) = file.split_at(file.len() / 2);
    let mut writer = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
    use std::io::Write;
    writer.write_all(first.as_bytes()).unwrap();
    let mut admin = app.db();
    tvistetrappa::db_run!(admin, |c| diesel::sql_query(format!("SELECT pg_terminate_backend({spare_pid})")).execute(c)).unwrap();
    writer.write_all(rest.as_bytes()).unwrap();
    drop(writer);
    let outcome = import.join().unwrap();
    assert!(outcome.is_err(), "an import with batches lost must fail, got {:?}", outcome.ok());
    assert_eq!(stored(&mut admin), (0, 0));
}

#[actix_web::test]
async fn a_refused_file_leaves_no_rows_even_after_batches_were_written() {
    let app = spawn_app().await;
    let (mut conn, mut spare) = (app.db(), app.config.database.connect().unwrap());
    // The error is on the last line, long after the first batches went in (on both of
    // PostgreSQL's connections).
    let file = long_file(2 * BATCH + BATCH / 4, "bad,9999,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-15 10:00\n");
    let failure = tvistetrappa::payment::import::import_stream(&mut conn, Some(&mut spare), file.as_bytes(), "fel.csv", None, &mut |_| {})
        .err()
        .expect("refused");
    // The header is line 1.
    let bad_line = 2 * BATCH + BATCH / 4 + 2;
    assert!(failure.to_string().contains(&format!("line {bad_line}")), "{failure}");
    assert_eq!(stored(&mut conn), (0, 0));
    let header_only = long_file(0, "");
    let failure =
        tvistetrappa::payment::import::import_stream(&mut conn, None, header_only.as_bytes(), "tom.csv", None, &mut |_| {}).err().expect("refused");
    assert!(failure.to_string().contains("no episodes"), "{failure}");
    assert_eq!(stored(&mut conn), (0, 0));
}

/// The key of the first form on `page` that guards against being carried out twice.
fn form_key(page: &Response) -> String {
    page.body.split("name=\"submission\" value=\"").nth(1).expect("a form with a key")[..64].to_owned()
}

#[actix_web::test]
async fn a_case_action_an_attachment_and_an_import_sent_again_are_carried_out_once() {
    use diesel::prelude::*;
    use tvistetrappa::db::schema::{case_attachments, case_events, episode_imports};
    let app = spawn_app().await;
    app.login_as(BOTKYRKA).await;
    let number = app.file_case("deviation", &deviation("Rubrik", "Beskrivning")).await;

    // A comment whose answer was lost is sent again as it was: the first answer comes back,
    // not a refusal because the case has moved on (by the comment itself), and not a second comment.
    let page = app.get(&format!("/arenden/{number}")).await;
    let (token, key, version) = (page.csrf(), form_key(&page), case_version(&app, &number).to_string());
    let fields = [("csrf", token.as_str()), ("version", &version), ("submission", &key), ("action", "comment"), ("text", "En gång")];
    let path = format!("/arenden/{number}/atgard");
    let first = app.post_raw(&path, &fields).await;
    let again = app.post_raw(&path, &fields).await;
    assert_eq!((first.status, again.status), (303, 303), "{}", again.body);
    assert_eq!(first.location(), again.location());
    // Another form on the same page, with its own key, is still refused: the case changed.
    let other = [
        ("csrf", token.as_str()),
        ("version", &version),
        ("submission", &form_key(&app.get(&path.replace("/atgard", "")).await)),
        ("action", "comment"),
        ("text", "Gammal sida"),
    ];
    assert_eq!(app.post_raw(&path, &other).await.status, 409);
    let comments: i64 =
        tvistetrappa::db_run!(app.db(), |c| case_events::table.filter(case_events::action.eq("comment")).count().get_result(c)).unwrap();
    assert_eq!(comments, 1);

    // An attachment sent twice at once.
    let page = app.get(&format!("/arenden/{number}")).await;
    let (key, version) = (form_key(&page), case_version(&app, &number).to_string());
    let fields = [("version", version.as_str()), ("submission", key.as_str())];
    let url = format!("/arenden/{number}/bilagor");
    let (a, b) = futures_util::future::join(
        app.post_file(&page, &url, &fields, "protokoll.txt", b"Protokoll"),
        app.post_file(&page, &url, &fields, "protokoll.txt", b"Protokoll"),
    )
    .await;
    assert_eq!((a.status, b.status), (303, 303), "{} {}", a.body, b.body);
    let attachments: i64 = tvistetrappa::db_run!(app.db(), |c| case_attachments::table.count().get_result(c)).unwrap();
    assert_eq!(attachments, 1);

    // An episode file sent again after its answer was lost.
    app.login_as(HSF).await;
    let page = app.get("/betalning/importer").await;
    let fields = [("submission", form_key(&page))];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let first = app.post_file(&page, "/betalning/importer", &fields, "v.csv", FILE.as_bytes()).await;
    let again = app.post_file(&page, "/betalning/importer", &fields, "v.csv", FILE.as_bytes()).await;
    assert_eq!((first.status, again.status), (303, 303), "{}", again.body);
    assert_eq!(first.location(), again.location());
    let imports: i64 = tvistetrappa::db_run!(app.db(), |c| episode_imports::table.count().get_result(c)).unwrap();
    assert_eq!(imports, 1);
}

/// Opens `form_page` and posts `fields` to `action` twice, as a browser re-sending the form
/// whose answer it lost would: the same CSRF token and the same form key both times.
async fn submit_twice(app: &TestApp, form_page: &str, action: &str, fields: &[(&str, &str)]) -> (Response, Response) {
    let page = app.get(form_page).await;
    assert_eq!(page.status, 200, "{form_page}: {}", page.body);
    let form = page.body.split(&format!("action=\"{action}\"")).nth(1).unwrap_or_else(|| panic!("no form for {action} on {form_page}"));
    let key = form.split("name=\"submission\" value=\"").nth(1).unwrap_or_else(|| panic!("the form for {action} has no key"))[..64].to_owned();
    let token = page.csrf();
    let mut all = vec![("csrf", token.as_str()), ("submission", key.as_str())];
    all.extend_from_slice(fields);
    let first = app.post_raw(action, &all).await;
    let again = app.post_raw(action, &all).await;
    assert_eq!((first.status, again.status), (303, 303), "{action} sent again: {}", again.body);
    assert_eq!(first.location(), again.location(), "{action}: the first answer comes back");
    (first, again)
}

fn count(app: &TestApp, sql: &str) -> String {
    app.texts(sql).remove(0)
}

#[actix_web::test]
async fn administration_and_payment_forms_sent_again_are_carried_out_once() {
    let app = spawn_app().await;
    app.login_as(ADMIN).await;
    let person = [("email", "ny.person@botkyrka.example"), ("name", "Ny Person"), ("organisation_id", "kommun-0127"), ("role", "local")];
    submit_twice(&app, "/admin/anvandare/ny", "/admin/anvandare/ny", &person).await;
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS TEXT) AS value FROM users WHERE email = 'ny.person@botkyrka.example'"), "1");
    let welcomes = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM outbox WHERE recipient = 'ny.person@botkyrka.example'";
    assert_eq!(count(&app, welcomes), "1", "one welcome mail");
    let unit = [("kind", "inpatient_unit"), ("name", "Södersjukhuset, avdelning 64"), ("parent_id", "vg-sos"), ("active", "on")];
    submit_twice(&app, "/admin/enheter/ny", "/admin/enheter/ny", &unit).await;
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS TEXT) AS value FROM organisations WHERE name = 'Södersjukhuset, avdelning 64'"), "1");

    // A daily amount sent again would calculate every month once more.
    app.login_as(HSF).await;
    let page = app.get("/betalning/importer").await;
    assert_eq!(app.post_file(&page, "/betalning/importer", &[], "v.csv", FILE.as_bytes()).await.status, 303);
    app.login_as(ADMIN).await;
    let versions = "SELECT CAST(COUNT(*) AS TEXT) AS value FROM calculations WHERE month = '2022-03'";
    assert_eq!(count(&app, versions), "1");
    submit_twice(&app, "/admin/betalning", "/admin/betalning/dagbelopp", &[("year", "2022"), ("amount", "9 000"), ("source", "Socialstyrelsen")])
        .await;
    assert_eq!(count(&app, versions), "2", "one new version, not two");

    // Publishing and answering: sent again, the first answer, not "already published/answered".
    app.activate_payment_responsibility("2022-03-01");
    app.login_as(HSF).await;
    let invoice = (tvistetrappa::store::today() + chrono::Days::new(30)).to_string();
    submit_twice(&app, "/betalning?manad=2022-03", "/betalning/publicera", &[("month", "2022-03"), ("invoice_date", &invoice)]).await;
    app.login_as(BOTKYRKA).await;
    let review = app.get("/granskning").await;
    let basis = review.body.split("/granskning/").nth(1).unwrap().split('/').next().unwrap().to_owned();
    let answer = [("organisation_id", "kommun-0127"), ("row_key", "average"), ("response", "accepted")];
    submit_twice(&app, "/granskning", &format!("/granskning/{basis}/svar"), &answer).await;

    // A failed message put back in the queue twice: once, without "not failed" the second time.
    app.login_as(ADMIN).await;
    // A message the sender is done with (sent), so that nothing changes it under the test.
    let sent = "SELECT id AS value FROM outbox WHERE kind <> 'account' AND status = 'sent' ORDER BY id LIMIT 1";
    let id = (0..500)
        .find_map(|_| {
            let found = app.texts(sent).pop();
            if found.is_none() {
                std::thread::sleep(Duration::from_millis(20));
            }
            found
        })
        .expect("a message sent");
    app.sql(&format!("UPDATE outbox SET status = 'failed' WHERE id = '{id}'"));
    submit_twice(&app, "/admin/utkorg?status=failed", &format!("/admin/utkorg/{id}/igen"), &[]).await;
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS TEXT) AS value FROM audit_log WHERE action = 'mail_retried'"), "1");
}

/// Every form that changes something carries a key against being carried out twice. The
/// exceptions change the session or spend a single-use token, so a second sending cannot
/// repeat them: signing in and out, a code, a forgotten or new password, the second factor
/// (whose recovery codes are shown once).
#[test]
fn every_form_that_changes_something_carries_a_key() {
    const EXEMPT: [&str; 6] = ["/logga-in", "/logga-in/kod", "/logga-ut", "/glomt-losenord", "/konto/losenord", "/konto/tvastegsverifiering"];
    let (mut forms, mut missing) = (0, Vec::new());
    for file in crate::layout::files(&Path::new(env!("CARGO_MANIFEST_DIR")).join("templates"), "html") {
        let text = std::fs::read_to_string(&file).unwrap();
        for form in text.split("<form").skip(1).map(|form| form.split("</form>").next().unwrap()) {
            if !form.contains("method=\"post\"") {
                continue;
            }
            forms += 1;
            let action = form.split("action=\"").nth(1).and_then(|a| a.split('"').next()).unwrap_or_default();
            let exempt = EXEMPT.contains(&action) || action.starts_with("/aterstall/");
            if !exempt && !form.contains("name=\"submission\"") {
                missing.push(format!("{}: {action}", file.display()));
            }
        }
    }
    assert!(forms > 20, "the templates' forms were found ({forms})");
    assert!(missing.is_empty(), "forms without a key: {missing:?}");
}
