-- What waits for a county role (the start page of Storsthlm/HSF, the steering group and VIS)
-- is a range of this index and nothing else: after the range's own columns it holds the
-- status the query tests and every column a list row shows, so no row of the wide cases
-- table is looked up. It begins as the cases_waiting it replaces did.
DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (waiting_for, deadline_on, id, status, number, kind, title, level, filed_by_org);
