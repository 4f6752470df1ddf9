ALTER TABLE case_calculations DROP COLUMN row_key;
DELETE FROM review_responses r USING review_responses o
    WHERE r.review_basis_id = o.review_basis_id AND r.organisation_id = o.organisation_id AND r.row_key > o.row_key;
ALTER TABLE review_responses DROP CONSTRAINT review_responses_pkey;
ALTER TABLE review_responses DROP COLUMN row_key;
ALTER TABLE review_responses ADD PRIMARY KEY (review_basis_id, organisation_id);
