-- What waits for a county role can be read from this index alone (an index-only scan where
-- the visibility map allows): it carries the status the query tests and every column a list
-- row shows. It begins as the cases_waiting it replaces did.
DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (waiting_for, deadline_on, id) INCLUDE (status, number, kind, title, level, filed_by_org);
