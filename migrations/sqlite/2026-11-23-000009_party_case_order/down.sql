DROP INDEX case_parties_newest;
ALTER TABLE case_parties DROP COLUMN case_created_at;
