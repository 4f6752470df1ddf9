-- Each party row carries the columns its case is listed with, so that one organisation's
-- case list and start page read one index range and nothing else: joining each entry to its
-- case cost two b-tree descents and a wide row per case shown, about half of the page's
-- database time. A party row gets them when it is filed (store::cases::create); the trigger
-- below keeps them in step with every change to the case, whoever writes it.
ALTER TABLE case_parties ADD COLUMN case_number TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_kind TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_title TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_level TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_status TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_waiting_for TEXT NOT NULL DEFAULT '';
ALTER TABLE case_parties ADD COLUMN case_deadline_on DATE;
ALTER TABLE case_parties ADD COLUMN case_filed_by_org TEXT NOT NULL DEFAULT '';
UPDATE case_parties SET (case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org) = (
    SELECT number, kind, title, level, status, waiting_for, deadline_on, filed_by_org FROM cases WHERE cases.id = case_parties.case_id
);
DROP INDEX case_parties_newest;
CREATE INDEX case_parties_newest ON case_parties (
    organisation_id, case_created_at, case_id,
    case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org
);
DROP INDEX case_parties_awaited;
CREATE INDEX case_parties_awaited ON case_parties (
    organisation_id, awaited_key, case_id,
    case_number, case_kind, case_title, case_level, case_status, case_waiting_for, case_deadline_on, case_filed_by_org
) WHERE awaited_key IS NOT NULL;
CREATE TRIGGER case_parties_listed AFTER UPDATE OF number, kind, title, level, status, waiting_for, deadline_on, filed_by_org ON cases
WHEN old.number IS NOT new.number OR old.kind IS NOT new.kind OR old.title IS NOT new.title OR old.level IS NOT new.level
  OR old.status IS NOT new.status OR old.waiting_for IS NOT new.waiting_for OR old.deadline_on IS NOT new.deadline_on
  OR old.filed_by_org IS NOT new.filed_by_org
BEGIN
    UPDATE case_parties SET case_number = new.number, case_kind = new.kind, case_title = new.title, case_level = new.level,
        case_status = new.status, case_waiting_for = new.waiting_for, case_deadline_on = new.deadline_on, case_filed_by_org = new.filed_by_org
    WHERE case_id = new.id;
END;
