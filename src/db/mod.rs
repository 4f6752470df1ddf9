//! The only place that knows there are two databases. Store code runs its queries through
//! [`db_run!`], which compiles the same diesel expression for both backends, and groups writes
//! with [`DbConn::write`], which opens an SQLite write transaction with `BEGIN IMMEDIATE`.

mod dates;
mod page;
pub use page::Page;
pub mod schema;
pub use dates::{Moment, OptionalDay, OptionalMoment};
pub mod stamp;
mod text_enums;
mod writer;
use writer::Writer;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::{self, ManageConnection};
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::PathBuf;
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

// SQLite's full-text `MATCH` as an operator, whose statements diesel caches: one written as a
// `sql` literal or through `sql_query` is prepared again on every call (?q=SIP spent a ninth
// of its time preparing).
diesel::infix_operator!(Matches, " MATCH ", backend: diesel::sqlite::Sqlite);

/// Runs `$body` with `$c` bound to the concrete diesel connection of either backend.
#[macro_export]
macro_rules! db_run {
    ($conn:expr, |$c:ident| $body:expr) => {
        match &mut $conn.inner {
            $crate::db::Backend::Sqlite($c) => $body,
            $crate::db::Backend::Pg($c) => $body,
        }
    };
}

pub enum Backend {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

pub struct DbConn {
    pub inner: Backend,
    /// Set while a transaction of ours is open; a connection given back to the pool with it
    /// still set (a panic mid-transaction) is thrown away instead of reused.
    in_transaction: bool,
    /// A query on it failed: it may be dead (the server restarted), so it is not reused.
    suspect: bool,
    /// Where a pooled SQLite connection's writes go; `None` for a connection of its own.
    writer: Option<Writer>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BackendKind {
    Sqlite,
    Postgres,
}

impl BackendKind {
    /// Whether two connections write faster than one: PostgreSQL stores each connection's rows
    /// in a server process of its own (one core each); SQLite lets one writer in at a time.
    pub fn writes_in_parallel(self) -> bool {
        self == BackendKind::Postgres
    }
}

/// A database URL whose scheme has been checked.
#[derive(Clone)]
pub struct DbUrl {
    pub kind: BackendKind,
    /// For SQLite the file path, for PostgreSQL the URL as given.
    target: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("DATABASE_URL {0} has an unknown scheme; use sqlite://PATH or postgres://USER@HOST/DB")]
    UnknownScheme(String),
    #[error("cannot open the database {url}: {reason}")]
    Connect { url: String, reason: String },
    #[error("migrations on {url} failed: {reason}")]
    Migrate { url: String, reason: String },
    #[error("no database connection available: {0}")]
    Pool(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

impl DbUrl {
    pub fn parse(url: &str) -> Result<DbUrl, DbError> {
        let url = url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(DbUrl { kind: BackendKind::Postgres, target: url.to_owned() });
        }
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"));
        match path {
            Some(path) if !path.is_empty() && path != ":memory:" => Ok(DbUrl { kind: BackendKind::Sqlite, target: path.to_owned() }),
            _ => Err(DbError::UnknownScheme(redact(url))),
        }
    }

    /// The URL with any password replaced, safe for messages and logs.
    pub fn redacted(&self) -> String {
        match self.kind {
            BackendKind::Sqlite => format!("sqlite://{}", self.target),
            BackendKind::Postgres => redact(&self.target),
        }
    }

    pub fn sqlite_path(&self) -> Option<PathBuf> {
        (self.kind == BackendKind::Sqlite).then(|| PathBuf::from(&self.target))
    }

    pub fn connect(&self) -> Result<DbConn, DbError> {
        let fail = |reason: String| DbError::Connect { url: self.redacted(), reason };
        let inner = match self.kind {
            BackendKind::Postgres => Backend::Pg(PgConnection::establish(&self.target).map_err(|e| fail(e.to_string().trim().to_owned()))?),
            BackendKind::Sqlite => {
                if let Some(dir) = PathBuf::from(&self.target).parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
                }
                sqlite_connection_settings();
                let mut conn = SqliteConnection::establish(&self.target).map_err(|e| fail(e.to_string()))?;
                // The busy handler is set as SQLite opens the connection, so switching to WAL
                // waits for other connections. synchronous=FULL: every commit survives a power
                // cut, which decisions and the mail outbox need; reads, the bulk of the load,
                // do not pay for it.
                // temp_store=MEMORY: a statement of many rows (an import's INSERTs) keeps the
                // pages it may have to undo in memory, not in a temporary file written page by
                // page (measured: 1.9 million writes for an import of a million rows).
                conn.batch_execute(
                    "PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
                )
                .map_err(|e| fail(e.to_string()))?;
                Backend::Sqlite(conn)
            }
        };
        Ok(DbConn { inner, in_transaction: false, suspect: false, writer: None })
    }

