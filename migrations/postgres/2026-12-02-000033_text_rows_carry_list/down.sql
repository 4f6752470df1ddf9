-- SQLite's text index rows carry the list's columns; PostgreSQL searches the cases table itself.
SELECT 1;
