//! SQLite write transactions of one pool, carried out one after another on one connection of
//! their own, several to a commit (group commit).
//!
//! Filing a case at 16 connections was bound by SQLite's writing, not by the work: each filing
//! was a transaction of its own, so each waited for the disk (`fsync`), wrote some 40 pages to
//! the log (the same table and index leaves as the filing before it, and a new segment of the
//! text index), and began on a connection whose page cache another connection's write had just
//! made stale (100 page reads). Writers waiting for SQLite's lock slept in its busy handler
//! (1, 2, 5 … 100 ms), so the lock, released, stood idle until one woke.
//!
//! Here a writer waits its turn in the process and is woken as the one before it finishes.
//! Each write runs in its own thread inside a savepoint of the open transaction, so it is all
//! or nothing by itself; the writer who finds nobody waiting after it commits for everyone in
//! the transaction, and each returns only once that commit is on disk. A write's outcome is
//! as before: what it returned, or the commit's error. Other processes (the CLI, a second
//! server) meet at SQLite's own lock, as before.

use super::{Backend, DbConn, DbUrl};
use std::cell::Cell;
use std::collections::HashMap;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// The most writes one commit carries, so that a steady stream of writers still commits.
const MOST_IN_TRANSACTION: usize = 64;

thread_local! {
    /// This thread is running a write on the writer's connection. A write it starts on
    /// another connection (nested by mistake) then takes SQLite's lock itself, meets SQLite's
    /// time limit and fails, instead of waiting for its own turn forever.
    static WRITING: Cell<bool> = const { Cell::new(false) };
}

#[derive(Clone)]
pub struct Writer(Arc<Shared>);

struct Shared {
    url: DbUrl,
    state: Mutex<State>,
    changed: Condvar,
}

#[derive(Default)]
struct State {
    /// The writer's connection while nobody holds it; `None` before its first use and after
    /// it failed.
    conn: Option<DbConn>,
    /// Turns, in the order writers asked: handed out, and the one whose turn it is. First
    /// come, first served, so that no writer waits behind a stream of later ones.
    tickets: u64,
    serving: u64,
    /// The transaction now open, by number, and how many writes it holds.
    open: Option<Transaction>,
    /// Numbers the transactions.
    started: u64,
    /// Every transaction up to this number has ended.
    ended: u64,
    /// Transactions that failed to commit: the error, and how many of their writers are
    /// still to read it.
    failed: HashMap<u64, (String, usize)>,
}

impl State {
    /// Writers waiting behind the one that holds the connection (asked by that one).
    fn queued_behind(&self) -> u64 {
        self.tickets - self.serving - 1
    }
}

#[derive(Clone, Copy)]
struct Transaction {
    number: u64,
    writes: usize,
    /// Writes whose own work succeeded, which wait for the commit.
    kept: usize,
}

impl Writer {
    pub fn new(url: DbUrl) -> Writer {
        Writer(Arc::new(Shared { url, state: Mutex::new(State::default()), changed: Condvar::new() }))
    }

