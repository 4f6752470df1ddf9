-- Each party row carries its case's filing time, so that the newest cases of one
-- organisation are one index range away (the case list of a local user).
ALTER TABLE case_parties ADD COLUMN case_created_at TIMESTAMP;
UPDATE case_parties SET case_created_at = (SELECT created_at FROM cases WHERE cases.id = case_parties.case_id);
CREATE INDEX case_parties_newest ON case_parties (organisation_id, case_created_at, case_id);
