//! The two migration trees repeat each other by design (each backend's own SQL); this holds
//! them to the same result, so a migration added to one tree only fails CI. It needs both
//! databases, so it runs where `TEST_DATABASE_URL` names a PostgreSQL server (as in CI).

use crate::helpers::*;
use tvistetrappa::db::{BackendKind, DbConn};

/// What one backend has on purpose and the other has not: the case search's index (an FTS5
/// table, its shadow tables and triggers on SQLite; a pg_trgm GIN index on PostgreSQL) and
/// diesel's record of applied migrations.
fn intended_difference(name: &str) -> bool {
    name == "cases_text" || name.starts_with("cases_text_") || name == "__diesel_schema_migrations"
}

/// Tables whose columns the two trees hold in another order (same names): SQLite rebuilt them
/// to change constraints (migrations 010 and 015), PostgreSQL added columns at the end.
/// Rebuilding tables of stored money records to reorder columns would risk much for nothing
/// (every query names its columns), so for these the columns are compared as a set; every
/// other table's order must agree, and no new table may join this list unnoticed.
const REORDERED_BY_SQLITE_REBUILDS: [&str; 4] = ["calculations", "case_calculations", "review_bases", "review_responses"];

/// Every table with its columns in order, and every index with its columns in order
/// (constraint-backed ones, like primary keys, are part of their table's definition).
fn schema(conn: &mut DbConn) -> Vec<String> {
    let sqlite = conn.kind() == BackendKind::Sqlite;
    let (tables, columns, indexes, indexed): (&str, &str, &str, &str) = if sqlite {
        (
            "SELECT name AS value FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            "SELECT name AS value FROM pragma_table_info('{}') ORDER BY cid",
            "SELECT name AS value FROM sqlite_master WHERE type = 'index' AND tbl_name = '{}' AND sql IS NOT NULL",
            "SELECT COALESCE(name, '(expression)') AS value FROM pragma_index_info('{}') ORDER BY seqno",
        )
    } else {
        (
            "SELECT table_name::text AS value FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
            "SELECT column_name::text AS value FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}' ORDER BY ordinal_position",
            "SELECT indexname::text AS value FROM pg_indexes WHERE schemaname = 'public' AND tablename = '{}' \
             AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            "SELECT COALESCE(a.attname::text, '(expression)') AS value FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
             CROSS JOIN LATERAL unnest(x.indkey) WITH ORDINALITY AS k(attnum, n) \
             LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum \
             WHERE i.relname = '{}' ORDER BY k.n",
        )
    };
    let mut names = texts(conn, tables);
    names.retain(|t| !intended_difference(t));
    names.sort();
    let mut described = Vec::new();
    for table in names {
        let mut column_names = texts(conn, &columns.replace("{}", &table));
        if REORDERED_BY_SQLITE_REBUILDS.contains(&table.as_str()) {
            column_names.sort();
        }
        described.push(format!("table {table} ({})", column_names.join(", ")));
        let mut index_names = texts(conn, &indexes.replace("{}", &table));
        index_names.retain(|i| !intended_difference(i));
        index_names.sort();
        for index in index_names {
            described.push(format!("  index {index} ({})", texts(conn, &indexed.replace("{}", &index)).join(", ")));
        }
    }
    described
}

#[actix_web::test]
async fn both_migration_trees_end_in_the_same_tables_columns_and_indexes() {
    if std::env::var("TEST_DATABASE_URL").is_err() {
        eprintln!("skipped: comparing the SQLite and PostgreSQL schemas needs TEST_DATABASE_URL (CI sets it)");
        return;
    }
    let postgres = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let sqlite_url = tvistetrappa::db::DbUrl::parse(&format!("sqlite://{}", dir.path().join("schema.db").display())).unwrap();
    sqlite_url.migrate().expect("SQLite migrations");
    let on_sqlite = schema(&mut sqlite_url.connect().unwrap());
    let on_postgres = schema(&mut postgres.db());
    assert!(on_sqlite.len() > 40, "the schema was read: {on_sqlite:#?}");
    let only_sqlite: Vec<_> = on_sqlite.iter().filter(|l| !on_postgres.contains(l)).collect();
    let only_postgres: Vec<_> = on_postgres.iter().filter(|l| !on_sqlite.contains(l)).collect();
    assert!(only_sqlite.is_empty() && only_postgres.is_empty(), "only on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_postgres:#?}");
    assert_eq!(on_sqlite, on_postgres, "the same, in the same order");
}
