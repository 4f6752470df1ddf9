-- Each row of a unit's review basis is answered on its own (domain.md §4.2): the
-- average-model row and each care-provider row of the transitional rule. row_key names the
-- row ('average', or 'individual:' and the care provider); an answer given before this,
-- which covered the whole unit, keeps doing so as the row 'unit'.
CREATE TABLE review_row_responses (
    review_basis_id TEXT NOT NULL REFERENCES review_bases (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    row_key TEXT NOT NULL,
    response TEXT NOT NULL,
    responded_by TEXT NOT NULL REFERENCES users (id),
    responded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_basis_id, organisation_id, row_key)
);
INSERT INTO review_row_responses (review_basis_id, organisation_id, row_key, response, responded_by, responded_at)
    SELECT review_basis_id, organisation_id, 'unit', response, responded_by, responded_at FROM review_responses;
DROP TABLE review_responses;
ALTER TABLE review_row_responses RENAME TO review_responses;

-- A payment dispute is about one row of the unit's calculation; links made before this were
-- about the unit's average-model row.
ALTER TABLE case_calculations ADD COLUMN row_key TEXT NOT NULL DEFAULT 'average';
