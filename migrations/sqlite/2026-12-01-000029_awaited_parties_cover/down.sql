DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key) WHERE awaited_key IS NOT NULL;
