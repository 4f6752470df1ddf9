-- A party's start page walks this index and joins each entry to its case by the case's id,
-- which the index now holds: before, each entry's party row was read for it first (one
-- b-tree descent more per case shown).
DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key, case_id) WHERE awaited_key IS NOT NULL;
