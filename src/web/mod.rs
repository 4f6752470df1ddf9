//! The web shell: thin handlers that parse input, call the domain and the store, and render.

pub mod admin;
pub mod admin_forms;
pub mod auth;
pub mod capability;
pub mod case_forms;
pub mod cases;
pub mod charts;
pub mod error;
pub mod export;
pub mod format;
pub mod forms;
pub mod guard;
pub mod home;
pub mod interpretations;
pub mod kept;
pub mod notifications;
pub mod organisations;
pub mod page;
pub mod payment;
pub mod providers;
pub mod reports;
pub mod session_cache;
pub mod sso;

use crate::config::Config;
use crate::db::{DbConn, Pool};
use actix_web::http::header;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use capability::{Route, RouteTable, Routes};
use error::AppError;
use std::net::TcpListener;

pub struct AppState {
    pub config: Config,
    pub pool: Pool,
    /// Identity providers' metadata and keys as this server last fetched them.
    pub sso: crate::sso::Directory,
    /// The organisations as the case list's filter offers them.
    pub recent_choices: crate::store::organisations::RecentChoices,
    /// The sessions this server looked up a moment ago.
    pub sessions: session_cache::SessionCache,
}

impl AppState {
    /// Runs database work that only reads. On SQLite it runs right here on the HTTP worker:
    /// an embedded read takes micro- to milliseconds and never waits for a lock (WAL), so
    /// handing it to a blocking thread and back cost more than the query itself (the case
    /// list went from ~3 000 to over 5 000 requests/s at 64 connections, see bench/cases.sh).
    /// On PostgreSQL, where a query waits for the network, it runs on a blocking thread.
    pub async fn read<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        if self.config.database.kind == crate::db::BackendKind::Sqlite {
            let mut conn = crate::db::checkout(&self.pool).map_err(|e| AppError::Unavailable(e.to_string()))?;
            return settled(&mut conn, work);
        }
        self.blocking(work).await
    }

    /// [`read`](Self::read) for the reads a page is built from, seen at one moment
    /// ([`DbConn::snapshot`]): nothing in `work` may write.
    pub async fn view<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        self.read(|conn| conn.snapshot(work)).await
    }

    /// Runs blocking database work (writes, password hashing) on a blocking thread, with a
    /// connection from the pool. What it wrote holds for the sessions this server keeps from
    /// its next request on.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let done = self.blocking(work).await;
        self.sessions.wrote(std::time::Instant::now());
        done
    }

    async fn blocking<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = crate::db::checkout(&pool).map_err(|e| AppError::Unavailable(e.to_string()))?;
            settled(&mut conn, work)
        })
        .await?
    }

    /// Like [`run`](Self::run), all inside one write transaction.
    pub async fn write<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        self.run(move |conn| conn.write(work)).await
    }

    /// Like [`write`](Self::write), for a form that must be carried out once however often it
    /// is sent (see `store::submissions::once`): `work` answers with the page its answer
    /// points to, or with the form's refusal (`R`: field errors; `Infallible` where the form
    /// was checked before).
    pub async fn write_once<R, F>(&self, key: Option<String>, user_id: String, work: F) -> Result<Result<String, R>, AppError>
    where
        R: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<Result<String, R>, AppError> + Send + 'static,
    {
        self.write(move |conn| crate::store::submissions::once(conn, key.as_deref(), &user_id, work)).await
    }

    /// Where the answer to a form carried out already pointed, for a form whose checks before
    /// its write would refuse it the second time (a name it took itself).
    pub async fn answered(&self, key: Option<String>, user_id: String) -> Result<Option<String>, AppError> {
        let Some(key) = key else { return Ok(None) };
        self.read(move |conn| Ok(crate::store::submissions::answer(conn, &key, &user_id)?)).await
    }
}

