-- Imported care-episode files. Every import is kept; for each month the newest import that
-- covers it is the current version.

CREATE TABLE episode_imports (
    id TEXT PRIMARY KEY,
    imported_at TIMESTAMP NOT NULL,
    imported_by TEXT REFERENCES users (id),
    source TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    row_count BIGINT NOT NULL
);

CREATE TABLE import_months (
    month TEXT NOT NULL,
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    episodes BIGINT NOT NULL,
    PRIMARY KEY (month, import_id)
);

CREATE TABLE episodes (
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    episode_id TEXT NOT NULL,
    line BIGINT NOT NULL,
    month TEXT NOT NULL,
    municipality_code TEXT NOT NULL,
    district TEXT,
    placement_code TEXT,
    care_type TEXT NOT NULL,
    care_provider TEXT,
    admitted_at TIMESTAMP,
    admission_notice_at TIMESTAMP,
    ready_notice_at TIMESTAMP,
    discharged_at TIMESTAMP NOT NULL,
    needs_outpatient_contact BOOLEAN NOT NULL,
    outpatient_contact_assigned BOOLEAN NOT NULL,
    needs_sip BOOLEAN NOT NULL,
    sip_called_at TIMESTAMP,
    needs_care_plan BOOLEAN NOT NULL,
    care_plan_established BOOLEAN NOT NULL,
    outpatient_care_unavailable BOOLEAN NOT NULL,
    patient_declined BOOLEAN NOT NULL,
    PRIMARY KEY (import_id, episode_id)
);
CREATE INDEX episodes_month ON episodes (import_id, month);
