//! The test harness: `spawn_app()` starts the real app on port 0 against a fresh database —
//! a temporary SQLite file, or, when `TEST_DATABASE_URL` is set, a new PostgreSQL database
//! cloned from a migrated template.

use std::collections::HashMap;
use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;
use tvistetrappa::config::{Config, Settings};
use tvistetrappa::db::DbUrl;
use tvistetrappa::domain::notify::Delivery;
use tvistetrappa::mail::{Clock, Worker};
use tvistetrappa::store::outbox;
use tvistetrappa::web::{self, AppState};

pub const DEMO_PASSWORD: &str = tvistetrappa::demo::DEMO_PASSWORD;
pub const BOTKYRKA: &str = "anna.berg@botkyrka.example";
pub const HUDDINGE: &str = "erik.holm@huddinge.example";
pub const ADMIN: &str = "admin@tvistetrappa.example";
pub const SOS: &str = "sara.nyberg@sodersjukhuset.example";
pub const STORSTHLM: &str = "lars.ek@storsthlm.example";
pub const HSF: &str = "maria.sund@hsf.example";
pub const STEERING: &str = "johan.lund@styrgruppen.example";
pub const VIS: &str = "karin.wall@vis.example";
pub const BOTKYRKA_DIRECTOR: &str = "karl.strand@botkyrka.example";
pub const HSF_DIRECTOR: &str = "eva.linde@hsf.example";
pub const SODERMALM: &str = "omar.said@stockholm.example";

/// A small episode file with hand-computed results (see tests/app/payment.rs): March 2022
/// Botkyrka 31 620 kr, Huddinge 25 110 kr, Stockholm Södermalm 15 810 kr; February 0 kr.
pub const FILE: &str = "\
episode_id,municipality_code,district,care_type,admission_notice_at,ready_notice_at,discharged_at,needs_sip,sip_called_at
b1,0127,,somatic,2022-03-01 08:00,2022-03-10 11:59,2022-03-15 10:00,,
b2,0127,,somatic,2022-03-01 08:00,2022-03-10 12:00:01,2022-03-12 10:00,,
b3,0127,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-20 10:00,ja,2022-03-14 10:00
hud-1,0126,,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-14 10:00,,
s1,0180,Södermalm,somatic,2022-03-01 08:00,2022-03-10 09:00,2022-03-13 10:00,,
f1,0127,,somatic,2022-02-01 08:00,2022-02-10 09:00,2022-02-11 10:00,,
";

/// The fields of a deviation Botkyrka files against Södersjukhuset's ward 52.
/// A figure as pages write it (`web::format`), from the way a test writes it by hand:
/// "31 620 kr", "-6 510 kr", "3,40". A space between digits becomes the narrow no-break
/// space, the space before "kr" a no-break space, a minus before a digit the real minus sign.
pub fn sv(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let digit = |i: usize| chars.get(i).is_some_and(char::is_ascii_digit);
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        out.push(match c {
            ' ' if i > 0 && digit(i - 1) && digit(i + 1) => '\u{202F}',
            ' ' if i > 0 && digit(i - 1) && text[text.char_indices().nth(i + 1).map_or(text.len(), |(b, _)| b)..].starts_with("kr") => '\u{A0}',
            '-' if digit(i + 1) && (i == 0 || !chars[i - 1].is_alphanumeric()) => '\u{2212}',
            c => c,
        });
    }
    out
}

pub fn deviation<'a>(title: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("filed_by_org", "kommun-0127"),
        ("counterpart", "enh-sos-medicin-52"),
        ("commitment_id", "process.sip-called"),
        ("occurred_from", "2026-11-02"),
        ("description", description),
        ("consequences", "Personen fick stanna två dagar längre."),
    ]
}

/// A payment dispute Botkyrka files against HSF's invoice for September 2026.
pub fn payment_dispute<'a>(title: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("filed_by_org", "kommun-0127"),
        ("counterpart", "hsf"),
        ("payment_month", "2026-09"),
        ("billing_unit_id", "kommun-0127"),
        ("amount_sek", "186 000"),
        ("occurred_from", "2026-10-15"),
        ("description", description),
    ]
}

