DROP TABLE login_challenges;
DROP TABLE recovery_codes;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_enabled_at;
ALTER TABLE users DROP COLUMN totp_secret;
DROP INDEX audit_log_ip_action;
DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_log_no_update;
