-- Counterpart rows were written without their case's filing time (only the filer's had it),
-- so an organisation that is only a counterpart fell out of the newest-first index range.
UPDATE case_parties SET case_created_at = (SELECT created_at FROM cases WHERE cases.id = case_parties.case_id)
    WHERE case_created_at IS NULL;
