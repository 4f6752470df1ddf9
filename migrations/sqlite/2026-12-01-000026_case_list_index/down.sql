CREATE INDEX cases_created ON cases (created_at, id);
DROP INDEX cases_listed;
