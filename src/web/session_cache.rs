//! The sessions this server has looked up, kept for a moment: most requests then need no
//! statement to know who sent them (on PostgreSQL that statement was one of a list page's two
//! or three round trips).
//!
//! A kept session is trusted only while all of these hold:
//! - it needs no touch yet and is not too old ([`ActiveSession::holds_at`]), so idling and
//!   the longest lifetime still end it on time;
//! - the access-change counter (moved by triggers whenever a session ends or a user or an
//!   organisation changes, by whatever process: see the `access_changes` migration) stands
//!   where the session's own look-up read it, as the latest look-up on this server read it;
//! - that latest look-up started less than [`TRUST_FOR`] ago, so another server's or the
//!   CLI's change reaches this server within that time;
//! - it started after this server's last write finished, so this server's own sign-out,
//!   deactivation or moved unit holds from its very next request.

use crate::store::sessions::ActiveSession;
use chrono::NaiveDateTime;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How long this server trusts the counter its latest look-up read.
pub const TRUST_FOR: Duration = Duration::from_millis(250);
/// Past this many kept sessions the cache starts over; far above the signed-in users of one
/// region, and a bound on what a flood of sign-ins can make it hold.
const MOST_KEPT: usize = 10_000;

#[derive(Default)]
pub struct SessionCache {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// The counter as the latest look-up read it, and when that look-up started.
    latest: Option<(i64, Instant)>,
    /// When this server's latest write finished.
    wrote: Option<Instant>,
    /// By token hash: the counter its look-up read, and the session.
    kept: HashMap<String, (i64, ActiveSession)>,
}

impl SessionCache {
    fn inner(&self) -> MutexGuard<'_, Inner> {
        // Nothing under the lock can panic half-way; a poisoned lock holds whole values.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session behind `token_hash` at `now` (wall clock `at`), with the counter it was
    /// read at, if it may be answered without the database.
    pub fn get(&self, token_hash: &str, now: Instant, at: NaiveDateTime, idle_minutes: i64) -> Option<(i64, ActiveSession)> {
        let inner = self.inner();
        let (counter, started) = inner.latest?;
        if now.saturating_duration_since(started) >= TRUST_FOR || inner.wrote.is_some_and(|wrote| wrote >= started) {
            return None;
        }
        let (read_at, session) = inner.kept.get(token_hash)?;
        (*read_at == counter && session.holds_at(at, idle_minutes)).then(|| (counter, session.clone()))
    }

    /// What a look-up that started at `started` found: the session and the counter its
    /// statement read.
    pub fn found(&self, token_hash: String, started: Instant, counter: i64, session: &ActiveSession) {
        let mut inner = self.inner();
        if inner.latest.is_none_or(|(_, latest)| latest < started) {
            inner.latest = Some((counter, started));
        }
        if inner.kept.len() >= MOST_KEPT && !inner.kept.contains_key(&token_hash) {
            inner.kept.clear();
        }
        inner.kept.insert(token_hash, (counter, session.clone()));
    }

    /// This server finished a write at `now`: look-ups that started before may not have
    /// seen it.
    pub fn wrote(&self, now: Instant) {
        let mut inner = self.inner();
        inner.wrote = Some(inner.wrote.map_or(now, |wrote| wrote.max(now)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::sessions::testing::session_seen;

    const IDLE: i64 = 60;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + seconds, 0).expect("in range").naive_utc()
    }

    /// A cache that has looked up "a" (seen at wall second 0) at `start`, the counter at 7.
    fn cache_with_a(start: Instant) -> SessionCache {
        let cache = SessionCache::default();
        cache.found("a".into(), start, 7, &session_seen(at(0), at(0)));
        cache
    }

    #[test]
    fn a_session_is_answered_from_the_cache_only_while_the_latest_look_up_is_recent() {
        let start = Instant::now();
        let cache = cache_with_a(start);
        assert_eq!(cache.get("a", start + Duration::from_millis(10), at(1), IDLE).map(|(counter, _)| counter), Some(7));
        assert!(cache.get("a", start + TRUST_FOR, at(1), IDLE).is_none());
        assert!(cache.get("b", start, at(1), IDLE).is_none(), "never looked up");
        // A later look-up of another session renews the trust in the counter.
        cache.found("b".into(), start + TRUST_FOR, 7, &session_seen(at(0), at(0)));
        assert!(cache.get("a", start + TRUST_FOR + Duration::from_millis(10), at(1), IDLE).is_some());
    }

    #[test]
    fn a_moved_counter_drops_every_session_read_before_it() {
        let start = Instant::now();
        let cache = cache_with_a(start);
        cache.found("b".into(), start + Duration::from_millis(5), 8, &session_seen(at(0), at(0)));
        let soon = start + Duration::from_millis(10);
        assert!(cache.get("a", soon, at(1), IDLE).is_none(), "read at 7, the counter is at 8");
        assert!(cache.get("b", soon, at(1), IDLE).is_some());
    }

    #[test]
    fn a_look_up_that_finishes_late_does_not_bring_back_an_older_counter() {
        let start = Instant::now();
        let cache = cache_with_a(start + Duration::from_millis(5));
        // Started before the look-up above, read the counter before it moved to 7.
        cache.found("b".into(), start, 6, &session_seen(at(0), at(0)));
        let soon = start + Duration::from_millis(10);
        assert!(cache.get("b", soon, at(1), IDLE).is_none());
        assert!(cache.get("a", soon, at(1), IDLE).is_some());
    }

    #[test]
    fn this_servers_write_holds_from_its_next_request() {
        let start = Instant::now();
        let cache = cache_with_a(start);
        cache.wrote(start + Duration::from_millis(1));
        assert!(cache.get("a", start + Duration::from_millis(2), at(1), IDLE).is_none());
        // A look-up that started before the write finished cannot vouch for it either.
        cache.found("a".into(), start + Duration::from_millis(1), 7, &session_seen(at(0), at(0)));
        assert!(cache.get("a", start + Duration::from_millis(2), at(1), IDLE).is_none());
        cache.found("a".into(), start + Duration::from_millis(3), 7, &session_seen(at(0), at(0)));
        assert!(cache.get("a", start + Duration::from_millis(4), at(1), IDLE).is_some());
    }

    #[test]
    fn a_session_due_for_its_touch_or_too_old_goes_to_the_database() {
        let start = Instant::now();
        let cache = SessionCache::default();
        cache.found("fresh".into(), start, 7, &session_seen(at(0), at(0)));
        cache.found("old".into(), start, 7, &session_seen(at(-12 * 3600), at(0)));
        let soon = start + Duration::from_millis(1);
        assert!(cache.get("fresh", soon, at(60), IDLE).is_some());
        assert!(cache.get("fresh", soon, at(61), IDLE).is_none(), "past the touch interval");
        assert!(cache.get("fresh", soon, at(30), 0).is_none(), "past an idle limit shorter than the touch");
        assert!(cache.get("old", soon, at(0), IDLE).is_some());
        assert!(cache.get("old", soon, at(1), IDLE).is_none(), "past the longest lifetime");
    }

    #[test]
    fn the_cache_starts_over_when_full() {
        let start = Instant::now();
        let cache = SessionCache::default();
        for n in 0..MOST_KEPT {
            cache.found(n.to_string(), start, 7, &session_seen(at(0), at(0)));
        }
        cache.found("one more".into(), start, 7, &session_seen(at(0), at(0)));
        assert_eq!(cache.inner().kept.len(), 1);
    }
}