    pub fn pool(&self, size: u32) -> Result<Pool, DbError> {
        // Connect once up front so that a bad URL fails with its own message, not a timeout.
        drop(self.connect()?);
        r2d2::Pool::builder()
            .max_size(size)
            // Testing every checkout would cost a round trip per request (measured: about a
            // fifth of the PostgreSQL throughput); `checkout` tests only after a failure.
            .test_on_check_out(false)
            // r2d2 retries a failed connect with a back-off capped at half of this, so a short
            // time-out lets the pool heal within half a second of the database's return; a
            // merely busy pool is waited on longer in `get`.
            .connection_timeout(Duration::from_secs(1))
            .build(DbManager { url: self.clone(), writer: (self.kind == BackendKind::Sqlite).then(|| Writer::new(self.clone())) })
            .map_err(|e| DbError::Pool(e.to_string()))
    }

    pub fn migrate(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.connect()?;
        conn.migrate().map_err(|reason| DbError::Migrate { url: self.redacted(), reason })
    }
}

/// Settings every SQLite connection of this process gets as SQLite opens it, through an
/// auto-extension (diesel does not hand out its connection's handle):
///
/// - The query planner stability guarantee: without it SQLite plans a `LIMIT ?` (and a
///   `LIKE ?`) by the value bound, and so marks the statement stale each time diesel binds it
///   again: every cached statement was parsed and planned anew on every run (measured: two
///   re-prepares per case-list request, a fifth of the page's CPU).
/// - A busy handler that tries again every quarter of a millisecond, for [`LOCK_WAIT`] in
///   all. SQLite's own sleeps 1, 2, 5 … 100 ms between tries; a server whose writes saturate
///   SQLite (`writer`) frees the lock only between its transactions, for some 0.1 ms, and the
///   CLI waited 0.85–3.4 s for such a gap under 16 connections of filing.
fn sqlite_connection_settings() {
    use libsqlite3_sys as ffi;
    use std::ffi::{c_char, c_int, c_void};
    unsafe extern "C" fn wait_briefly(_: *mut c_void, tries: c_int) -> c_int {
        if Duration::from_micros(LOCK_POLL_MICROS) * tries.max(0) as u32 >= LOCK_WAIT {
            return 0;
        }
        std::thread::sleep(Duration::from_micros(LOCK_POLL_MICROS));
        1
    }
    unsafe extern "C" fn settle(db: *mut ffi::sqlite3, _: *mut *mut c_char, _: *const ffi::sqlite3_api_routines) -> c_int {
        // SAFETY: SQLite calls this with the connection it is opening; the option takes an
        // int and an optional int pointer for the old value, for which null is allowed; the
        // busy handler is a plain function that needs no argument.
        let planned = unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>()) };
        if planned != ffi::SQLITE_OK {
            return planned;
        }
        // SAFETY: as above.
        unsafe { ffi::sqlite3_busy_handler(db, Some(wait_briefly), std::ptr::null_mut()) }
    }
    static REGISTERED: std::sync::Once = std::sync::Once::new();
    REGISTERED.call_once(|| {
        // SAFETY: registering a function pointer with the signature SQLite expects; it
        // stays valid for the life of the process.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(settle)) };
        if rc != ffi::SQLITE_OK {
            log::warn!("SQLite connections keep SQLite's default settings: auto-extension refused ({rc})");
        }
    });
}

/// How long a SQLite connection waits for another's lock, and how often it looks.
const LOCK_WAIT: Duration = Duration::from_secs(10);
const LOCK_POLL_MICROS: u64 = 250;

