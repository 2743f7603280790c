-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE external_identities (
    id              TEXT PRIMARY KEY,
    user_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider        TEXT     NOT NULL CHECK (length(provider) BETWEEN 1 AND 32),
    subject         TEXT     NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           TEXT     NOT NULL DEFAULT '',
    email_verified  BOOLEAN  NOT NULL DEFAULT 0,
    name            TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    updated_at      DATETIME NOT NULL,
    last_sign_in_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX external_identities_provider_subject_key ON external_identities (provider, subject);
CREATE INDEX external_identities_user ON external_identities (user_id, created_at);

CREATE TABLE federation_flows (
    state_hash       TEXT PRIMARY KEY CHECK (length(state_hash) = 64),
    binding_hash     TEXT     NOT NULL CHECK (length(binding_hash) = 64),
    provider         TEXT     NOT NULL,
    nonce            TEXT     NOT NULL,
    verifier         TEXT     NOT NULL,
    return_to        TEXT     NOT NULL DEFAULT '',
    delivery         TEXT     NOT NULL CHECK (delivery IN ('cookie', 'code')),
    link_user_id     TEXT REFERENCES users (id) ON DELETE CASCADE,
    provider_session TEXT     NOT NULL DEFAULT '',
    created_at       DATETIME NOT NULL,
    expires_at       DATETIME NOT NULL
);
CREATE INDEX federation_flows_expires ON federation_flows (expires_at);

CREATE TABLE federation_login_codes (
    code_hash  TEXT PRIMARY KEY CHECK (length(code_hash) = 64),
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method     TEXT     NOT NULL,
    amr        TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL
);
CREATE INDEX federation_login_codes_expires ON federation_login_codes (expires_at);

-- +goose Down
DROP TABLE federation_login_codes;
DROP TABLE federation_flows;
DROP TABLE external_identities;