    /// Runs `work` as a write of its own inside the open transaction, or one it opens; in a
    /// transaction of `own`, the request's connection, when the writer's cannot be had.
    pub fn write<T, E>(&self, own: &mut DbConn, work: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<diesel::result::Error>,
    {
        if WRITING.get() {
            return own.transaction(work);
        }
        let (mut conn, transaction) = match self.take() {
            Ok(taken) => taken,
            Err(reason) => {
                log::warn!("the writer's connection cannot be opened ({reason}); writing on the request's own");
                return own.transaction(work);
            }
        };
        let number = match transaction {
            Some(number) => number,
            None => match begin(&mut conn) {
                Ok(()) => self.opened(),
                Err(e) => {
                    self.hand_on(self.lock(), Some(conn).filter(|c| !c.suspect));
                    return Err(e.into());
                }
            },
        };
        WRITING.set(true);
        let outcome = catch_unwind(AssertUnwindSafe(|| {
            conn.batch("SAVEPOINT write")?;
            Ok::<_, diesel::result::Error>(work(&mut conn))
        }));
        WRITING.set(false);
        let kept = matches!(outcome, Ok(Ok(Ok(_))));
        let step = if kept { "RELEASE write" } else { "ROLLBACK TO write; RELEASE write" };
        let stepped = conn.batch(step);
        let ended = self.after_write(conn, number, kept, stepped.err().map(|e| e.to_string()));
        match outcome {
            Err(panic) => resume_unwind(panic),
            Ok(Err(e)) => Err(e.into()),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Ok(Ok(value))) => match ended {
                Ok(()) => Ok(value),
                Err(reason) => Err(commit_failed(reason).into()),
            },
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.0.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn wait<'a>(&self, state: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
        self.0.changed.wait(state).unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for the connection and holds it: with the open transaction's number, if any.
    fn take(&self) -> Result<(DbConn, Option<u64>), String> {
        let mut state = self.lock();
        let ticket = state.tickets;
        state.tickets += 1;
        while state.serving != ticket {
            state = self.wait(state);
        }
        let conn = match state.conn.take() {
            Some(conn) => conn,
            None => match self.0.url.connect() {
                Ok(conn) => conn,
                Err(e) => {
                    self.hand_on(state, None);
                    return Err(e.to_string());
                }
            },
        };
        Ok((conn, state.open.map(|t| t.number)))
    }

    /// Puts the connection back for the next writer in turn.
    fn hand_on(&self, mut state: MutexGuard<'_, State>, conn: Option<DbConn>) {
        state.conn = conn;
        state.serving += 1;
        drop(state);
        self.0.changed.notify_all();
    }

    /// Numbers the transaction just opened.
    fn opened(&self) -> u64 {
        let mut state = self.lock();
        state.started += 1;
        let number = state.started;
        state.open = Some(Transaction { number, writes: 0, kept: 0 });
        number
    }

    /// After a write: hands the connection to the next writer, or commits for all; then, for
    /// a write that is to be kept, waits for its transaction's end. The error is the commit's.
    fn after_write(&self, mut conn: DbConn, number: u64, kept: bool, broken: Option<String>) -> Result<(), String> {
        let mut state = self.lock();
        let open = state.open.as_mut().expect("a write runs inside an open transaction");
        open.writes += 1;
        open.kept += usize::from(kept);
        let room = open.writes < MOST_IN_TRANSACTION;
        // A connection that failed a query ends its transaction here and is not reused.
        if broken.is_none() && !conn.suspect && state.queued_behind() > 0 && room {
            self.hand_on(state, Some(conn));
            // A write taken back waits too: what it saw of the writes before it must be there
            // for the reads that follow it (the case page telling that another tab escalated
            // the case first, read on the request's own connection).
            let mut state = self.lock();
            while state.ended < number {
                state = self.wait(state);
            }
            if !kept {
                return Ok(());
            }
            return match state.failed.get_mut(&number) {
                None => Ok(()),
                Some((reason, unread)) => {
                    let reason = reason.clone();
                    *unread -= 1;
                    if *unread == 0 {
                        state.failed.remove(&number);
                    }
                    Err(reason)
                }
            };
        }
        let Transaction { kept: waiting_for_commit, .. } = state.open.take().expect("open");
        drop(state);
        let committed = match broken {
            Some(reason) => Err(reason),
            None => conn.batch("COMMIT").map_err(|e| e.to_string()),
        };
        if committed.is_err() {
            let _ = conn.batch("ROLLBACK");
            conn.suspect = true;
        }
        conn.in_transaction = false;
        let mut state = self.lock();
        let others = waiting_for_commit - usize::from(kept);
        if let (Err(reason), true) = (&committed, others > 0) {
            state.failed.insert(number, (reason.clone(), others));
        }
        state.ended = number;
        self.hand_on(state, Some(conn).filter(|c| !c.suspect));
        committed
    }
}

/// Opens the transaction that the next writes share.
fn begin(conn: &mut DbConn) -> diesel::QueryResult<()> {
    debug_assert!(matches!(conn.inner, Backend::Sqlite(_)));
    conn.batch("BEGIN IMMEDIATE")?;
    conn.in_transaction = true;
    Ok(())
}

fn commit_failed(reason: String) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, Box::new(reason))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::Pool;
    use crate::db_run;
    use diesel::result::Error;
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    use std::time::{Duration, Instant};

    fn pool() -> (tempfile::TempDir, Pool, Writer) {
        let dir = tempfile::tempdir().unwrap();
        let url = DbUrl::parse(&format!("sqlite://{}", dir.path().join("w.db").display())).unwrap();
        let pool = url.pool(8).unwrap();
        let mut conn = pool.get().unwrap();
        conn.batch(
            "CREATE TABLE notes (id INTEGER PRIMARY KEY, note TEXT NOT NULL);
             CREATE TABLE replies (note_id INTEGER NOT NULL REFERENCES notes (id) DEFERRABLE INITIALLY DEFERRED);",
        )
        .unwrap();
        let writer = conn.writer.clone().expect("a pooled SQLite connection writes through the pool's writer");
        (dir, pool.clone(), writer)
    }