fn redact(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        Ok(parsed) => parsed.to_string(),
        Err(_) if url.contains('@') => "<a URL that cannot be parsed>".to_owned(),
        Err(_) => url.to_owned(),
    }
}

impl DbConn {
    pub fn kind(&self) -> BackendKind {
        match self.inner {
            Backend::Sqlite(_) => BackendKind::Sqlite,
            Backend::Pg(_) => BackendKind::Postgres,
        }
    }

    /// Runs the pending migrations and returns their names.
    pub fn migrate(&mut self) -> Result<Vec<String>, String> {
        let applied = match &mut self.inner {
            Backend::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect()),
            Backend::Pg(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|v| v.iter().map(|m| m.to_string()).collect()),
        };
        applied.map_err(|e| e.to_string())
    }

    /// Runs `work` in one transaction: all of it is written or none. On SQLite the
    /// transaction takes the write lock at once (`BEGIN IMMEDIATE`), because a deferred one
    /// that reads and then writes fails under concurrency instead of waiting. Inside an open
    /// transaction, `work` joins it (a store function that writes in one transaction may be
    /// called as part of a larger one). A pooled SQLite connection's write runs on the pool's
    /// writer, as a savepoint of a transaction it may share with other writes (`writer`).
    pub fn write<T, E>(&mut self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        if self.in_transaction {
            return work(self);
        }
        match self.writer.clone() {
            Some(writer) => writer.write(self, work),
            None => self.transaction(work),
        }
    }

    /// `work` in a transaction of this connection's own.
    fn transaction<T, E>(&mut self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        let begin = match self.inner {
            Backend::Sqlite(_) => "BEGIN IMMEDIATE",
            Backend::Pg(_) => "BEGIN",
        };
        self.batch(begin)?;
        self.in_transaction = true;
        let outcome = work(self);
        let ended = self.batch(if outcome.is_ok() { "COMMIT" } else { "ROLLBACK" });
        self.in_transaction = false;
        match (outcome, ended) {
            (Ok(value), Ok(())) => Ok(value),
            (Ok(_), Err(e)) => {
                let _ = self.batch("ROLLBACK");
                Err(e.into())
            }
            (Err(e), _) => Err(e),
        }
    }

    fn batch(&mut self, sql: &str) -> diesel::QueryResult<()> {
        db_run!(self, |c| c.batch_execute(sql))
    }

    /// Runs `work`, which only reads, so that all its queries see the database as it was at
    /// one moment (a page built from several queries then shows one state of a case).
    ///
    /// On SQLite that is one read transaction. A write inside would race to upgrade the
    /// snapshot, so a debug build (the tests) makes the connection query-only meanwhile and
    /// refuses it at once; a release build does not, because changing that setting makes
    /// SQLite prepare every cached statement again (measured: a third slower). Outside a
    /// transaction each query begins and ends a read transaction of its own, which on SQLite
    /// takes and drops a lock on the WAL's shared index, a mutex and an `fcntl` call each way
    /// (perf: 15 % of a small signed-in page's CPU for one query). The case page reads some
    /// eight times. On PostgreSQL each statement sees what was committed when it began
    /// (READ COMMITTED), as before: a transaction would add two round trips to every page.
    /// Inside an open transaction, `work` joins it.
    pub fn snapshot<T, E>(&mut self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        if self.in_transaction || matches!(self.inner, Backend::Pg(_)) {
            return work(self);
        }
        let (begin, end) =
            if cfg!(debug_assertions) { ("BEGIN; PRAGMA query_only = ON", "PRAGMA query_only = OFF; COMMIT") } else { ("BEGIN", "COMMIT") };
        db_run!(self, |c| c.batch_execute(begin))?;
        self.in_transaction = true;
        let outcome = work(self);
        let ended = db_run!(self, |c| c.batch_execute(end));
        self.in_transaction = false;
        if ended.is_err() {
            // Perhaps still inside the transaction: not to be handed out again.
            self.suspect = true;
            let _ = db_run!(self, |c| c.batch_execute("ROLLBACK"));
        }
        let value = outcome?;
        ended?;
        Ok(value)
    }

    /// [`write`](Self::write) for a transaction that need not survive a crash on its own:
    /// a later one that does is what makes it count (an import's staged batches: an import
    /// left half-written is discarded, and the commit that makes it current waits for the
    /// disk). Its commit does not wait for the disk; the later one brings it along, as both
    /// backends write their log in order. Inside a transaction, `work` simply joins it.
    pub fn write_unsynced<T, E>(&mut self, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        if self.in_transaction {
            return work(self);
        }
        match self.inner {
            Backend::Pg(_) => self.write(|conn| {
                db_run!(conn, |c| c.batch_execute("SET LOCAL synchronous_commit = off"))?;
                work(conn)
            }),
            // SQLite takes the level only outside a transaction, for the connection: it is put
            // back after, and a connection that could not be put back is not reused. The write
            // is this connection's own, not the pool's writer's, whose commits wait for the disk.
            Backend::Sqlite(_) => {
                self.batch("PRAGMA synchronous = NORMAL")?;
                let outcome = self.transaction(work);
                if self.batch("PRAGMA synchronous = FULL").is_err() {
                    self.suspect = true;
                }
                outcome
            }
        }
    }

    /// Inside [`write`](Self::write): waits until no other transaction holds `key`, and holds
    /// it until this one ends, so a count-then-insert on the key cannot race. SQLite's
    /// `BEGIN IMMEDIATE` already lets one writer in at a time; PostgreSQL takes an advisory
    /// lock on the key's hash.
    pub fn lock(&mut self, key: &str) -> diesel::QueryResult<()> {
        match &mut self.inner {
            Backend::Sqlite(_) => Ok(()),
            Backend::Pg(c) => {
                use diesel::RunQueryDsl;
                diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                    .bind::<diesel::sql_types::Text, _>(key)
                    .execute(c)
                    .map(drop)
            }
        }
    }
}

