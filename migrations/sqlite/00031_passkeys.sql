-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE passkeys (
    id                 TEXT PRIMARY KEY,
    user_id            TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    credential_id      BLOB     NOT NULL CHECK (length(credential_id) BETWEEN 1 AND 1023),
    public_key         BLOB     NOT NULL,
    name               TEXT     NOT NULL,
    aaguid             BLOB     NOT NULL,
    transports         TEXT     NOT NULL DEFAULT '',
    attestation_format TEXT     NOT NULL DEFAULT '',
    sign_count         INTEGER  NOT NULL DEFAULT 0 CHECK (sign_count BETWEEN 0 AND 4294967295),
    user_verified      BOOLEAN  NOT NULL,
    backup_eligible    BOOLEAN  NOT NULL,
    backup_state       BOOLEAN  NOT NULL,
    created_at         DATETIME NOT NULL,
    last_used_at       DATETIME
);
CREATE UNIQUE INDEX passkeys_credential_id_key ON passkeys (credential_id);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at, id);

CREATE TABLE passkey_ceremonies (
    id         TEXT PRIMARY KEY,
    token_hash BLOB     NOT NULL CHECK (length(token_hash) = 32),
    purpose    TEXT     NOT NULL CHECK (purpose IN ('registration', 'login')),
    user_id    TEXT     REFERENCES users (id) ON DELETE CASCADE,
    client     TEXT     NOT NULL,
    state      BLOB     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX passkey_ceremonies_hash_key ON passkey_ceremonies (token_hash);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
CREATE INDEX passkey_ceremonies_user ON passkey_ceremonies (user_id);

-- +goose Down
DROP TABLE passkey_ceremonies;
DROP TABLE passkeys;
