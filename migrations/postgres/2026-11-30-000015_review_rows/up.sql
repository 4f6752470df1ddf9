-- Each row of a unit's review basis is answered on its own (domain.md §4.2): the
-- average-model row and each care-provider row of the transitional rule. row_key names the
-- row ('average', or 'individual:' and the care provider); an answer given before this,
-- which covered the whole unit, keeps doing so as the row 'unit'.
ALTER TABLE review_responses ADD COLUMN row_key TEXT NOT NULL DEFAULT 'unit';
ALTER TABLE review_responses ALTER COLUMN row_key DROP DEFAULT;
ALTER TABLE review_responses DROP CONSTRAINT review_responses_pkey;
ALTER TABLE review_responses ADD PRIMARY KEY (review_basis_id, organisation_id, row_key);

-- A payment dispute is about one row of the unit's calculation; links made before this were
-- about the unit's average-model row.
ALTER TABLE case_calculations ADD COLUMN row_key TEXT NOT NULL DEFAULT 'average';