/// An action or form that went through: 303 to its page.
pub fn ok(response: &Response) {
    assert_eq!(response.status, 303, "{}", response.body);
}

/// A principled question of interpretation Botkyrka files against the region, about who
/// appoints the fast vårdkontakt (it starts at Storsthlm and HSF).
pub fn principled_question<'a>(title: &'a str, description: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("title", title),
        ("filed_by_org", "kommun-0127"),
        ("counterpart", "region"),
        ("commitment_id", "process.outpatient-contact"),
        ("occurred_from", "2026-10-01"),
        ("description", description),
        ("principled", "1"),
    ]
}

pub struct TestApp {
    pub address: String,
    /// The database it runs on, for a second server on the same database.
    pub database_url: String,
    pub config: Config,
    pub pool: tvistetrappa::db::Pool,
    /// The mail worker's clock; fixed only when a test asks for it.
    pub clock: Clock,
    worker: std::cell::RefCell<Option<Worker>>,
    server: actix_web::dev::ServerHandle,
    server_thread: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    client: awc::Client,
    cookies: std::cell::RefCell<HashMap<String, String>>,
    _dir: tempfile::TempDir,
    /// Dropped with the app, which drops the test's PostgreSQL database.
    _postgres: Option<PgDatabase>,
}

pub struct Response {
    pub status: u16,
    pub headers: awc::http::header::HeaderMap,
    pub body: String,
}

impl Response {
    pub fn location(&self) -> String {
        self.headers.get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
    }

    /// The CSRF token of the first form on the page.
    pub fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).unwrap_or_else(|| panic!("no CSRF field in:\n{}", self.body)) + marker.len();
        self.body[start..start + 64].to_owned()
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

/// What a test may change about the app it starts.
#[derive(Default)]
pub struct Options {
    /// Send mail over SMTP here instead of into files.
    pub smtp_url: Option<String>,
    /// The mail worker's clock (reminders, digests); the system's when None.
    pub clock: Option<Clock>,
    /// TRUSTED_PROXIES.
    pub trusted_proxies: Option<String>,
    /// BASE_URL, when not the test server's own address (https makes cookies Secure).
    pub base_url: Option<String>,
    /// A database of the test's own (a private PostgreSQL cluster), used as it is.
    pub database_url: Option<String>,
    /// How long a sender's claim on a message holds (the service's default otherwise).
    pub mail_lease: Option<Duration>,
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, postgres) = match std::env::var("TEST_DATABASE_URL").ok().filter(|u| !u.is_empty()) {
        _ if options.database_url.is_some() => (options.database_url.clone().expect("checked"), None),
        Some(admin_url) => {
            let db = PgDatabase::create(&admin_url);
            (db.url.clone(), Some(db))
        }
        None => (format!("sqlite://{}", dir.path().join("test.db").display()), None),
    };
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind port 0");
    let port = listener.local_addr().unwrap().port();
    let address = format!("http://127.0.0.1:{port}");
    let mut config = Config::from_settings(Settings {
        database_url: Some(database_url.clone()),
        bind: Some(format!("127.0.0.1:{port}")),
        base_url: Some(options.base_url.unwrap_or_else(|| address.clone())),
        data_dir: Some(dir.path().to_path_buf()),
        pool_size: Some(4),
        workers: Some(1),
        smtp_url: options.smtp_url,
        trusted_proxies: options.trusted_proxies,
        ..Settings::default()
    })
    .expect("test config");
    config.fast_password_hashing = true;
    config.mail.poll = Duration::from_millis(25);
    config.mail.retry_base = Duration::from_millis(50);
    config.mail.scan = Duration::from_millis(50);
    if let Some(lease) = options.mail_lease {
        config.mail.lease = lease;
    }
    config.database.migrate().expect("migrations");
    let mut conn = config.database.connect().expect("connect");
    tvistetrappa::demo::load(&mut conn, true).expect("demo data");
    drop(conn);
    let pool = config.database.pool(config.pool_size).expect("pool");
    let state = actix_web::web::Data::new(AppState {
        config: config.clone(),
        pool: pool.clone(),
        sso: Default::default(),
        recent_choices: Default::default(),
        sessions: Default::default(),
    });
    // The server runs in a thread of its own, so that dropping the TestApp can stop it and
    // wait for it: its workers and their database pool end with the test.
    let (handle_tx, handle_rx) = std::sync::mpsc::channel();
    let server_thread = std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move {
            let server = web::serve(state, listener).expect("server");
            handle_tx.send(server.handle()).expect("the test waits for the handle");
            server.await
        })
    });
    let server = handle_rx.recv().expect("server started");
    let clock = options.clock.unwrap_or_default();
    let worker = Worker::spawn(pool.clone(), config.clone(), clock.clone()).expect("mail worker");
    let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(30)).finish();
    TestApp {
        address,
        database_url,
        config,
        pool,
        clock,
        worker: std::cell::RefCell::new(Some(worker)),
        server,
        server_thread: Some(server_thread),
        client,
        cookies: Default::default(),
        _dir: dir,
        _postgres: postgres,
    }
}