    fn add(conn: &mut DbConn, note: &str) -> Result<(), Error> {
        db_run!(conn, |c| diesel::sql_query("INSERT INTO notes (note) VALUES (?)").bind::<Text, _>(note).execute(c)).map(drop)
    }

    /// Writes, then fails.
    fn refused(conn: &mut DbConn) -> Result<(), Error> {
        add(conn, "refused")?;
        Err(Error::RollbackTransaction)
    }

    #[derive(diesel::QueryableByName)]
    struct Note {
        #[diesel(sql_type = Text)]
        note: String,
    }

    fn notes(pool: &Pool) -> Vec<String> {
        let mut conn = pool.get().unwrap();
        let rows: Vec<Note> = db_run!(conn, |c| diesel::sql_query("SELECT note FROM notes ORDER BY id").load(c)).unwrap();
        rows.into_iter().map(|n| n.note).collect()
    }

    fn wait_until(what: impl Fn() -> bool) {
        let started = Instant::now();
        while !what() {
            assert!(started.elapsed() < Duration::from_secs(10), "waited 10 s in vain");
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The first write holds the writer's connection and ends its work as `first` says once a
    /// second writer waits behind it, which then writes `second`: both outcomes, in order.
    fn one_behind_another<A, B>(
        pool: &Pool,
        writer: &Writer,
        first: impl FnOnce(&mut DbConn) -> Result<A, Error> + Send,
        second: impl FnOnce(&mut DbConn) -> Result<B, Error> + Send,
    ) -> (std::thread::Result<Result<A, Error>>, Result<B, Error>)
    where
        A: Send,
        B: Send,
    {
        std::thread::scope(|s| {
            let first = s.spawn(|| {
                pool.get().unwrap().write(|conn| {
                    wait_until(|| writer.lock().queued_behind() == 1);
                    first(conn)
                })
            });
            wait_until(|| writer.lock().open.is_some());
            let second = s.spawn(|| pool.get().unwrap().write(second));
            (first.join(), second.join().unwrap())
        })
    }

    #[test]
    fn a_write_queued_behind_another_shares_its_commit() {
        let (_dir, pool, writer) = pool();
        let (first, second) = one_behind_another(&pool, &writer, |c| add(c, "first"), |c| add(c, "second"));
        first.unwrap().unwrap();
        second.unwrap();
        assert_eq!(notes(&pool), ["first", "second"]);
        assert_eq!(writer.lock().started, 1, "one transaction for both");
        // Alone, a write commits at once.
        pool.get().unwrap().write(|c| add(c, "third")).unwrap();
        assert_eq!(notes(&pool), ["first", "second", "third"]);
        assert_eq!(writer.lock().started, 2);
    }

    #[test]
    fn a_write_that_fails_takes_only_itself_back() {
        let (_dir, pool, writer) = pool();
        let (first, second) = one_behind_another(&pool, &writer, refused, |c| add(c, "kept"));
        assert!(matches!(first.unwrap(), Err(Error::RollbackTransaction)));
        second.unwrap();
        let (first, second) = one_behind_another(&pool, &writer, |c| add(c, "kept too"), refused);
        first.unwrap().unwrap();
        assert!(matches!(second, Err(Error::RollbackTransaction)));
        assert_eq!(notes(&pool), ["kept", "kept too"]);
        assert_eq!(writer.lock().started, 2);
    }

    #[test]
    fn a_write_taken_back_returns_once_the_writes_it_saw_are_committed() {
        let (_dir, pool, writer) = pool();
        let returned = std::sync::atomic::AtomicBool::new(false);
        let (winner, (loser, seen)) = std::thread::scope(|s| {
            let winner = s.spawn(|| {
                pool.get().unwrap().write(|c| {
                    wait_until(|| writer.lock().queued_behind() >= 1);
                    add(c, "winner")
                })
            });
            wait_until(|| writer.lock().open.is_some());
            let loser = s.spawn(|| {
                let outcome = pool.get().unwrap().write(|c| {
                    wait_until(|| writer.lock().queued_behind() >= 1);
                    refused(c)
                });
                let seen = notes(&pool);
                returned.store(true, std::sync::atomic::Ordering::SeqCst);
                (outcome, seen)
            });
            wait_until(|| writer.lock().tickets == 2);
            // Queued behind the loser, so that the loser does not commit; it holds its turn
            // until the loser has returned, or 300 ms.
            s.spawn(|| {
                pool.get().unwrap().write(|c| {
                    let started = Instant::now();
                    while !returned.load(std::sync::atomic::Ordering::SeqCst) && started.elapsed() < Duration::from_millis(300) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    add(c, "third")
                })
            });
            (winner.join().unwrap(), loser.join().unwrap())
        });
        winner.unwrap();
        assert!(matches!(loser, Err(Error::RollbackTransaction)));
        assert_eq!(seen, ["winner", "third"], "the loser returned before the transaction it saw was committed");
        assert_eq!(writer.lock().started, 1, "one transaction for all three");
    }

    #[test]
    fn a_write_that_panics_takes_only_itself_back_and_panics_in_its_own_thread() {
        let (_dir, pool, writer) = pool();
        let (first, second) = one_behind_another(
            &pool,
            &writer,
            |c| -> Result<(), Error> {
                add(c, "panicked")?;
                panic!("a bug in a write");
            },
            |c| add(c, "kept"),
        );
        let panic = first.expect_err("the panic reaches the thread that wrote");
        assert_eq!(panic.downcast_ref::<&str>(), Some(&"a bug in a write"));
        second.unwrap();
        pool.get().unwrap().write(|c| add(c, "after")).unwrap();
        assert_eq!(notes(&pool), ["kept", "after"]);
    }

    #[test]
    fn a_commit_that_fails_fails_every_write_in_it() {
        let (_dir, pool, writer) = pool();
        // The reply's missing note is found only at the commit (a deferred foreign key).
        let (first, second) = one_behind_another(
            &pool,
            &writer,
            |c| add(c, "first"),
            |c| db_run!(c, |c| diesel::sql_query("INSERT INTO replies (note_id) VALUES (999)").execute(c)).map(drop),
        );
        let first = first.unwrap().expect_err("the commit failed under the first write too");
        let second = second.expect_err("the commit failed");
        assert!(first.to_string().contains("FOREIGN KEY"), "{first}");
        assert!(second.to_string().contains("FOREIGN KEY"), "{second}");
        assert_eq!(notes(&pool), Vec::<String>::new());
        assert!(writer.lock().failed.is_empty(), "every writer read its failure");
        pool.get().unwrap().write(|c| add(c, "after")).unwrap();
        assert_eq!(notes(&pool), ["after"]);
    }

    #[test]
    fn a_write_nested_on_another_connection_meets_sqlites_lock_instead_of_waiting_for_itself() {
        let (_dir, pool, _writer) = pool();
        let nested = pool
            .get()
            .unwrap()
            .write(|c| {
                add(c, "outer")?;
                let mut other = pool.get().unwrap();
                other.batch("PRAGMA busy_timeout = 50")?;
                Ok::<_, Error>(other.write(|c| add(c, "nested")))
            })
            .unwrap();
        let refused = nested.expect_err("SQLite's lock is held by the outer write");
        assert!(refused.to_string().contains("locked"), "{refused}");
        assert_eq!(notes(&pool), ["outer"]);
    }

    #[test]
    fn writers_take_their_turns_in_the_order_they_asked() {
        let (_dir, pool, writer) = pool();
        std::thread::scope(|s| {
            let queued = |n: u64| wait_until(|| writer.lock().tickets > n);
            s.spawn(|| {
                pool.get().unwrap().write(|c| {
                    wait_until(|| writer.lock().queued_behind() == 5);
                    add(c, "0")
                })
            });
            wait_until(|| writer.lock().open.is_some());
            for n in 1..=5 {
                let pool = &pool;
                s.spawn(move || pool.get().unwrap().write(|c| add(c, &n.to_string())));
                queued(n);
            }
        });
        assert_eq!(notes(&pool), ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(writer.lock().started, 1);
    }

    #[test]
    fn many_writers_at_once_all_land() {
        let (_dir, pool, writer) = pool();
        std::thread::scope(|s| {
            for t in 0..8 {
                let pool = &pool;
                s.spawn(move || {
                    for i in 0..25 {
                        pool.get().unwrap().write(|c| add(c, &format!("{t}-{i}"))).unwrap();
                    }
                });
            }
        });
        let mut written = notes(&pool);
        written.sort();
        let mut expected: Vec<String> = (0..8).flat_map(|t| (0..25).map(move |i| format!("{t}-{i}"))).collect();
        expected.sort();
        assert_eq!(written, expected);
        let state = writer.lock();
        assert!(state.tickets == state.serving && state.open.is_none(), "every turn taken, no transaction open");
    }
}
