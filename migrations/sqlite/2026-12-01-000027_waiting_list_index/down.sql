DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (waiting_for, deadline_on, id);
