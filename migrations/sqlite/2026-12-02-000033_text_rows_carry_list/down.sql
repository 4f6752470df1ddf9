DROP TRIGGER cases_text_rows_listed;
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
