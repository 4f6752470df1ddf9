-- A party row carries, while its case is open and waits for that row's side, the key its
-- case sorts by on the party's start page: '0' || deadline || id, or '1' || id without a
-- deadline (soonest first, undated last). The start page is then one short index range per
-- organisation instead of a look at every case the organisation is party to.
ALTER TABLE case_parties ADD COLUMN awaited_key TEXT;
UPDATE case_parties SET awaited_key = (
    SELECT CASE WHEN c.deadline_on IS NULL THEN '1' || c.id ELSE '0' || c.deadline_on || c.id END
    FROM cases c
    WHERE c.id = case_parties.case_id AND c.status <> 'closed' AND c.waiting_for = case_parties.side
);
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key) WHERE awaited_key IS NOT NULL;
