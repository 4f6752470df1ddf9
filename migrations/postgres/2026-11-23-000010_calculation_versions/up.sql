-- Calculations become immutable versions numbered per month. A new version is made by an
-- import, by a change of settings or by corrections agreed in a payment dispute; none is
-- ever changed or removed, so an invoiced version stays as it was invoiced. Review bases
-- and disputes refer to the version they are about.

ALTER TABLE calculations DROP CONSTRAINT calculations_month_import_id_key;
ALTER TABLE calculations
    ADD COLUMN version INTEGER,
    ADD COLUMN cause TEXT NOT NULL DEFAULT 'import',
    ADD COLUMN case_id TEXT REFERENCES cases (id),
    ADD COLUMN created_by TEXT REFERENCES users (id);
UPDATE calculations c SET version = (SELECT COUNT(*) FROM calculations o WHERE o.month = c.month AND o.id <= c.id);
ALTER TABLE calculations ALTER COLUMN version SET NOT NULL, ALTER COLUMN cause DROP DEFAULT;
ALTER TABLE calculations ADD CONSTRAINT calculations_month_version UNIQUE (month, version);

ALTER TABLE review_bases ADD COLUMN calculation_id TEXT REFERENCES calculations (id);
UPDATE review_bases r SET calculation_id = c.id FROM calculations c WHERE c.month = r.month AND c.import_id = r.import_id;
DELETE FROM review_responses WHERE review_basis_id IN (SELECT id FROM review_bases WHERE calculation_id IS NULL);
DELETE FROM review_bases WHERE calculation_id IS NULL;
ALTER TABLE review_bases ALTER COLUMN calculation_id SET NOT NULL, DROP COLUMN import_id;
ALTER TABLE review_bases ADD CONSTRAINT review_bases_calculation UNIQUE (calculation_id);

ALTER TABLE case_calculations ADD COLUMN calculation_id TEXT REFERENCES calculations (id);
UPDATE case_calculations l SET calculation_id = c.id FROM calculations c WHERE c.month = l.month AND c.import_id = l.import_id;
DELETE FROM case_calculations WHERE calculation_id IS NULL;
ALTER TABLE case_calculations ALTER COLUMN calculation_id SET NOT NULL, DROP COLUMN import_id, DROP COLUMN month;

CREATE TRIGGER calculations_append_only BEFORE UPDATE OR DELETE ON calculations
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
CREATE TRIGGER calculation_units_append_only BEFORE UPDATE OR DELETE ON calculation_units
    FOR EACH ROW EXECUTE FUNCTION refuse_change();

-- What HSF made of each contested episode when it applied a dispute's corrections.
ALTER TABLE contested_episodes ADD COLUMN outcome TEXT;
