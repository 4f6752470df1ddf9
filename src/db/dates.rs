//! Dates read from SQLite's text by hand. SQLite holds a date as `YYYY-MM-DD` text, which
//! diesel reads with chrono's general format parser: for the 51 deadlines of a case list that
//! was a twentieth of the page's CPU (perf, 100 000 cases). PostgreSQL's binary dates go
//! through diesel as before.

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Date, Nullable};
use diesel::sqlite::Sqlite;

/// A date column that may be empty, for list rows: `#[diesel(deserialize_as = OptionalDay)]`
/// on an `Option<NaiveDate>` field.
#[derive(diesel::deserialize::FromSqlRow)]
pub struct OptionalDay(Option<NaiveDate>);

impl From<OptionalDay> for Option<NaiveDate> {
    fn from(day: OptionalDay) -> Self {
        day.0
    }
}

/// `YYYY-MM-DD` exactly, as diesel writes dates into SQLite; None for anything else.
fn iso_day(text: &str) -> Option<NaiveDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let number = |from: usize, to: usize| b[from..to].iter().try_fold(0u32, |n, d| d.is_ascii_digit().then(|| n * 10 + u32::from(d - b'0')));
    NaiveDate::from_ymd_opt(number(0, 4)? as i32, number(5, 7)?, number(8, 10)?)
}

impl FromSql<Nullable<Date>, Sqlite> for OptionalDay {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let text = value.read_text();
        match iso_day(text) {
            Some(day) => Ok(OptionalDay(Some(day))),
            // Whatever else diesel would have read.
            None => Ok(OptionalDay(Some(NaiveDate::parse_from_str(text, "%F")?))),
        }
    }

    fn from_nullable_sql(value: Option<<Sqlite as Backend>::RawValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(Ok(OptionalDay(None)), <Self as FromSql<Nullable<Date>, Sqlite>>::from_sql)
    }
}

impl FromSql<Nullable<Date>, Pg> for OptionalDay {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(OptionalDay(Some(<NaiveDate as FromSql<Date, Pg>>::from_sql(value)?)))
    }

    fn from_nullable_sql(value: Option<<Pg as Backend>::RawValue<'_>>) -> deserialize::Result<Self> {
        value.map_or(Ok(OptionalDay(None)), <Self as FromSql<Nullable<Date>, Pg>>::from_sql)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

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
}
