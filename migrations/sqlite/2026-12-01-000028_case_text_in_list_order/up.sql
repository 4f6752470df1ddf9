-- The text index's rows numbered in the case list's order, oldest first (created_at, then id),
-- so that a search with many matches can read them newest first from the index and stop
-- after a page (store::cases::list) instead of testing each case's text in list order. New
-- cases keep the order: each is filed after every other (store::cases::filing_stamp) and the
-- trigger gives its row the next number.
DELETE FROM cases_text;
INSERT INTO cases_text (rowid, case_id, search_text) SELECT row_number() OVER (ORDER BY created_at, id), id, search_text FROM cases;
INSERT INTO cases_text (cases_text) VALUES ('optimize');
