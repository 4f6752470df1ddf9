DROP TRIGGER cases_text_removed;
DROP TRIGGER cases_text_filed;
DROP TABLE cases_text;
