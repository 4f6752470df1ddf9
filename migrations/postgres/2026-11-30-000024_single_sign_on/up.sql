-- Single sign-on through OpenID Connect providers an administrator registers.
-- The client secret is kept only sealed with the service's key (AEAD; see security.rs).
-- A provider reads the user's organisation from one claim, or signs in for fixed
-- organisations when organisation_claim is NULL (one municipality's own tenant).
CREATE TABLE identity_providers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    issuer TEXT NOT NULL UNIQUE,
    client_id TEXT NOT NULL,
    client_secret_sealed TEXT NOT NULL,
    secret_expires_on DATE,
    organisation_claim TEXT,
    create_unknown BOOLEAN NOT NULL,
    enabled BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- The organisations a provider may sign in users for (and their units), each with the value
-- of the provider's organisation claim that names it (NULL for a fixed organisation).
CREATE TABLE identity_provider_organisations (
    provider_id TEXT NOT NULL REFERENCES identity_providers (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    claim_value TEXT,
    PRIMARY KEY (provider_id, organisation_id)
);

-- A person at a provider, keyed on what the provider says never changes: (issuer, subject),
-- never the e-mail address.
CREATE TABLE user_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id),
    user_id TEXT NOT NULL REFERENCES users (id),
    linked_at TIMESTAMP NOT NULL,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX user_identities_user ON user_identities (user_id);

-- A sign-in on its way through a provider: the state (hashed), the browser it started in
-- (a hash of a cookie), the nonce and PKCE verifier, and where to go afterwards. Used once.
CREATE TABLE sso_logins (
    state_hash TEXT PRIMARY KEY,
    browser_hash TEXT NOT NULL,
    provider_id TEXT NOT NULL REFERENCES identity_providers (id),
    nonce TEXT NOT NULL,
    pkce_verifier TEXT NOT NULL,
    next TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX sso_logins_created ON sso_logins (created_at);

-- Someone a provider created on first sign-in waits, inactive, for an administrator.
ALTER TABLE users ADD COLUMN awaiting_confirmation BOOLEAN NOT NULL DEFAULT FALSE;

-- A session started through a provider remembers it and the ID token, for logging out there.
ALTER TABLE sessions ADD COLUMN provider_id TEXT REFERENCES identity_providers (id);
ALTER TABLE sessions ADD COLUMN id_token TEXT;
-- So does the second-factor step that may follow a sign-in through a provider.
ALTER TABLE login_challenges ADD COLUMN provider_id TEXT REFERENCES identity_providers (id);
ALTER TABLE login_challenges ADD COLUMN id_token TEXT;
