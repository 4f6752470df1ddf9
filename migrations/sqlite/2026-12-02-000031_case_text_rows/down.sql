DROP TRIGGER cases_text_removed;
CREATE TRIGGER cases_text_removed AFTER DELETE ON cases BEGIN
    DELETE FROM cases_text WHERE case_id = old.id;
END;
DROP TRIGGER cases_text_filed;
CREATE TRIGGER cases_text_filed AFTER INSERT ON cases BEGIN
    INSERT INTO cases_text (case_id, search_text) VALUES (new.id, new.search_text);
END;
DROP TABLE cases_text_rows;
