-- Cases (deviations, interpretation questions, payment disputes) and their history.

CREATE TABLE case_counters (
    prefix TEXT NOT NULL,
    year INTEGER NOT NULL,
    last_number INTEGER NOT NULL,
    PRIMARY KEY (prefix, year)
);

CREATE TABLE cases (
    id TEXT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    consequences TEXT NOT NULL,
    commitment_id TEXT REFERENCES commitments (id),
    filed_by_org TEXT NOT NULL REFERENCES organisations (id),
    filed_by_user TEXT NOT NULL REFERENCES users (id),
    principled BOOLEAN NOT NULL,
    occurred_from DATE NOT NULL,
    occurred_to DATE,
    payment_month TEXT,
    billing_unit_id TEXT REFERENCES organisations (id),
    amount_sek BIGINT,
    level TEXT NOT NULL,
    status TEXT NOT NULL,
    waiting_for TEXT NOT NULL,
    answered BOOLEAN NOT NULL,
    assessed_by_storsthlm BOOLEAN NOT NULL,
    assessed_by_hsf BOOLEAN NOT NULL,
    proposal_by_party TEXT,
    proposal_accepted_by TEXT,
    has_proposal BOOLEAN NOT NULL,
    deadline_on DATE,
    level_entered_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL,
    search_text TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    closed_at TIMESTAMP
);
CREATE INDEX cases_created ON cases (created_at, id);
CREATE INDEX cases_open_deadline ON cases (status, deadline_on);
CREATE INDEX cases_waiting ON cases (waiting_for, deadline_on);

CREATE TABLE case_parties (
    case_id TEXT NOT NULL REFERENCES cases (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    side TEXT NOT NULL,
    registration_number TEXT,
    PRIMARY KEY (case_id, organisation_id)
);
CREATE INDEX case_parties_organisation ON case_parties (organisation_id, case_id);

CREATE TABLE case_events (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    at TIMESTAMP NOT NULL,
    actor_id TEXT REFERENCES users (id),
    actor_org_id TEXT REFERENCES organisations (id),
    action TEXT NOT NULL,
    from_level TEXT,
    to_level TEXT,
    body TEXT NOT NULL,
    visible_to_org TEXT REFERENCES organisations (id)
);
CREATE INDEX case_events_case ON case_events (case_id, id);

CREATE TABLE case_decisions (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    level TEXT NOT NULL,
    decided_on DATE NOT NULL,
    reference TEXT NOT NULL,
    body TEXT NOT NULL,
    outcome TEXT NOT NULL,
    corrects_id TEXT REFERENCES case_decisions (id),
    recorded_by TEXT NOT NULL REFERENCES users (id),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX case_decisions_case ON case_decisions (case_id, recorded_at);

CREATE TABLE case_attachments (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_by TEXT NOT NULL REFERENCES users (id),
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX case_attachments_case ON case_attachments (case_id);

CREATE TABLE level_deadlines (
    level TEXT PRIMARY KEY,
    days INTEGER NOT NULL,
    day_count TEXT NOT NULL
);
INSERT INTO level_deadlines (level, days, day_count) VALUES
    ('local', 60, 'calendar'),
    ('review', 30, 'working'),
    ('steering', 60, 'calendar'),
    ('vis', 90, 'calendar'),
    ('nearest_managers', 21, 'calendar'),
    ('directors', 30, 'calendar');

-- History and decisions are append-only: the database refuses to change or remove them.
CREATE FUNCTION refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER case_events_append_only BEFORE UPDATE OR DELETE ON case_events
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER case_decisions_append_only BEFORE UPDATE OR DELETE ON case_decisions
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