impl Drop for TestApp {
    /// Stops the HTTP server and the mail worker and waits for both, before the test's
    /// database is dropped: their threads and database connections end with the test.
    fn drop(&mut self) {
        drop(self.server.stop(false));
        if let Some(thread) = self.server_thread.take() {
            let _ = thread.join();
        }
        self.stop_mail();
    }
}

impl TestApp {
    pub fn db(&self) -> tvistetrappa::db::PooledConn {
        self.pool.get().expect("db connection")
    }

    /// Runs SQL straight on the test's database, as an operator (or an attacker with the
    /// database) would.
    pub fn sql(&self, sql: &str) {
        use diesel::connection::SimpleConnection;
        let mut conn = self.db();
        tvistetrappa::db_run!(conn, |c| c.batch_execute(sql)).expect("SQL");
    }

    /// The `value` column (text) of a query's rows.
    pub fn texts(&self, sql: &str) -> Vec<String> {
        texts(&mut self.db(), sql)
    }

    /// Checks that every copy of a case's listed columns is the case's own: on its party rows
    /// (migration 032), which one organisation's list and start page show, and on SQLite on its
    /// text index row (migration 033), which a county-wide search shows.
    pub fn assert_listed_copies_in_step(&self) {
        let mut copies = vec!["case_parties"];
        if self.config.database.kind == tvistetrappa::db::BackendKind::Sqlite {
            copies.push("cases_text_rows");
        }
        for copy in copies {
            let apart = format!(
                "SELECT p.case_id AS value FROM {copy} p JOIN cases c ON c.id = p.case_id
                 WHERE p.case_number <> c.number OR p.case_kind <> c.kind OR p.case_title <> c.title OR p.case_level <> c.level
                    OR p.case_status <> c.status OR p.case_waiting_for <> c.waiting_for OR p.case_filed_by_org <> c.filed_by_org
                    OR p.case_deadline_on IS DISTINCT FROM c.deadline_on"
            );
            assert_eq!(self.texts(&apart), Vec::<String>::new(), "{copy} out of step with the cases");
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies.borrow().iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.borrow().get(name).cloned()
    }

    pub fn set_cookie(&self, name: &str, value: &str) {
        self.cookies.borrow_mut().insert(name.to_owned(), value.to_owned());
    }

    pub fn forget_cookies(&self) {
        self.cookies.borrow_mut().clear();
    }

    async fn finish(
        &self,
        mut response: awc::ClientResponse<impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin>,
    ) -> Response {
        for value in response.headers().get_all("set-cookie") {
            let text = value.to_str().unwrap_or("");
            let pair = text.split(';').next().unwrap_or("");
            if let Some((name, value)) = pair.split_once('=') {
                if value.is_empty() || text.contains("Max-Age=0") {
                    self.cookies.borrow_mut().remove(name);
                } else {
                    self.cookies.borrow_mut().insert(name.to_owned(), value.to_owned());
                }
            }
        }
        let body = response.body().limit(50 * 1024 * 1024).await.expect("body");
        Response { status: response.status().as_u16(), headers: response.headers().clone(), body: String::from_utf8_lossy(&body).into_owned() }
    }

    pub async fn get(&self, path: &str) -> Response {
        let send = || self.client.get(format!("{}{path}", self.address)).insert_header(("cookie", self.cookie_header())).send();
        // A kept-alive connection the server closed at that instant fails to connect; a GET is
        // safe to send again (seen in long tests on a loaded machine).
        let response = match send().await {
            Err(awc::error::SendRequestError::Connect(_)) => send().await.expect("GET"),
            other => other.expect("GET"),
        };
        self.finish(response).await
    }

    /// The raw bytes of a download.
    pub async fn get_bytes(&self, path: &str) -> Vec<u8> {
        let request = self.client.get(format!("{}{path}", self.address)).insert_header(("cookie", self.cookie_header()));
        let mut response = request.send().await.expect("GET");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        response.body().limit(50 * 1024 * 1024).await.expect("body").to_vec()
    }

    /// Posts an urlencoded form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.post_with_headers(path, fields, &[]).await
    }

