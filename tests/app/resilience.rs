//! Faults an operator meets (issue 13): here, PostgreSQL restarting under a running service.

use crate::helpers::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

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
    assert!(down.status >= 500, "no page without the database: {}", down.status);
    assert!(!down.body.contains("panicked"));

    cluster.start();
    let back = Instant::now();
    loop {
        let page = app.get("/arenden").await;
        if page.status == 200 {
            break;
        }
        assert!(back.elapsed() < Duration::from_secs(5), "still {} {:?} after PostgreSQL came back", page.status, back.elapsed());
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
                let mut conn = database.connect().unwrap();
                barrier.wait();
                tvistetrappa::import::import_file(&mut conn, &path, "samma.csv", None, &mut |_, _| {}).map(|_| ()).map_err(|e| e.to_string())
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
