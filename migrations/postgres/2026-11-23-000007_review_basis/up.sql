-- A month's calculation published by HSF as the review basis (granskningsunderlag), and
-- each paying unit's answer: accepted, or disputed.
CREATE TABLE review_bases (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    invoice_date DATE NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    UNIQUE (month, import_id)
);

CREATE TABLE review_responses (
    review_basis_id TEXT NOT NULL REFERENCES review_bases (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    response TEXT NOT NULL,
    responded_by TEXT NOT NULL REFERENCES users (id),
    responded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_basis_id, organisation_id)
);
