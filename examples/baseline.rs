//! The same-run baseline for `bench/compare.sh`: a bare "Fortunes" page (TechEmpower's test
//! of a framework, a database and a template engine together) built from exactly what the
//! service is built from — actix-web, an r2d2 pool of diesel connections on SQLite or
//! PostgreSQL by URL, askama — and nothing else: no session, no CSRF, no layout.
//!
//!     DATABASE_URL=sqlite:///tmp/fortunes.db BIND=127.0.0.1:18080 \
//!         cargo run --release --example baseline
//!
//! The pool, its size and the threads follow the service's own choices (one worker per
//! core; SQLite read on the worker, PostgreSQL on a blocking thread), so the ratio of a page
//! to this one measures the page, not a different set-up.

use actix_web::{web, App, HttpResponse, HttpServer};
use askama::Template;
use diesel::prelude::*;
use tvistetrappa::db::{checkout, BackendKind, DbConn, DbUrl, Pool};
use tvistetrappa::db_run;

diesel::table! {
    fortune (id) {
        id -> Integer,
        message -> Text,
    }
}

// Written by POST /fortunes, the baseline of a write: one row per request, in its own
// transaction, as the service writes.
diesel::table! {
    note (id) {
        id -> Integer,
        message -> Text,
    }
}

const FORTUNES: [&str; 12] = [
    "fortune: No such file or directory",
    "A computer scientist is someone who fixes things that aren't broken.",
    "After enough decimal places, nobody gives a damn.",
    "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    "A computer program does what you tell it to do, not what you want it to do.",
    "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    "Any program that runs right is obsolete.",
    "A list is only as strong as its weakest link. — Donald Knuth",
    "Feature: A bug with seniority.",
    "Computers make very fast, very accurate mistakes.",
    "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    "フレームワークのベンチマーク",
];

#[derive(Template)]
#[template(
    source = "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table><tr><th>id</th><th>message</th></tr>{% for f in fortunes %}<tr><td>{{ f.0 }}</td><td>{{ f.1 }}</td></tr>{% endfor %}</table></body></html>",
    ext = "html"
)]
struct FortunesPage {
    fortunes: Vec<(i32, String)>,
}

fn render(conn: &mut DbConn) -> Result<String, String> {
    let mut fortunes: Vec<(i32, String)> =
        db_run!(conn, |c| fortune::table.select((fortune::id, fortune::message)).load(c)).map_err(|e| e.to_string())?;
    fortunes.push((0, "Additional fortune added at request time.".to_owned()));
    fortunes.sort_by(|a, b| a.1.cmp(&b.1));
    FortunesPage { fortunes }.render().map_err(|e| e.to_string())
}

async fn fortunes(pool: web::Data<Pool>, kind: web::Data<BackendKind>) -> HttpResponse {
    let work = move |pool: &Pool| checkout(pool).map_err(|e| e.to_string()).and_then(|mut conn| render(&mut conn));
    let page = if **kind == BackendKind::Sqlite {
        work(&pool)
    } else {
        let pool = pool.clone();
        web::block(move || work(&pool)).await.unwrap_or_else(|e| Err(e.to_string()))
    };
    match page {
        Ok(body) => HttpResponse::Ok().content_type("text/html; charset=utf-8").body(body),
        Err(e) => HttpResponse::InternalServerError().body(e),
    }
}

/// Writes run on a blocking thread on both backends, as the service's do.
async fn write(pool: web::Data<Pool>, body: web::Bytes) -> HttpResponse {
    let message = String::from_utf8_lossy(&body).into_owned();
    let pool = pool.clone();
    let written = web::block(move || {
        let mut conn = checkout(&pool).map_err(|e| e.to_string())?;
        conn.write(|conn| db_run!(conn, |c| diesel::insert_into(note::table).values(note::message.eq(&message)).execute(c)))
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    match written {
        Ok(_) => HttpResponse::SeeOther().insert_header(("Location", "/fortunes")).finish(),
        Err(e) => HttpResponse::InternalServerError().body(e),
    }
}

fn prepare(conn: &mut DbConn) -> QueryResult<()> {
    db_run!(conn, |c| diesel::sql_query("CREATE TABLE IF NOT EXISTS fortune (id INTEGER PRIMARY KEY, message TEXT NOT NULL)").execute(c))?;
    let serial = if matches!(conn.inner, tvistetrappa::db::Backend::Pg(_)) { "SERIAL" } else { "INTEGER" };
    let create = format!("CREATE TABLE IF NOT EXISTS note (id {serial} PRIMARY KEY, message TEXT NOT NULL)");
    db_run!(conn, |c| diesel::sql_query(&create).execute(c))?;
    let rows: i64 = db_run!(conn, |c| fortune::table.count().get_result(c))?;
    if rows == 0 {
        let values: Vec<_> = FORTUNES.iter().zip(1..).map(|(m, id)| (fortune::id.eq(id), fortune::message.eq(*m))).collect();
        db_run!(conn, |c| diesel::insert_into(fortune::table).values(&values).execute(c))?;
    }
    Ok(())
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let url = std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://fortunes.db".to_owned());
    let bind = std::env::var("BIND").unwrap_or_else(|_| "127.0.0.1:18080".to_owned());
    let url = DbUrl::parse(&url).map_err(std::io::Error::other)?;
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    // The service's default pool sizes (config.rs).
    let default_pool = if url.kind == BackendKind::Sqlite { 8 } else { 16 };
    let pool_size = std::env::var("POOL_SIZE").ok().and_then(|s| s.parse().ok()).unwrap_or(default_pool);
    prepare(&mut url.connect().map_err(std::io::Error::other)?).map_err(std::io::Error::other)?;
    let pool = url.pool(pool_size).map_err(std::io::Error::other)?;
    let kind = url.kind;
    HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(pool.clone()))
            .app_data(web::Data::new(kind))
            .route("/fortunes", web::get().to(fortunes))
            .route("/fortunes", web::post().to(write))
    })
    .workers(workers)
    .worker_max_blocking_threads((pool_size as usize).div_ceil(workers).max(1))
    .bind(bind)?
    .run()
    .await
}
