DROP INDEX case_parties_awaited;
ALTER TABLE case_parties DROP COLUMN awaited_key;