/// The answer of a form carried out once ([`AppState::write_once`]) whose refusals were all
/// said before: the page it points to.
pub fn carried_out(location: impl Into<String>) -> Result<Result<String, std::convert::Infallible>, AppError> {
    Ok(Ok(location.into()))
}

/// Runs `work`; a failure inside it (a query, not a refusal) marks the connection so that it
/// is not reused and the next connections are tested (the database may have restarted).
fn settled<T>(conn: &mut DbConn, work: impl FnOnce(&mut DbConn) -> Result<T, AppError>) -> Result<T, AppError> {
    let result = work(conn);
    if matches!(result, Err(AppError::Internal(_))) {
        conn.failed();
    }
    result
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    declare(cfg);
}

/// Every route the app registers with what its handler needs, read off the handlers' types.
pub fn route_table() -> Vec<Route> {
    let mut table = RouteTable::default();
    declare(&mut table);
    table.routes
}

fn declare<R: Routes>(r: &mut R) {
    r.get("/", home::start)
        .get("/healthz", || async { HttpResponse::Ok().body("ok") })
        .get("/readyz", readiness)
        .get("/static/app.css", stylesheet)
        .get("/static/motpart.js", counterpart_search)
        .get("/logga-in", auth::login_form)
        .post("/logga-in", auth::login)
        .get("/logga-in/kod", auth::code_form)
        .post("/logga-in/kod", auth::code)
        .get("/logga-in/via/{id}", sso::start)
        .get("/logga-in/svar", sso::callback)
        .post("/logga-ut", auth::logout)
        .get("/konto/losenord", auth::password_form)
        .post("/konto/losenord", auth::change_password)
        .get("/konto/tvastegsverifiering", auth::second_factor_page)
        .post("/konto/tvastegsverifiering", auth::save_second_factor)
        .get("/konto/aviseringar", notifications::preferences_form)
        .post("/konto/aviseringar", notifications::save_preferences)
        .get("/glomt-losenord", auth::forgot_form)
        .post("/glomt-losenord", auth::forgot)
        .get("/aterstall/{token}", auth::reset_form)
        .post("/aterstall/{token}", auth::reset)
        .get("/arenden", cases::list)
        .get("/arenden/nytt", cases::new_form)
        .post("/arenden/nytt", cases::create)
        .get("/arenden/{number}", cases::show)
        .post("/arenden/{number}/atgard", cases::act)
        .post("/arenden/{number}/bilagor", cases::upload)
        .get("/arenden/{number}/bilagor/{id}", cases::download)
        .get("/betalning", payment::overview)
        .post("/betalning/publicera", payment::publish)
        .get("/granskning", payment::review_list)
        .post("/granskning/{id}/svar", payment::review_answer)
        .get("/betalning/importer", payment::imports)
        .post("/betalning/importer", payment::upload)
        .get("/betalning/{month}/versioner", payment::versions)
        .get("/betalning/{month}/versioner/{version}", payment::version_diff)
        .get("/betalning/{month}/enhet", payment::unit)
        .get("/betalning/{month}/enhet.{format}", payment::unit_download)
        .get("/tolkningar", interpretations::register)
        .get("/tolkningar.{format}", interpretations::register_download)
        .get("/ataganden", interpretations::catalogue)
        .get("/rapporter", reports::cases_report)
        .get("/rapporter/arenden", reports::cases_report)
        .get("/rapporter/arenden.{format}", reports::cases_download)
        .get("/rapporter/betalning", reports::payment_report)
        .get("/rapporter/betalning.{format}", reports::payment_download)
        .get("/organisationer", organisations::list)
        .get("/organisationer/{id}", organisations::show);
    // Grouped for tidiness only: every handler here takes an `AdminUser`, which is the check.
    r.scope("/admin", |r| {
        r.get("/anvandare", admin::users)
            .get("/anvandare/ny", admin::new_user_form)
            .post("/anvandare/ny", admin::create_user)
            .get("/anvandare/{id}", admin::edit_user_form)
            .post("/anvandare/{id}", admin::update_user)
            .get("/enheter", admin::units)
            .get("/enheter/ny", admin::new_unit_form)
            .post("/enheter/ny", admin::create_unit)
            .get("/enheter/{id}", admin::edit_unit_form)
            .post("/enheter/{id}", admin::update_unit)
            .get("/frister", admin::deadlines)
            .post("/frister", admin::save_deadlines)
            .get("/betalning", payment::settings_page)
            .post("/betalning/dagbelopp", payment::save_daily_rate)
            .post("/betalning/installningar", payment::save_settings)
            .post("/organisationer/{id}/brevlada", notifications::save_mailbox)
            .get("/utkorg", notifications::outbox_page)
            .post("/utkorg/{id}/igen", notifications::retry)
            .get("/inloggning", providers::list)
            .get("/inloggning/ny", providers::new_form)
            .post("/inloggning/ny", providers::create)
            .get("/inloggning/{id}", providers::edit_form)
            .post("/inloggning/{id}", providers::update)
            .get("/logg", admin::audit_log);
    });
}

pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
}

/// `page` rendered into room for `rows` list rows: askama starts from the size of the
/// template's own text and grows the buffer by doubling, copying a list page of 50 rows
/// some six times over.
pub fn rendered_list(page: &impl askama::Template, rows: usize) -> Result<String, askama::Error> {
    const PAGE_BYTES: usize = 12 * 1024;
    const ROW_BYTES: usize = 400;
    let mut body = String::with_capacity(PAGE_BYTES + rows * ROW_BYTES);
    page.render_into(&mut body)?;
    Ok(body)
}

pub fn ok_html(body: String) -> HttpResponse {
    html(actix_web::http::StatusCode::OK, body)
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther().insert_header((header::LOCATION, location.to_owned())).finish()
}

async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/app.css"))
}

async fn counterpart_search() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(include_str!("../../static/motpart.js"))
}

/// Ready to serve: the database answers. (`/healthz` only says the process is alive, so a
/// load balancer can tell a restart of the database from a dead app server.)
async fn readiness(state: web::Data<AppState>) -> HttpResponse {
    use diesel::connection::SimpleConnection;
    let answered = state.blocking(|conn| Ok(crate::db_run!(conn, |c| c.batch_execute("SELECT 1"))?)).await;
    match answered {
        Ok(()) => HttpResponse::Ok().content_type("text/plain; charset=utf-8").body("ok"),
        Err(_) => HttpResponse::ServiceUnavailable().content_type("text/plain; charset=utf-8").body("the database does not answer"),
    }
}

async fn not_found() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}

/// Starts the HTTP server on an already bound listener (port 0 in tests).
pub fn serve(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<actix_web::dev::Server> {
    let workers = state.config.workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Database work runs on each worker's blocking threads. More of them than there are
    // pooled connections only adds threads that queue on the pool's lock and wake each
    // other (measured: a third of the CPU went to futex wake-ups at 64 connections).
    let blocking_threads = (state.config.pool_size as usize).div_ceil(workers).max(1);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(guard::FORM_LIMIT).error_handler(|e, _| error::bad_input(e)))
            .app_data(web::PathConfig::default().error_handler(|e, _| error::bad_input(e)))
            .app_data(web::QueryConfig::default().error_handler(|e, _| error::bad_input(e)))
            .wrap(middleware::from_fn(guard::gate))
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((header::CONTENT_SECURITY_POLICY, CSP))
                    .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                    .add((header::X_FRAME_OPTIONS, "DENY"))
                    .add((header::REFERRER_POLICY, "same-origin"))
                    .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()")),
            )
            .configure(routes)
            .default_service(web::to(not_found))
    })
    .workers(workers)
    .worker_max_blocking_threads(blocking_threads)
    .listen(listener)?;
    Ok(server.run())
}
