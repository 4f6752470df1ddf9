//! The domain's enums read straight from the text columns that hold them (the same text as
//! their `as_str`), so rows reach the code above the store already typed. A value no enum
//! knows is an error of the query, never quietly read as some default.

use crate::domain::access::Role;
use crate::domain::audit::Action as AuditAction;
use crate::domain::ladder::{CaseKind, EventKind, Level, Outcome, Side, Status, WaitingFor};
use crate::domain::notify::{Delivery, MessageKind};
use crate::domain::payment::versions::Cause;
use crate::domain::registry::OrganisationKind;
use crate::domain::review::ReviewAnswer;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::pg::Pg;
use diesel::sql_types::Text;
use diesel::sqlite::Sqlite;

/// `FromSql<Text>` on both backends for each enum, through its own parser.
macro_rules! read_as_text {
    ($($enum:ty => $parse:expr),* $(,)?) => {$(
        impl FromSql<Text, Sqlite> for $enum {
            fn from_sql(mut value: <Sqlite as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parsed(value.read_text(), stringify!($enum), $parse)
            }
        }

        impl FromSql<Text, Pg> for $enum {
            fn from_sql(value: <Pg as diesel::backend::Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                parsed(std::str::from_utf8(value.as_bytes())?, stringify!($enum), $parse)
            }
        }

        // What `#[derive(FromSqlRow)]` would write, kept here so the domain needs no diesel.
        impl<DB: diesel::backend::Backend> Queryable<Text, DB> for $enum
        where
            $enum: FromSql<Text, DB>,
        {
            type Row = Self;

            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }
    )*};
}

/// Read from the text in place: a list page reads hundreds of these, and copying each into a
/// `String` first was most of their cost.
fn parsed<T>(text: &str, what: &str, parse: fn(&str) -> Option<T>) -> deserialize::Result<T> {
    parse(text).ok_or_else(|| format!("the database holds {text:?}, which is no {what}").into())
}

read_as_text! {
    CaseKind => CaseKind::parse,
    Level => Level::parse,
    Status => Status::parse,
    WaitingFor => WaitingFor::parse,
    Outcome => Outcome::parse,
    Side => Side::parse,
    Role => |text| text.parse().ok(),
    Delivery => Delivery::parse,
    OrganisationKind => OrganisationKind::parse,
    MessageKind => MessageKind::parse,
    Cause => Cause::parse,
    EventKind => EventKind::parse,
    ReviewAnswer => ReviewAnswer::parse,
    AuditAction => AuditAction::parse,
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::{Connection, RunQueryDsl, SqliteConnection};

    fn read<T: FromSql<Text, Sqlite> + Queryable<Text, Sqlite, Row = T> + 'static>(text: &str) -> Result<T, diesel::result::Error> {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        diesel::select(diesel::dsl::sql::<Text>(&format!("'{text}'"))).get_result::<T>(&mut conn)
    }

    #[test]
    fn enums_are_read_from_their_own_text_and_nothing_else() {
        assert_eq!(read::<Level>("steering").unwrap(), Level::Steering);
        assert_eq!(read::<CaseKind>(CaseKind::PaymentDispute.as_str()).unwrap(), CaseKind::PaymentDispute);
        assert_eq!(read::<WaitingFor>(WaitingFor::Nobody.as_str()).unwrap(), WaitingFor::Nobody);
        assert_eq!(read::<Role>("reviewer").unwrap(), Role::Reviewer);
        let refused = format!("{:?}", read::<Level>("styrgrupp").unwrap_err());
        assert!(refused.contains("which is no Level"), "{refused}");
        assert!(read::<Role>("superuser").is_err(), "never read as the least privileged role either");
    }

    #[test]
    fn organisation_and_message_kinds_and_causes_are_read_the_same_way() {
        assert_eq!(read::<OrganisationKind>("inpatient_unit").unwrap(), OrganisationKind::InpatientUnit);
        assert_eq!(read::<MessageKind>("review_basis").unwrap(), MessageKind::ReviewBasis);
        assert_eq!(read::<Cause>("correction").unwrap(), Cause::Correction);
        // An unknown cause was read as an import before; now it is an error of the query.
        assert!(read::<Cause>("recalc").is_err());
        assert!(read::<OrganisationKind>("hospital").is_err());
        assert!(read::<MessageKind>("test").is_err());
        assert_eq!(read::<EventKind>("correct_decision").unwrap().label(), "Rättelse av beslut");
        assert_eq!(read::<EventKind>("escalation_requested").unwrap(), EventKind::EscalationRequested);
        assert!(read::<EventKind>("close").is_err());
    }
}
