-- The audit log is append-only, like a case's history: the database refuses to change it.
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_change();
-- Counting one address's recent events of one kind, to bound what anonymous requests log.
CREATE INDEX audit_log_ip_action ON audit_log (ip, action, at);

-- A second factor (TOTP, RFC 6238) for password accounts: the shared secret (base32), when it
-- was confirmed, and the last time step accepted (a code is good once).
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_enabled_at TIMESTAMP;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- One-time recovery codes, kept only as SHA-256.
CREATE TABLE recovery_codes (
    code_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    used_at TIMESTAMP
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_id);

-- Between a right password and a right code: a short-lived token in a cookie.
CREATE TABLE login_challenges (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
