//! Dates and times read from SQLite's text by hand. SQLite holds a date as `YYYY-MM-DD` text
//! and a timestamp as `YYYY-MM-DD HH:MM:SS.ffffff`, which diesel reads with chrono's general
//! format parser: for the 51 deadlines of a case list that was a twentieth of the page's CPU,
//! and the timestamps of a case page (its case, events and session) 4 % of its CPU (perf,
//! 100 000 cases). PostgreSQL's binary values go through diesel as before.

use crate::domain::calendar::decimal;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Date, Nullable, Timestamp};
use diesel::sqlite::Sqlite;

/// `YYYY-MM-DD` exactly, as diesel writes dates into SQLite; None for anything else.
fn iso_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(decimal(&b[0..4])? as i32, decimal(&b[5..7])?, decimal(&b[8..10])?)
}

/// `YYYY-MM-DD HH:MM:SS` with up to nine decimals, as diesel writes timestamps into SQLite;
/// None for anything else.
fn iso_moment(text: &str) -> Option<NaiveDateTime> {
    let day = iso_day(text.get(..10)?)?;
    let b = text.as_bytes().get(10..)?;
    if b.len() < 9 || b[0] != b' ' || b[3] != b':' || b[6] != b':' {
        return None;
    }
    let nanos = match &b[9..] {
        [] => 0,
        [b'.', fraction @ ..] if (1..=9).contains(&fraction.len()) => decimal(fraction)? * 10u32.pow(9 - fraction.len() as u32),
        _ => return None,
    };
    day.and_hms_nano_opt(decimal(&b[1..3])?, decimal(&b[4..6])?, decimal(&b[7..9])?, nanos)
}

/// A date column: `#[diesel(deserialize_as = Day)]` on a `NaiveDate` field.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct Day(NaiveDate);

/// A timestamp column: `#[diesel(deserialize_as = Moment)]` on a `NaiveDateTime` field.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct Moment(NaiveDateTime);

/// A column that may be empty, read as `T` reads it where it is not.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct Optional<T>(Option<T>);

/// A date column that may be empty: on an `Option<NaiveDate>` field.
pub type OptionalDay = Optional<Day>;
/// A timestamp column that may be empty: on an `Option<NaiveDateTime>` field.
pub type OptionalMoment = Optional<Moment>;

impl From<Moment> for NaiveDateTime {
    fn from(moment: Moment) -> Self {
        moment.0
    }
}

impl From<OptionalDay> for Option<NaiveDate> {
    fn from(day: OptionalDay) -> Self {
        day.0.map(|day| day.0)
    }
}

impl From<OptionalMoment> for Option<NaiveDateTime> {
    fn from(moment: OptionalMoment) -> Self {
        moment.0.map(NaiveDateTime::from)
    }
}

impl FromSql<Date, Sqlite> for Day {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = value.read_text();
        match iso_day(text) {
            Some(day) => Ok(Day(day)),
            // Whatever else diesel would have read.
            None => Ok(Day(NaiveDate::parse_from_str(text, "%F")?)),
        }
    }
}

impl FromSql<Date, Pg> for Day {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Day(<NaiveDate as FromSql<Date, Pg>>::from_sql(value)?))
    }
}

impl FromSql<Timestamp, Sqlite> for Moment {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(moment) = iso_moment(value.read_text()) {
            return Ok(Moment(moment));
        }
        // Whatever else diesel would have read (other spellings, a Julian day number).
        Ok(Moment(<NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(value)?))
    }
}

impl FromSql<Timestamp, Pg> for Moment {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Moment(<NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(value)?))
    }
}

impl<T, ST, DB: Backend> FromSql<Nullable<ST>, DB> for Optional<T>
where
    T: FromSql<ST, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Optional(Some(T::from_sql(value)?)))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(Ok(Optional(None)), <Self as FromSql<Nullable<ST>, DB>>::from_sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, IntoSql, RunQueryDsl, SqliteConnection};

    fn read(sql: &str) -> Result<Option<NaiveDate>, diesel::result::Error> {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::select(diesel::dsl::sql::<Nullable<Date>>(sql)).get_result::<OptionalDay>(&mut conn).map(Into::into)
    }

    #[test]
    fn dates_read_by_hand_are_the_dates_diesel_reads() {
        assert_eq!(read("'2026-12-24'").unwrap(), NaiveDate::from_ymd_opt(2026, 12, 24));
        assert_eq!(read("NULL").unwrap(), None);
        assert_eq!(read("'2028-02-29'").unwrap(), NaiveDate::from_ymd_opt(2028, 2, 29));
        assert!(read("'2026-02-30'").is_err(), "no such day");
        assert!(read("'2026-1-2x'").is_err());
        // A spelling only chrono reads still reads as it did.
        assert_eq!(read("'2026-1-02'").unwrap(), NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(iso_day("2026-01-02"), NaiveDate::from_ymd_opt(2026, 1, 2));
        assert_eq!(iso_day("2026-01-0x"), None);
    }

    fn moment(sql: &str) -> Result<Option<NaiveDateTime>, diesel::result::Error> {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let by_hand = diesel::select(diesel::dsl::sql::<Nullable<Timestamp>>(sql)).get_result::<OptionalMoment>(&mut conn).map(Into::into);
        let by_diesel = diesel::select(diesel::dsl::sql::<Nullable<Timestamp>>(sql)).get_result::<Option<NaiveDateTime>>(&mut conn);
        assert_eq!(by_hand.as_ref().ok(), by_diesel.as_ref().ok(), "{sql}");
        by_hand
    }

    #[test]
    fn timestamps_read_by_hand_are_the_timestamps_diesel_reads() {
        let at = |h, m, s, nano| NaiveDate::from_ymd_opt(2026, 12, 1).unwrap().and_hms_nano_opt(h, m, s, nano);
        assert_eq!(moment("'2026-12-01 16:45:14.662123'").unwrap(), at(16, 45, 14, 662_123_000));
        assert_eq!(moment("'2026-12-01 16:45:14'").unwrap(), at(16, 45, 14, 0));
        assert_eq!(moment("'2026-12-01 00:00:00.5'").unwrap(), at(0, 0, 0, 500_000_000));
        assert_eq!(moment("'2026-12-01 23:59:59.123456789'").unwrap(), at(23, 59, 59, 123_456_789));
        assert_eq!(moment("NULL").unwrap(), None);
        assert!(moment("'2026-12-01 24:00:00'").is_err(), "no such hour");
        assert!(moment("'2026-12-01 16:45:1x'").is_err());
        // Spellings only chrono reads still read as they did, as does a Julian day number.
        assert_eq!(moment("'2026-12-01T16:45:14'").unwrap(), at(16, 45, 14, 0));
        assert_eq!(moment("'2026-12-01 16:45'").unwrap(), at(16, 45, 0, 0));
        assert!(moment("2461011.0").unwrap().is_some());
        // Each timestamp diesel writes reads back the same.
        for written in [at(9, 5, 3, 0), at(9, 5, 3, 1_000), at(23, 59, 59, 999_999_000)].map(Option::unwrap) {
            let mut conn = SqliteConnection::establish(":memory:").unwrap();
            let read = diesel::select(written.into_sql::<Timestamp>()).get_result::<Moment>(&mut conn).unwrap();
            assert_eq!(NaiveDateTime::from(read), written);
        }
    }
}
