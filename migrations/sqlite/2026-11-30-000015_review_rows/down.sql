ALTER TABLE case_calculations DROP COLUMN row_key;
CREATE TABLE review_unit_responses (
    review_basis_id TEXT NOT NULL REFERENCES review_bases (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    response TEXT NOT NULL,
    responded_by TEXT NOT NULL REFERENCES users (id),
    responded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_basis_id, organisation_id)
);
INSERT OR IGNORE INTO review_unit_responses SELECT review_basis_id, organisation_id, response, responded_by, responded_at FROM review_responses;
DROP TABLE review_responses;
ALTER TABLE review_unit_responses RENAME TO review_responses;
