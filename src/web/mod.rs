//! The web shell: thin handlers that parse input, call the domain and the store, and render.

pub mod admin;
pub mod auth;
pub mod cases;
pub mod charts;
pub mod error;
pub mod export;
pub mod forms;
pub mod guard;
pub mod home;
pub mod notifications;
pub mod organisations;
pub mod page;
pub mod payment;
pub mod reports;

use crate::config::Config;
use crate::db::{DbConn, Pool};
use actix_web::http::header;
use actix_web::{middleware, web, App, HttpResponse, HttpServer};
use error::AppError;
use std::net::TcpListener;

pub struct AppState {
    pub config: Config,
    pub pool: Pool,
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
            let mut conn = self.pool.get().map_err(|e| AppError::Internal(format!("database pool: {e}")))?;
            return work(&mut conn);
        }
        self.run(work).await
    }

    /// Runs blocking database work (writes, password hashing) on a blocking thread, with a
    /// connection from the pool.
    pub async fn run<T, F>(&self, work: F) -> Result<T, AppError>
    where
        T: Send + 'static,
        F: FnOnce(&mut DbConn) -> Result<T, AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| AppError::Internal(format!("database pool: {e}")))?;
            work(&mut conn)
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
}

const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(home::start))
        .route("/healthz", web::get().to(|| async { HttpResponse::Ok().body("ok") }))
        .route("/static/app.css", web::get().to(stylesheet))
        .route("/logga-in", web::get().to(auth::login_form))
        .route("/logga-in", web::post().to(auth::login))
        .route("/logga-ut", web::post().to(auth::logout))
        .route("/konto/losenord", web::get().to(auth::password_form))
        .route("/konto/losenord", web::post().to(auth::change_password))
        .route("/konto/aviseringar", web::get().to(notifications::preferences_form))
        .route("/konto/aviseringar", web::post().to(notifications::save_preferences))
        .route("/glomt-losenord", web::get().to(auth::forgot_form))
        .route("/glomt-losenord", web::post().to(auth::forgot))
        .route("/aterstall/{token}", web::get().to(auth::reset_form))
        .route("/aterstall/{token}", web::post().to(auth::reset))
        .route("/arenden", web::get().to(cases::list))
        .route("/arenden/nytt", web::get().to(cases::new_form))
        .route("/arenden/nytt", web::post().to(cases::create))
        .route("/arenden/{number}", web::get().to(cases::show))
        .route("/arenden/{number}/atgard", web::post().to(cases::act))
        .route("/arenden/{number}/bilagor", web::post().to(cases::upload))
        .route("/arenden/{number}/bilagor/{id}", web::get().to(cases::download))
        .route("/betalning", web::get().to(payment::overview))
        .route("/betalning/publicera", web::post().to(payment::publish))
        .route("/granskning", web::get().to(payment::review_list))
        .route("/granskning/{id}/svar", web::post().to(payment::review_answer))
        .route("/betalning/importer", web::get().to(payment::imports))
        .route("/betalning/importer", web::post().to(payment::upload))
        .route("/betalning/{month}/versioner", web::get().to(payment::versions))
        .route("/betalning/{month}/versioner/{version}", web::get().to(payment::version_diff))
        .route("/betalning/{month}/enhet", web::get().to(payment::unit))
        .route("/betalning/{month}/enhet.{format}", web::get().to(payment::unit_download))
        .route("/rapporter", web::get().to(reports::cases_report))
        .route("/rapporter/arenden", web::get().to(reports::cases_report))
        .route("/rapporter/arenden.{format}", web::get().to(reports::cases_download))
        .route("/rapporter/betalning", web::get().to(reports::payment_report))
        .route("/rapporter/betalning.{format}", web::get().to(reports::payment_download))
        .route("/organisationer", web::get().to(organisations::list))
        .route("/organisationer/{id}", web::get().to(organisations::show))
        .route("/admin/anvandare", web::get().to(admin::users))
        .route("/admin/anvandare/ny", web::get().to(admin::new_user_form))
        .route("/admin/anvandare/ny", web::post().to(admin::create_user))
        .route("/admin/anvandare/{id}", web::get().to(admin::edit_user_form))
        .route("/admin/anvandare/{id}", web::post().to(admin::update_user))
        .route("/admin/enheter", web::get().to(admin::units))
        .route("/admin/enheter/ny", web::get().to(admin::new_unit_form))
        .route("/admin/enheter/ny", web::post().to(admin::create_unit))
        .route("/admin/enheter/{id}", web::get().to(admin::edit_unit_form))
        .route("/admin/enheter/{id}", web::post().to(admin::update_unit))
        .route("/admin/frister", web::get().to(admin::deadlines))
        .route("/admin/frister", web::post().to(admin::save_deadlines))
        .route("/admin/betalning", web::get().to(payment::settings_page))
        .route("/admin/betalning/dagbelopp", web::post().to(payment::save_daily_rate))
        .route("/admin/betalning/installningar", web::post().to(payment::save_settings))
        .route("/admin/organisationer/{id}/brevlada", web::post().to(notifications::save_mailbox))
        .route("/admin/utkorg", web::get().to(notifications::outbox_page))
        .route("/admin/utkorg/{id}/igen", web::post().to(notifications::retry))
        .route("/admin/logg", web::get().to(admin::audit_log));
}

pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status).content_type("text/html; charset=utf-8").body(body)
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
