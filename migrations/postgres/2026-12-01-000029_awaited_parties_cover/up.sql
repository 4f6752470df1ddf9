-- A party's start page walks this index and joins each entry to its case by the case's id,
-- which the index now carries (an index-only scan where the visibility map allows).
DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key) INCLUDE (case_id) WHERE awaited_key IS NOT NULL;
