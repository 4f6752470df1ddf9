ALTER TABLE organisations DROP COLUMN contact_email;
ALTER TABLE users DROP COLUMN notify_preference;
DROP TABLE reminders_sent;
DROP TABLE digest_items;
DROP TABLE outbox;
