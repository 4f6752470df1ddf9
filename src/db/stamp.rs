//! A timestamp to write in bulk. On SQLite a timestamp is text; diesel writes it through
//! chrono's `format`, which reads its format string anew for every value: a tenth of an
//! import's time at five timestamps a row. `Stamp` writes the same text directly.

use crate::domain::calendar::{push_iso_day, push_padded};
use chrono::{Datelike, NaiveDateTime, Timelike};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Timestamp;
use diesel::sqlite::Sqlite;

#[derive(Debug, Clone, Copy, AsExpression)]
#[diesel(sql_type = Timestamp)]
pub struct Stamp(pub NaiveDateTime);

impl ToSql<Timestamp, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        let t = self.0;
        // Fractions of a second and years of other than four digits are rare (the episode
        // reader makes neither): diesel's own text for those.
        if t.nanosecond() != 0 || !(0..=9999).contains(&t.year()) {
            return <NaiveDateTime as ToSql<Timestamp, Sqlite>>::to_sql(&self.0, out);
        }
        // Digit by digit: `write!` through the formatter was half of this function's time.
        let mut text = String::with_capacity(19);
        push_iso_day(&mut text, t.date());
        for (separator, value) in [(' ', t.hour()), (':', t.minute()), (':', t.second())] {
            text.push(separator);
            push_padded(&mut text, value, 2);
        }
        out.set_value(text);
        Ok(serialize::IsNull::No)
    }
}

impl ToSql<Timestamp, Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        <NaiveDateTime as ToSql<Timestamp, Pg>>::to_sql(&self.0, out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::prelude::*;

    #[test]
    fn a_stamp_is_stored_as_the_same_text_as_diesel_writes() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::sql_query("CREATE TABLE t (a TIMESTAMP, b TIMESTAMP)").execute(&mut conn).unwrap();
        diesel::table! { t (a) { a -> Timestamp, b -> Timestamp, } }
        let times = ["2022-03-01 08:00:00", "1900-01-01 00:00:00", "2026-12-31 23:59:59", "0099-10-09 10:09:59", "2026-01-02 03:04:05.250"];
        for text in times {
            let time = NaiveDateTime::parse_from_str(text, "%F %T%.f").unwrap();
            diesel::insert_into(t::table).values((t::a.eq(Stamp(time)), t::b.eq(time))).execute(&mut conn).unwrap();
        }
        #[derive(QueryableByName)]
        struct Texts {
            #[diesel(sql_type = diesel::sql_types::Text)]
            a: String,
            #[diesel(sql_type = diesel::sql_types::Text)]
            b: String,
        }
        let stored: Vec<Texts> = diesel::sql_query("SELECT a, b FROM t").load(&mut conn).unwrap();
        assert_eq!(stored.len(), times.len());
        for row in stored {
            assert_eq!(row.a, row.b);
        }
    }
}
