-- E-mail goes through an outbox: each message is a row written in the same transaction as
-- the change that causes it, and a worker inside `serve` delivers it. A sender claims a
-- row with a lease (a conditional UPDATE), so that with several app servers each message
-- is sent by one. dedupe_key makes reminders and digests idempotent.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    created_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    case_id TEXT REFERENCES cases (id),
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    text_body TEXT NOT NULL,
    html_body TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    thread_id TEXT,
    list_unsubscribe TEXT,
    dedupe_key TEXT UNIQUE,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    sent_at TIMESTAMP
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- What is not essential waits here for a user's daily digest.
CREATE TABLE digest_items (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    case_id TEXT NOT NULL REFERENCES cases (id),
    line TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    digested_at TIMESTAMP
);
CREATE INDEX digest_items_waiting ON digest_items (digested_at, user_id);

-- A reminder about a case's deadline at a level, once: the insert is the claim.
CREATE TABLE reminders_sent (
    case_id TEXT NOT NULL REFERENCES cases (id),
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    deadline_on DATE NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (case_id, kind, level, deadline_on)
);

-- Per user: what is not essential comes at once, in the daily digest, or not at all.
ALTER TABLE users ADD COLUMN notify_preference TEXT NOT NULL DEFAULT 'digest';
-- Per organisation: a functional mailbox that receives what asks the organisation to act.
ALTER TABLE organisations ADD COLUMN contact_email TEXT;