pub type Pool = r2d2::Pool<DbManager>;
pub type PooledConn = r2d2::PooledConnection<DbManager>;

/// Whether the last checkout failed, so that losing and regaining the database is logged
/// once each rather than at every request.
static DATABASE_LOST: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
/// When a query last failed (milliseconds since the epoch; 0: never).
static LAST_FAILURE_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// How long after a failure every connection is tested as it is handed out.
const SUSPICION: Duration = Duration::from_secs(30);

fn epoch_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// A query failed somewhere: for a while, connections are tested before use. When
/// PostgreSQL restarts every pooled connection is dead, and this finds each of them after
/// one failed request instead of letting them fail until the pool's idle time-out.
pub fn note_failure() {
    LAST_FAILURE_MS.store(epoch_ms(), std::sync::atomic::Ordering::Relaxed);
}

impl DbConn {
    /// A query on this connection failed: it is not reused, and others are tested for a while.
    pub fn failed(&mut self) {
        self.suspect = true;
        note_failure();
    }
}

/// A connection from the pool, tested first while failures are recent; says in the log when
/// the database is lost and when it is back.
pub fn checkout(pool: &Pool) -> Result<PooledConn, r2d2::PoolError> {
    use diesel::connection::SimpleConnection;
    use std::sync::atomic::Ordering;
    for _ in 0..=pool.max_size() {
        let mut conn = get(pool)?;
        let last = LAST_FAILURE_MS.load(Ordering::Relaxed);
        let suspicious = last != 0 && epoch_ms().saturating_sub(last) < SUSPICION.as_millis() as u64;
        if !suspicious || db_run!(conn, |c| c.batch_execute("SELECT 1")).is_ok() {
            return Ok(conn);
        }
        // Dead: dropped unused (it reports itself broken), and the pool makes a new one.
        conn.failed();
    }
    get(pool)
}

/// How long a request waits for a connection while every connection is alive but in use.
const BUSY_WAIT: Duration = Duration::from_secs(5);