    /// Posts a form with extra request headers (as a load balancer would add them).
    pub async fn post_with_headers(&self, path: &str, fields: &[(&str, &str)], headers: &[(&str, &str)]) -> Response {
        let mut request = self.client.post(format!("{}{path}", self.address)).insert_header(("cookie", self.cookie_header()));
        for (name, value) in headers {
            request = request.insert_header((*name, *value));
        }
        let response = request.send_form(&fields).await.expect("POST");
        self.finish(response).await
    }

    /// Opens `form_page`, takes its CSRF token and posts `fields` with it to `action`.
    pub async fn submit(&self, form_page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(form_page).await;
        assert_eq!(page.status, 200, "form page {form_page}: {}", page.body);
        let token = page.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(action, &all).await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.submit("/logga-in", "/logga-in", &[("email", email), ("password", password), ("next", "/")]).await
    }

    /// Signs in a demo user (a fresh cookie jar first), with the second factor where the
    /// account has one, and checks that it worked.
    pub async fn login_as(&self, email: &str) {
        self.forget_cookies();
        let response = self.login(email, DEMO_PASSWORD).await;
        assert_eq!(response.status, 303, "login of {email}: {}", response.body);
        if response.location().starts_with("/logga-in/kod") {
            let code = self.next_totp_code(email);
            let answer = self.submit(&response.location(), "/logga-in/kod", &[("code", &code), ("next", "/")]).await;
            assert_eq!(answer.status, 303, "second factor of {email}: {}", answer.body);
        }
        assert!(self.cookie("tvs_session").is_some());
    }

    /// A TOTP code for the account that the service has not accepted yet (the service takes
    /// each 30-second step once, with one step of drift either way); waits for the next step
    /// when both are used. Never the step before: on a loaded machine the clock can pass into
    /// the next step before the service checks the code, and the step before is then two old.
    pub fn next_totp_code(&self, email: &str) -> String {
        let mut conn = self.db();
        let user = tvistetrappa::store::users::by_email(&mut conn, email).unwrap().expect("user");
        loop {
            let totp = tvistetrappa::store::second_factor::totp(&mut conn, &user.id).unwrap().expect("a TOTP secret");
            let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
            let step = (now / 30) as i64;
            if let Some(free) = [step, step + 1].into_iter().find(|s| totp.last_step.is_none_or(|last| *s > last)) {
                return tvistetrappa::security::totp_code(&totp.secret, free as u64 * 30).unwrap();
            }
            std::thread::sleep(Duration::from_secs(30 - now % 30));
        }
    }

