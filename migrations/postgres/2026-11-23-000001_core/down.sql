DROP TABLE audit_log;
DROP TABLE login_attempts;
DROP TABLE password_resets;
DROP TABLE sessions;
DROP TABLE users;
DROP TABLE commitments;
DROP TABLE organisations;
