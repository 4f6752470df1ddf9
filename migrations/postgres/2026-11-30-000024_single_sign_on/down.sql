ALTER TABLE login_challenges DROP COLUMN id_token;
ALTER TABLE login_challenges DROP COLUMN provider_id;
ALTER TABLE sessions DROP COLUMN id_token;
ALTER TABLE sessions DROP COLUMN provider_id;
ALTER TABLE users DROP COLUMN awaiting_confirmation;
DROP TABLE sso_logins;
DROP TABLE user_identities;
DROP TABLE identity_provider_organisations;
DROP TABLE identity_providers;