    /// Ends every session as two hours of idling would.
    pub fn expire_sessions(&self) {
        use diesel::prelude::*;
        use tvistetrappa::db::schema::sessions;
        let long_ago = chrono::Utc::now().naive_utc() - chrono::Duration::hours(2);
        tvistetrappa::db_run!(self.db(), |c| diesel::update(sessions::table).set(sessions::last_seen_at.eq(long_ago)).execute(c)).unwrap();
        self.wait_for_access_changes();
    }

    /// Waits until a change made behind the server's back (a session, a user or an
    /// organisation) reaches the sessions it keeps: as it reaches every other server.
    pub fn wait_for_access_changes(&self) {
        std::thread::sleep(tvistetrappa::web::session_cache::TRUST_FOR);
    }

    /// Payment responsibility starts on `from` (an administrator's setting): months from it
    /// may be published for invoicing.
    pub fn activate_payment_responsibility(&self, from: &str) {
        let mut conn = self.db();
        let mut settings = tvistetrappa::store::settings::settings(&mut conn).unwrap();
        settings.payment_responsibility_from = Some(from.parse().unwrap());
        tvistetrappa::store::settings::save_settings(&mut conn, &settings).unwrap();
    }

    /// Sends one request exactly as written (no normalisation of the path by a client
    /// library) and returns the status and the Location header.
    pub fn raw_request(&self, method: &str, target: &str, body: &str) -> (u16, String) {
        raw_request(&self.address, &self.cookie_header(), method, target, body)
    }

    /// The cookies of this client's session, to send from another thread.
    pub fn session(&self) -> String {
        self.cookie_header()
    }
}

/// The `value` column (text) of a query's rows.
pub fn texts(conn: &mut tvistetrappa::db::DbConn, sql: &str) -> Vec<String> {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Text {
        #[diesel(sql_type = diesel::sql_types::Text)]
        value: String,
    }
    let rows: Vec<Text> = tvistetrappa::db_run!(conn, |c| diesel::sql_query(sql).load(c)).unwrap_or_else(|e| panic!("{sql}: {e}"));
    rows.into_iter().map(|row| row.value).collect()
}

/// Two sessions post at the same moment; returns both statuses, sorted.
pub fn at_once(address: &str, first: (&str, String), second: (&str, String), path: &str) -> Vec<u16> {
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(2));
    let posts: Vec<_> = [first, second]
        .into_iter()
        .map(|(cookies, body)| {
            let (barrier, address, cookies, path) = (barrier.clone(), address.to_owned(), cookies.to_owned(), path.to_owned());
            std::thread::spawn(move || {
                barrier.wait();
                raw_request(&address, &cookies, "POST", &path, &body).0
            })
        })
        .collect();
    let mut statuses: Vec<u16> = posts.into_iter().map(|p| p.join().unwrap()).collect();
    statuses.sort();
    statuses
}

/// One request exactly as written, from any thread: the status and the Location header.
pub fn raw_request(address: &str, cookies: &str, method: &str, target: &str, body: &str) -> (u16, String) {
    let (status, head, _) = exchange(address, cookies, method, target, body);
    let location = head.lines().find_map(|l| l.strip_prefix("location: ").or_else(|| l.strip_prefix("Location: "))).unwrap_or("").trim().to_owned();
    (status, location)
}

/// A GET exactly as written, from any thread: the status and the page.
pub fn raw_page(address: &str, cookies: &str, target: &str) -> (u16, String) {
    let (status, _, page) = exchange(address, cookies, "GET", target, "");
    (status, page)
}

