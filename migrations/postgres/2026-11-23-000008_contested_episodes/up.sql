-- A payment dispute about a calculation: which month, import version and paying unit, and
-- the episodes it contests with the reason and, where it applies, the corrected value.
CREATE TABLE case_calculations (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    month TEXT NOT NULL,
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id)
);

CREATE TABLE contested_episodes (
    case_id TEXT NOT NULL REFERENCES cases (id),
    episode_id TEXT NOT NULL,
    reason TEXT NOT NULL,
    corrected_value TEXT,
    contested_by TEXT NOT NULL REFERENCES users (id),
    contested_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, episode_id)
);