fn get(pool: &Pool) -> Result<PooledConn, r2d2::PoolError> {
    use std::sync::atomic::Ordering;
    let started = std::time::Instant::now();
    let mut got = pool.get();
    // Every connection alive and handed out: the service is busy, not cut off; wait on.
    while got.is_err() && pool.state().connections == pool.max_size() && started.elapsed() < BUSY_WAIT {
        got = pool.get();
    }
    match got {
        Ok(conn) => {
            if DATABASE_LOST.swap(false, Ordering::Relaxed) {
                log::info!("the database answers again");
            }
            Ok(conn)
        }
        Err(e) => {
            if !DATABASE_LOST.swap(true, Ordering::Relaxed) {
                log::error!("the database does not answer: {e}");
            }
            Err(e)
        }
    }
}

#[derive(Clone)]
pub struct DbManager {
    url: DbUrl,
    /// SQLite: the pool's writes, on a connection of their own (see `writer`).
    writer: Option<Writer>,
}

impl ManageConnection for DbManager {
    type Connection = DbConn;
    type Error = DbError;

    fn connect(&self) -> Result<DbConn, DbError> {
        let mut conn = self.url.connect()?;
        conn.writer = self.writer.clone();
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), DbError> {
        db_run!(conn, |c| c.batch_execute("SELECT 1")).map_err(DbError::from)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        conn.in_transaction || conn.suspect
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A connection opened after the first SQLite connect plans without looking at bound
    /// values, so diesel's cached statements are not prepared again on each run.
    #[test]
    fn sqlite_connections_keep_their_plans_whatever_is_bound() {
        use libsqlite3_sys as ffi;
        let dir = tempfile::tempdir().unwrap();
        let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("plans.db").display())).unwrap();
        drop(url.connect().unwrap());
        let path = std::ffi::CString::new(dir.path().join("plans.db").to_str().unwrap()).unwrap();
        let mut db = std::ptr::null_mut();
        let mut enabled: std::ffi::c_int = -1;
        // SAFETY: a connection of this test's own, asked for one setting and closed.
        unsafe {
            assert_eq!(ffi::sqlite3_open(path.as_ptr(), &mut db), ffi::SQLITE_OK);
            assert_eq!(ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1, &mut enabled as *mut std::ffi::c_int), ffi::SQLITE_OK);
            ffi::sqlite3_close(db);
        }
        assert_eq!(enabled, 1);
    }

    /// A connection that finds the write lock taken waits for it (the busy handler set as
    /// SQLite opens each connection) instead of failing at once, as SQLite does without one.
    #[test]
    fn a_sqlite_connection_waits_for_anothers_write_lock() {
        let dir = tempfile::tempdir().unwrap();
        let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("lock.db").display())).unwrap();
        let (mut holder, mut waiter) = (url.connect().unwrap(), url.connect().unwrap());
        holder.batch("CREATE TABLE t (x INTEGER); BEGIN IMMEDIATE; INSERT INTO t VALUES (1)").unwrap();
        std::thread::scope(|s| {
            let waited = s.spawn(|| waiter.transaction(|c| c.batch("INSERT INTO t VALUES (2)")));
            std::thread::sleep(Duration::from_millis(300));
            assert!(!waited.is_finished(), "the second connection waits while the first holds the lock");
            holder.batch("COMMIT").unwrap();
            waited.join().unwrap().expect("the second connection writes once the first commits");
        });
    }

    /// An unsynced write commits what it wrote, and the connection then waits for the disk
    /// again; inside a transaction it changes nothing about how that transaction commits.
    #[test]
    fn an_unsynced_write_commits_and_puts_the_sqlite_connection_back_to_full() {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Number {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let number = |conn: &mut DbConn, sql: &str| -> i64 {
            let Backend::Sqlite(c) = &mut conn.inner else { unreachable!("a SQLite URL") };
            diesel::sql_query(sql).get_result::<Number>(c).unwrap().n
        };
        let level = |conn: &mut DbConn| number(conn, "SELECT synchronous AS n FROM pragma_synchronous");
        let dir = tempfile::tempdir().unwrap();
        let mut conn = DbUrl::parse(&format!("sqlite://{}", dir.path().join("sync.db").display())).unwrap().connect().unwrap();
        let run = |conn: &mut DbConn, sql: &str| db_run!(conn, |c| c.batch_execute(sql));
        run(&mut conn, "CREATE TABLE t (x INTEGER)").unwrap();
        let inside = conn.write_unsynced(|conn| -> Result<i64, diesel::result::Error> {
            run(conn, "INSERT INTO t VALUES (1)")?;
            Ok(level(conn))
        });
        assert_eq!(inside.unwrap(), 1, "NORMAL while it writes");
        assert_eq!(level(&mut conn), 2, "FULL after");
        let joined = conn.write(|conn| conn.write_unsynced(|conn| run(conn, "INSERT INTO t VALUES (2)").map(|()| level(conn))));
        assert_eq!(joined.unwrap(), 2, "an enclosing transaction keeps FULL");
        let refused = conn.write_unsynced(|conn| run(conn, "INSERT INTO missing VALUES (3)"));
        assert!(refused.is_err());
        assert_eq!(level(&mut conn), 2, "FULL after a failed write too");
        assert_eq!(number(&mut conn, "SELECT count(*) AS n FROM t"), 2);
    }

    /// A snapshot's queries all see the database as it was when the first of them ran, even
    /// when another connection commits in between; after it, the connection sees the change.
    /// A write inside is refused (in the debug build the tests run), and the connection is
    /// usable for writes after the snapshot.
    #[test]
    fn a_snapshot_sees_one_moment_and_refuses_writes() {
        use diesel::prelude::*;
        let dir = tempfile::tempdir().unwrap();
        let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("snapshot.db").display())).unwrap();
        let (mut reader, mut writer) = (url.connect().unwrap(), url.connect().unwrap());
        let execute = |conn: &mut DbConn, sql: &str| {
            let Backend::Sqlite(c) = &mut conn.inner else { unreachable!("a SQLite URL") };
            diesel::sql_query(sql).execute(c)
        };
        let count = |conn: &mut DbConn| -> diesel::QueryResult<i64> {
            let Backend::Sqlite(c) = &mut conn.inner else { unreachable!("a SQLite URL") };
            diesel::dsl::sql::<diesel::sql_types::BigInt>("SELECT count(*) FROM t").get_result(c)
        };
        execute(&mut writer, "CREATE TABLE t (x INTEGER)").unwrap();
        let seen = reader
            .snapshot(|conn| {
                let before = count(conn)?;
                execute(&mut writer, "INSERT INTO t VALUES (1)")?;
                Ok::<_, diesel::result::Error>((before, count(conn)?))
            })
            .unwrap();
        assert_eq!(seen, (0, 0));
        assert_eq!(count(&mut reader).unwrap(), 1);
        let refused = reader.snapshot(|conn| execute(conn, "INSERT INTO t VALUES (2)"));
        assert!(refused.is_err(), "{refused:?}");
        execute(&mut reader, "INSERT INTO t VALUES (3)").unwrap();
        assert_eq!(count(&mut writer).unwrap(), 2);
    }

    #[test]
    fn schemes_choose_the_backend() {
        assert_eq!(DbUrl::parse("sqlite://data/x.db").unwrap().kind, BackendKind::Sqlite);
        assert_eq!(DbUrl::parse("sqlite:data/x.db").unwrap().sqlite_path(), Some(PathBuf::from("data/x.db")));
        assert_eq!(DbUrl::parse("sqlite:///tmp/x.db").unwrap().sqlite_path(), Some(PathBuf::from("/tmp/x.db")));
        assert_eq!(DbUrl::parse("postgres://u@h/db").unwrap().kind, BackendKind::Postgres);
        assert_eq!(DbUrl::parse("postgresql://u@h/db").unwrap().kind, BackendKind::Postgres);
    }

    #[test]
    fn unknown_schemes_and_memory_databases_are_refused_without_the_password() {
        let err = DbUrl::parse("mysql://root:hemligt@localhost/db").err().unwrap().to_string();
        assert!(err.contains("unknown scheme"), "{err}");
        assert!(!err.contains("hemligt"), "{err}");
        assert!(DbUrl::parse("sqlite::memory:").is_err());
        assert!(DbUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        let url = DbUrl::parse("postgres://app:hemligt@db.example:5432/tvist").unwrap();
        assert_eq!(url.redacted(), "postgres://app:***@db.example:5432/tvist");
    }
}
