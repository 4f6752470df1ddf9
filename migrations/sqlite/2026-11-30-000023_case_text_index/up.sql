-- Free-text search over cases by trigrams (FTS5), so that a rare word or a case number is
-- found through an index instead of by reading every case's text. The table keeps its own
-- copy with the case's id: VACUUM may renumber the rowids of `cases`, which would break an
-- index that pointed at them. Cases' texts are written once, when they are filed.
CREATE VIRTUAL TABLE cases_text USING fts5(case_id UNINDEXED, search_text, tokenize = 'trigram');
INSERT INTO cases_text (case_id, search_text) SELECT id, search_text FROM cases;
CREATE TRIGGER cases_text_filed AFTER INSERT ON cases BEGIN
    INSERT INTO cases_text (case_id, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER cases_text_removed AFTER DELETE ON cases BEGIN
    DELETE FROM cases_text WHERE case_id = old.id;
END;
