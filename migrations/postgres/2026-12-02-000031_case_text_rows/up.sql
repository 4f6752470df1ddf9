-- SQLite's text index rows by number; PostgreSQL's trigram index is on the cases table itself.
SELECT 1;
