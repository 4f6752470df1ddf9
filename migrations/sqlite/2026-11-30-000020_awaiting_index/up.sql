-- The start page of a county role lists the open cases waiting for it in deadline order,
-- those without a deadline last. With the id in the index that is two ordered index ranges
-- (dated, then undated) that stop at the page's length, instead of sorting every case
-- waiting for the role (measured: 117 pages/s with 100 000 cases).
DROP INDEX cases_waiting;
CREATE INDEX cases_waiting ON cases (waiting_for, deadline_on, id);
