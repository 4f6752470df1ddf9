DROP TRIGGER case_parties_listed ON cases;
DROP FUNCTION case_parties_listed();
DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key) INCLUDE (case_id) WHERE awaited_key IS NOT NULL;
DROP INDEX case_parties_newest;
CREATE INDEX case_parties_newest ON case_parties (organisation_id, case_created_at, case_id);
ALTER TABLE case_parties
    DROP COLUMN case_filed_by_org,
    DROP COLUMN case_deadline_on,
    DROP COLUMN case_waiting_for,
    DROP COLUMN case_status,
    DROP COLUMN case_level,
    DROP COLUMN case_title,
    DROP COLUMN case_kind,
    DROP COLUMN case_number;
