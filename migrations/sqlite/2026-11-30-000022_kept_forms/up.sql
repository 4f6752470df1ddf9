-- A form posted after its session ended is kept for a short while, tied to the browser that
-- sent it (a hash of its anonymous cookie) and to the user whose session it was, so that
-- signing in again brings the user back to the form with what they typed. Only the form's
-- fields are kept, and only until it is shown again or an hour has passed.
CREATE TABLE kept_forms (
    id TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    form_path TEXT NOT NULL,
    page_path TEXT NOT NULL,
    fields TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX kept_forms_created ON kept_forms (created_at);
