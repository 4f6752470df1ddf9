DROP TRIGGER cases_listed_copies;
CREATE TRIGGER case_parties_listed AFTER UPDATE OF number, kind, title, level, status, waiting_for, deadline_on, filed_by_org ON cases
WHEN old.number IS NOT new.number OR old.kind IS NOT new.kind OR old.title IS NOT new.title OR old.level IS NOT new.level
  OR old.status IS NOT new.status OR old.waiting_for IS NOT new.waiting_for OR old.deadline_on IS NOT new.deadline_on
  OR old.filed_by_org IS NOT new.filed_by_org
BEGIN
    UPDATE case_parties SET case_number = new.number, case_kind = new.kind, case_title = new.title, case_level = new.level,
        case_status = new.status, case_waiting_for = new.waiting_for, case_deadline_on = new.deadline_on, case_filed_by_org = new.filed_by_org
    WHERE case_id = new.id;
END;
DROP TRIGGER cases_text_filed;
CREATE TRIGGER cases_text_filed AFTER INSERT ON cases BEGIN
    INSERT INTO cases_text (case_id, search_text) VALUES (new.id, new.search_text);
    -- Inside a trigger, the number the index just gave its new row.
    INSERT INTO cases_text_rows (rowid, case_id) VALUES (last_insert_rowid(), new.id);
END;
DROP INDEX cases_text_rows_case;
ALTER TABLE cases_text_rows DROP COLUMN case_filed_by_org;
ALTER TABLE cases_text_rows DROP COLUMN case_deadline_on;
ALTER TABLE cases_text_rows DROP COLUMN case_waiting_for;
ALTER TABLE cases_text_rows DROP COLUMN case_status;
ALTER TABLE cases_text_rows DROP COLUMN case_level;
ALTER TABLE cases_text_rows DROP COLUMN case_title;
ALTER TABLE cases_text_rows DROP COLUMN case_kind;
ALTER TABLE cases_text_rows DROP COLUMN case_number;
