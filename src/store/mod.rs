//! Queries per aggregate. Every function takes a [`DbConn`] and works on both backends.

pub mod audit;
pub mod calculations;
pub mod cases;
pub mod disputes;
pub mod episodes;
pub mod identity_providers;
pub mod interpretations;
pub mod kept_forms;
pub mod login_attempts;
pub mod organisations;
pub mod outbox;
pub mod password_resets;
pub mod reports;
pub mod review;
pub mod second_factor;
pub mod sessions;
pub mod settings;
pub mod submissions;
pub mod users;

pub use crate::db::DbConn;
pub use diesel::result::Error as QueryError;
pub type QueryResult<T> = Result<T, QueryError>;

use chrono::{NaiveDateTime, Timelike, Utc};

/// The current UTC time at the microsecond precision both databases keep.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}

/// A new sortable id (UUIDv7).
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Today's date in Stockholm, which the agreement's deadlines count in.
pub fn today() -> chrono::NaiveDate {
    Utc::now().with_timezone(&chrono_tz::Europe::Stockholm).date_naive()
}

/// Stockholm wall-clock time of a stored UTC time.
pub fn stockholm_time(utc: &NaiveDateTime) -> NaiveDateTime {
    use chrono::TimeZone;
    chrono_tz::Europe::Stockholm.from_utc_datetime(utc).naive_local()
}

/// The UTC instant of midnight in Stockholm at the start of `day` (Swedish daylight saving
/// changes at 02–03, so midnight is never skipped or repeated).
pub fn stockholm_midnight(day: chrono::NaiveDate) -> NaiveDateTime {
    use chrono::TimeZone;
    let local = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    chrono_tz::Europe::Stockholm.from_local_datetime(&local).earliest().map_or(local, |t| t.naive_utc())
}
