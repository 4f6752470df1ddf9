-- Free-text search over cases by trigrams (pg_trgm), so that a rare word or a case number is
-- found through an index instead of by reading every case's text. pg_trgm is a trusted
-- extension: a database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX cases_text ON cases USING gin (search_text gin_trgm_ops);
