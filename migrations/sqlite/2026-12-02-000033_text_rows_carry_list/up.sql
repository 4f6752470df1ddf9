-- Each row of `cases_text_rows` carries the columns its case is listed with, as the party rows
-- do (migration 032), so that a county-wide search newest first reads a page of matches from
-- the text index and this table and no case row: joining each match to its case cost two
-- b-tree descents more per case shown. The filing trigger writes them, and the trigger that
-- keeps the party rows' copies in step keeps these too, finding the row by its case's id (the
-- new index, which the removal trigger uses too).
ALTER TABLE cases_text_rows ADD COLUMN case_number TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_title TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_level TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_status TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_waiting_for TEXT NOT NULL DEFAULT '';
ALTER TABLE cases_text_rows ADD COLUMN case_deadline_on DATE;
ALTER TABLE cases_text_rows ADD COLUMN case_filed_by_org TEXT NOT NULL DEFAULT '';
UPDATE cases_text_rows SET (case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org) = (
    SELECT number, kind, title, level, status, waiting_for, deadline_on, filed_by_org FROM cases WHERE cases.id = cases_text_rows.case_id
);
CREATE INDEX cases_text_rows_case ON cases_text_rows (case_id);
DROP TRIGGER cases_text_filed;
CREATE TRIGGER cases_text_filed AFTER INSERT ON cases BEGIN
    INSERT INTO cases_text (case_id, search_text) VALUES (new.id, new.search_text);
    -- Inside a trigger, the number the index just gave its new row.
    INSERT INTO cases_text_rows (
        rowid, case_id, case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org
    ) VALUES (
        last_insert_rowid(), new.id, new.number, new.kind, new.title, new.level, new.status, new.waiting_for, new.deadline_on, new.filed_by_org
    );
END;
-- One trigger keeps both copies in step, under migration 032's condition.
DROP TRIGGER case_parties_listed;
CREATE TRIGGER cases_listed_copies AFTER UPDATE OF number, kind, title, level, status, waiting_for, deadline_on, filed_by_org ON cases
WHEN old.number IS NOT new.number OR old.kind IS NOT new.kind OR old.title IS NOT new.title OR old.level IS NOT new.level
  OR old.status IS NOT new.status OR old.waiting_for IS NOT new.waiting_for OR old.deadline_on IS NOT new.deadline_on
  OR old.filed_by_org IS NOT new.filed_by_org
BEGIN
    UPDATE case_parties SET case_number = new.number, case_kind = new.kind, case_title = new.title, case_level = new.level,
        case_status = new.status, case_waiting_for = new.waiting_for, case_deadline_on = new.deadline_on, case_filed_by_org = new.filed_by_org
    WHERE case_id = new.id;
    UPDATE cases_text_rows SET case_number = new.number, case_kind = new.kind, case_title = new.title, case_level = new.level,
        case_status = new.status, case_waiting_for = new.waiting_for, case_deadline_on = new.deadline_on, case_filed_by_org = new.filed_by_org
    WHERE case_id = new.id;
END;
