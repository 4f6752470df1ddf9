-- Calculations become immutable versions numbered per month. A new version is made by an
-- import, by a change of settings or by corrections agreed in a payment dispute; none is
-- ever changed or removed, so an invoiced version stays as it was invoiced. Review bases
-- and disputes refer to the version they are about.
--
-- SQLite cannot drop a UNIQUE constraint: the tables are rebuilt under new names and
-- renamed, which also renames the foreign keys that point at them.

CREATE TABLE calculation_versions (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    version INTEGER NOT NULL,
    import_id TEXT NOT NULL REFERENCES episode_imports (id),
    cause TEXT NOT NULL,
    case_id TEXT REFERENCES cases (id),
    created_by TEXT REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    error TEXT,
    UNIQUE (month, version)
);
INSERT INTO calculation_versions (id, month, version, import_id, cause, case_id, created_by, created_at, error)
    SELECT c.id, c.month, (SELECT COUNT(*) FROM calculations o WHERE o.month = c.month AND o.id <= c.id),
           c.import_id, 'import', NULL, NULL, c.created_at, c.error
    FROM calculations c;

CREATE TABLE calculation_version_units (
    calculation_id TEXT NOT NULL REFERENCES calculation_versions (id),
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
INSERT INTO calculation_version_units SELECT * FROM calculation_units;

CREATE TABLE review_bases_new (
    id TEXT PRIMARY KEY,
    month TEXT NOT NULL,
    calculation_id TEXT NOT NULL REFERENCES calculation_versions (id),
    invoice_date DATE NOT NULL,
    published_by TEXT NOT NULL REFERENCES users (id),
    published_at TIMESTAMP NOT NULL,
    UNIQUE (calculation_id)
);
INSERT INTO review_bases_new (id, month, calculation_id, invoice_date, published_by, published_at)
    SELECT r.id, r.month, c.id, r.invoice_date, r.published_by, r.published_at
    FROM review_bases r JOIN calculation_versions c ON c.month = r.month AND c.import_id = r.import_id;

CREATE TABLE case_calculations_new (
    case_id TEXT PRIMARY KEY REFERENCES cases (id),
    calculation_id TEXT NOT NULL REFERENCES calculation_versions (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id)
);
INSERT INTO case_calculations_new (case_id, calculation_id, organisation_id)
    SELECT l.case_id, c.id, l.organisation_id
    FROM case_calculations l JOIN calculation_versions c ON c.month = l.month AND c.import_id = l.import_id;

-- review_responses points at review_bases: rebuild it too, so no row is orphaned.
CREATE TABLE review_responses_new (
    review_basis_id TEXT NOT NULL REFERENCES review_bases_new (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    response TEXT NOT NULL,
    responded_by TEXT NOT NULL REFERENCES users (id),
    responded_at TIMESTAMP NOT NULL,
    PRIMARY KEY (review_basis_id, organisation_id)
);
INSERT INTO review_responses_new SELECT * FROM review_responses;

DROP TABLE review_responses;
DROP TABLE review_bases;
DROP TABLE case_calculations;
DROP TABLE calculation_units;
DROP TABLE calculations;
ALTER TABLE calculation_versions RENAME TO calculations;
ALTER TABLE calculation_version_units RENAME TO calculation_units;
ALTER TABLE review_bases_new RENAME TO review_bases;
ALTER TABLE review_responses_new RENAME TO review_responses;
ALTER TABLE case_calculations_new RENAME TO case_calculations;

CREATE TRIGGER calculations_no_update BEFORE UPDATE ON calculations
BEGIN SELECT RAISE(ABORT, 'calculations is append-only'); END;
CREATE TRIGGER calculations_no_delete BEFORE DELETE ON calculations
BEGIN SELECT RAISE(ABORT, 'calculations is append-only'); END;
CREATE TRIGGER calculation_units_no_update BEFORE UPDATE ON calculation_units
BEGIN SELECT RAISE(ABORT, 'calculation_units is append-only'); END;
CREATE TRIGGER calculation_units_no_delete BEFORE DELETE ON calculation_units
BEGIN SELECT RAISE(ABORT, 'calculation_units is append-only'); END;

-- What HSF made of each contested episode when it applied a dispute's corrections.
ALTER TABLE contested_episodes ADD COLUMN outcome TEXT;
