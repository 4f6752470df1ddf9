-- SQLite's text index numbered in list order; PostgreSQL's trigram index has no order to keep.
SELECT 1;
