-- A month's calculation, made when an import becomes the month's current version. The
-- units keep their tallies, threshold and daily amount; A, B and the amount follow exactly.
CREATE TABLE calculations (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    created_at TIMESTAMP NOT NULL,
    error TEXT,
    UNIQUE (month, import_id)
);

CREATE TABLE calculation_units (
    calculation_id TEXT NOT NULL REFERENCES calculations (id),
    position INTEGER NOT NULL,
    municipality_code TEXT NOT NULL,
    district TEXT,
    model TEXT NOT NULL,
    care_provider TEXT,
    episodes_total BIGINT NOT NULL,
    episodes_included BIGINT NOT NULL,
    total_days BIGINT NOT NULL,
    episodes_with_days BIGINT NOT NULL,
    days_over_five BIGINT NOT NULL,
    threshold_hundredths BIGINT NOT NULL,
    daily_rate_sek BIGINT NOT NULL,
    amount_sek BIGINT NOT NULL,
    PRIMARY KEY (calculation_id, position)
);