/// Sends one request on a connection of its own: the status, the head and the body.
fn exchange(address: &str, cookies: &str, method: &str, target: &str, body: &str) -> (u16, String, String) {
    use std::io::{Read, Write};
    // A GET carries no body (one the server does not read makes it wait before closing).
    let body = if method == "GET" { "" } else { body };
    let host = address.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(host).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let request = format!(
        "{method} {target} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("read");
    let text = String::from_utf8_lossy(&answer);
    let status = text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or_else(|| panic!("no status for {target}: {text}"));
    let (head, page) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    (status, head.to_owned(), page.to_owned())
}

impl TestApp {
    /// Any page's CSRF token for the signed-in user (the start page has the logout form).
    pub async fn csrf(&self) -> String {
        self.get("/").await.csrf()
    }

    pub async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all).await
    }

    /// Stops the mail worker, as stopping the app would; what is queued stays queued.
    pub fn stop_mail(&self) {
        drop(self.worker.borrow_mut().take());
    }

    /// Starts a mail worker again, as a restarted app would.
    pub fn start_mail(&self) {
        let worker = Worker::spawn(self.pool.clone(), self.config.clone(), self.clock.clone()).expect("mail worker");
        *self.worker.borrow_mut() = Some(worker);
    }

    /// Messages in the outbox in a status.
    pub fn outbox_count(&self, status: Delivery) -> i64 {
        outbox::count(&mut self.db(), status).expect("outbox count")
    }

    /// Waits (up to ten seconds) until the worker has nothing left to send now.
    pub fn wait_for_outbox(&self) {
        use diesel::prelude::*;
        use tvistetrappa::db::schema::outbox as table;
        for _ in 0..500 {
            let now = self.clock.now();
            let due: i64 = tvistetrappa::db_run!(self.db(), |c| table::table
                .filter(table::status.eq(outbox::PENDING))
                .filter(table::next_attempt_at.le(now))
                .count()
                .get_result(c))
            .expect("outbox");
            if due == 0 {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the outbox did not drain");
    }

    /// The e-mails the worker wrote to the outbox folder (no SMTP_URL), oldest first, as
    /// headers and plain text.
    pub fn sent_mail(&self) -> Vec<String> {
        self.wait_for_outbox();
        let dir: PathBuf = self.config.outbox_dir();
        let mut files: Vec<_> = std::fs::read_dir(&dir).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
        files.sort_by_key(|p| std::fs::metadata(p).and_then(|m| m.modified()).ok());
        files.iter().filter(|p| p.extension().is_some_and(|e| e == "eml")).map(|p| readable(&std::fs::read(p).unwrap())).collect()
    }

    /// The first link to `prefix` in the newest mail to `to`.
    pub fn link_in_mail(&self, to: &str, prefix: &str) -> String {
        let mail = self.sent_mail().into_iter().rev().find(|m| m.contains(to)).unwrap_or_else(|| panic!("no mail to {to}"));
        let start = mail.find(&format!("{}{prefix}", self.address)).expect("link in mail") + self.address.len();
        mail[start..].split_whitespace().next().unwrap().to_owned()
    }
}

/// A message's headers (decoded) and plain-text part.
fn readable(raw: &[u8]) -> String {
    let parsed = mailparse::parse_mail(raw).expect("a parseable message");
    let headers: Vec<String> = parsed.headers.iter().map(|h| format!("{}: {}", h.get_key(), h.get_value())).collect();
    format!("{}\n\n{}", headers.join("\n"), plain_text(raw))
}

/// The plain-text part of a message, decoded.
pub fn plain_text(raw: &[u8]) -> String {
    fn walk(part: &mailparse::ParsedMail, out: &mut String) {
        if part.subparts.is_empty() {
            if part.ctype.mimetype == "text/plain" {
                out.push_str(&part.get_body().expect("a decodable body"));
            }
        } else {
            part.subparts.iter().for_each(|p| walk(p, out));
        }
    }
    let parsed = mailparse::parse_mail(raw).expect("a parseable message");
    let mut out = String::new();
    walk(&parsed, &mut out);
    out
}

/// A PostgreSQL database of one test, dropped with it.
struct PgDatabase {
    admin_url: String,
    name: String,
    url: String,
}

const TEMPLATE: &str = "tvs_test_template";

/// The URL of database `name` on the test server, without TLS: the connections stay on this
/// machine, and a libpq connection closed while OpenSSL's exit handlers run can abort the
/// test process after every test has passed (seen once, when test servers still outlived
/// their tests).
fn with_database(url: &str, name: &str) -> String {
    let mut parsed = url::Url::parse(url).expect("TEST_DATABASE_URL");
    parsed.set_path(&format!("/{name}"));
    if !parsed.query_pairs().any(|(key, _)| key == "sslmode") {
        parsed.query_pairs_mut().append_pair("sslmode", "disable");
    }
    parsed.to_string()
}

fn admin_sql(admin_url: &str, sql: &str) -> Result<(), diesel::result::Error> {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut conn = diesel::pg::PgConnection::establish(admin_url).expect("connect to TEST_DATABASE_URL");
    conn.batch_execute(sql)
}

impl PgDatabase {
    fn create(admin_url: &str) -> PgDatabase {
        static READY: OnceLock<()> = OnceLock::new();
        READY.get_or_init(|| {
            admin_sql(admin_url, &format!("DROP DATABASE IF EXISTS {TEMPLATE} WITH (FORCE)")).expect("drop old template");
            admin_sql(admin_url, &format!("CREATE DATABASE {TEMPLATE}")).expect("template");
            DbUrl::parse(&with_database(admin_url, TEMPLATE)).unwrap().migrate().expect("migrate template");
        });
        let name = format!("tvs_t_{}", uuid::Uuid::new_v4().simple());
        let mut attempts = 0;
        // Two tests cloning the template at the same instant can collide; try again.
        while let Err(e) = admin_sql(admin_url, &format!("CREATE DATABASE {name} TEMPLATE {TEMPLATE}")) {
            attempts += 1;
            assert!(attempts < 50, "cannot create {name}: {e}");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        PgDatabase { admin_url: admin_url.to_owned(), url: with_database(admin_url, &name), name }
    }
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let _ = admin_sql(&self.admin_url, &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

impl TestApp {
    /// Files a case through the form; returns its number.
    pub async fn file_case(&self, kind: &str, fields: &[(&str, &str)]) -> String {
        let mut all = vec![("kind", kind)];
        all.extend_from_slice(fields);
        let response = self.submit(&format!("/arenden/nytt?typ={kind}"), "/arenden/nytt", &all).await;
        assert_eq!(response.status, 303, "filing failed: {}", response.body);
        let location = response.location();
        location.trim_start_matches("/arenden/").split('?').next().unwrap().to_owned()
    }

    /// Takes an action on a case through its page (CSRF token and version from the page).
    pub async fn act(&self, number: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let page = self.get(&format!("/arenden/{number}")).await;
        assert_eq!(page.status, 200, "case page {number}: {}", page.body);
        let version = case_version(&page.body);
        let token = page.csrf();
        let mut all: Vec<(&str, &str)> = vec![("csrf", &token), ("version", &version), ("action", action)];
        all.extend_from_slice(fields);
        self.post_raw(&format!("/arenden/{number}/atgard"), &all).await
    }

    /// Posts a file to a case as its page's form does.
    pub async fn upload(&self, number: &str, filename: &str, content: &[u8]) -> Response {
        let page = self.get(&format!("/arenden/{number}")).await;
        let version = case_version(&page.body);
        self.post_file(&page, &format!("/arenden/{number}/bilagor"), &[("version", &version)], filename, content).await
    }

    /// Posts a multipart form with one file (the CSRF token rides in the URL, as the
    /// page's form does).
    pub async fn post_file(&self, page: &Response, action: &str, fields: &[(&str, &str)], filename: &str, content: &[u8]) -> Response {
        let boundary = "tvistetrappa-test-boundary";
        let mut body = Vec::new();
        for (name, value) in fields {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let url = format!("{}{action}?csrf={}", self.address, page.csrf());
        let response = self
            .client
            .post(url)
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("content-type", format!("multipart/form-data; boundary={boundary}")))
            .send_body(body)
            .await
            .expect("upload");
        self.finish(response).await
    }
}

pub fn case_version(body: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = body.find(marker).expect("a version field") + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}
