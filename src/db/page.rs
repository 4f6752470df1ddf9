//! A page of a list with its row count written into the statement. PostgreSQL plans a
//! prepared statement whose `LIMIT` or `OFFSET` is a parameter anew at every execution: its
//! generic plan must assume a tenth of the rows, so it never looks as cheap as a plan for 51.
//! Planning took 0.15–0.5 ms of a one-organisation list whose execution took 0.1–0.3 ms (100 000
//! cases). Written out, and with no `OFFSET` on a first page, the statement gets its generic
//! plan after five executions and is no longer planned at all. A later page binds its offset:
//! the number of statements a connection prepares stays two per list.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::BigInt;
use diesel::{QueryResult, RunQueryDsl};

/// `query` (ordered, without limit or offset) from row `offset`, at most `rows` rows.
pub struct Page<Q> {
    query: Q,
    rows: i64,
    offset: i64,
    /// The row count written into the statement (the offset too on a first page), not bound.
    written: bool,
}

impl<Q> Page<Q> {
    /// For a statement of one shape whatever its parameters: planned once, then reused.
    pub fn written(query: Q, rows: i64, offset: i64) -> Page<Q> {
        Page { query, rows, offset, written: true }
    }

    /// For a statement whose best plan depends on its parameters (a search, a filter on a
    /// rare value), or whose row count varies: planned for its values at every execution.
    pub fn bound(query: Q, rows: i64, offset: i64) -> Page<Q> {
        Page { query, rows, offset, written: false }
    }
}

impl<Q: Query> Query for Page<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, DB> QueryFragment<DB> for Page<Q>
where
    DB: Backend,
    Q: QueryFragment<DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        self.query.walk_ast(out.reborrow())?;
        if self.written {
            out.push_sql(&format!(" LIMIT {}", self.rows));
        } else {
            out.push_sql(" LIMIT ");
            out.push_bind_param::<BigInt, _>(&self.rows)?;
        }
        if self.offset > 0 || !self.written {
            out.push_sql(" OFFSET ");
            out.push_bind_param::<BigInt, _>(&self.offset)?;
        }
        Ok(())
    }
}

/// The statement's text depends on the row count, so it cannot be known from the type: diesel
/// keys its statement cache on the text instead.
impl<Q> QueryId for Page<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q, Conn> RunQueryDsl<Conn> for Page<Q> {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::organisations;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    fn sql(page: Page<impl QueryFragment<Sqlite>>) -> String {
        diesel::debug_query::<Sqlite, _>(&page).to_string()
    }

    fn organisations() -> impl QueryFragment<Sqlite> {
        organisations::table.select(organisations::id).order(organisations::id)
    }

    #[test]
    fn a_written_page_has_its_row_count_in_the_statement_and_a_first_page_no_offset() {
        let first = sql(Page::written(organisations(), 51, 0));
        assert!(first.contains("ORDER BY `organisations`.`id` LIMIT 51 --"), "{first}");
        assert!(!first.contains("OFFSET"), "{first}");
        let third = sql(Page::written(organisations(), 51, 100));
        assert!(third.contains("LIMIT 51 OFFSET ? --"), "{third}");
        assert!(third.ends_with("[100]"), "{third}");
    }

    #[test]
    fn a_bound_page_has_both_as_parameters() {
        let first = sql(Page::bound(organisations(), 51, 0));
        assert!(first.contains("ORDER BY `organisations`.`id` LIMIT ? OFFSET ? --"), "{first}");
        assert!(first.ends_with("[51, 0]"), "{first}");
    }

    #[test]
    fn a_page_reads_the_rows_its_offset_and_count_say() {
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let numbers = "WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 10) SELECT v FROM n";
        let mut page = |page: fn(_, i64, i64) -> Page<_>, rows, offset| {
            page(diesel::dsl::sql::<diesel::sql_types::Integer>(numbers), rows, offset).load::<i32>(&mut conn).unwrap()
        };
        for kind in [Page::written, Page::bound] {
            assert_eq!(page(kind, 3, 0), [1, 2, 3]);
            assert_eq!(page(kind, 3, 8), [9, 10]);
        }
    }
}
