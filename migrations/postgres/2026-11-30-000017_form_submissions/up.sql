-- Each new-case form carries a random key; the case it filed is kept under it, so a form
-- sent again (a retry after the answer was lost) gets the first case back instead of a second.
CREATE TABLE form_submissions (
    submission TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    result TEXT,
    created_at TIMESTAMP NOT NULL
);
