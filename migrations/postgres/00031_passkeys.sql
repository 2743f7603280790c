-- +goose Up
-- WebAuthn passkeys (passkey context). A passkey is one account's
-- credential: its WebAuthn id (unique across accounts), COSE public key,
-- the last sign counter accepted (a counter that does not move forward is
-- refused as a cloned authenticator) and the user-verification and backup
-- flags; never a private key.
CREATE TABLE passkeys (
    id                 uuid PRIMARY KEY,
    user_id            uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      bytea       NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         bytea       NOT NULL,
    name               text        NOT NULL,
    aaguid             bytea       NOT NULL,
    transports         text        NOT NULL DEFAULT '',
    attestation_format text        NOT NULL DEFAULT '',
    sign_count         bigint      NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    user_verified      boolean     NOT NULL,
    backup_eligible    boolean     NOT NULL,
    backup_state       boolean     NOT NULL,
    created_at         timestamptz NOT NULL,
    last_used_at       timestamptz
);
CREATE UNIQUE INDEX passkeys_credential_id_key ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at, id);

-- A begun registration or sign-in: the relying party's state (challenge,
-- expected user) kept server-side, stored by the SHA-256 of its 256-bit
-- token, removed when it is finished (single use) or once expired.
CREATE TABLE passkey_ceremonies (
    id         uuid PRIMARY KEY,
    token_hash bytea       NOT NULL CHECK (length(token_hash) = 32),
    purpose    text        NOT NULL CHECK (purpose IN ('registration', 'login')),
    user_id    uuid        REFERENCES users (id) ON DELETE CASCADE,
    client     text        NOT NULL,
    state      bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX passkey_ceremonies_hash_key ON passkey_ceremonies (token_hash);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
