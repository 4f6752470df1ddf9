-- Each party row carries the columns its case is listed with, so that one organisation's
-- case list and start page read one index (an index-only scan where the visibility map
-- allows) instead of joining each entry to its case. A party row gets them when it is filed
-- (store::cases::create); the trigger below keeps them in step with every change to the case,
-- whoever writes it.
ALTER TABLE case_parties
    ADD COLUMN case_number TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_kind TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_title TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_level TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_status TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_waiting_for TEXT NOT NULL DEFAULT '',
    ADD COLUMN case_deadline_on DATE,
    ADD COLUMN case_filed_by_org TEXT NOT NULL DEFAULT '';
UPDATE case_parties SET (case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org) = (
    SELECT number, kind, title, level, status, waiting_for, deadline_on, filed_by_org FROM cases WHERE cases.id = case_parties.case_id
);
DROP INDEX case_parties_newest;
CREATE INDEX case_parties_newest ON case_parties (organisation_id, case_created_at, case_id)
    INCLUDE (case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org);
DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (organisation_id, awaited_key)
    INCLUDE (case_id, case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org)
    WHERE awaited_key IS NOT NULL;
CREATE FUNCTION case_parties_listed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE case_parties SET case_number = NEW.number, case_kind = NEW.kind, case_title = NEW.title, case_level = NEW.level,
        case_status = NEW.status, case_waiting_for = NEW.waiting_for, case_deadline_on = NEW.deadline_on, case_filed_by_org = NEW.filed_by_org
    WHERE case_id = NEW.id;
    RETURN NULL;
END
$$;
CREATE TRIGGER case_parties_listed AFTER UPDATE OF number, kind, title, level, status, waiting_for, deadline_on, filed_by_org ON cases
FOR EACH ROW
WHEN ((OLD.number, OLD.kind, OLD.title, OLD.level, OLD.status, OLD.waiting_for, OLD.deadline_on, OLD.filed_by_org)
    IS DISTINCT FROM (NEW.number, NEW.kind, NEW.title, NEW.level, NEW.status, NEW.waiting_for, NEW.deadline_on, NEW.filed_by_org))
EXECUTE FUNCTION case_parties_listed();
