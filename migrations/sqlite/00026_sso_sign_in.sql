-- +goose Up
-- See the PostgreSQL migration of the same number.
ALTER TABLE sso_connections ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT 1;

CREATE TABLE sso_flows (
    state_hash    TEXT PRIMARY KEY CHECK (length(state_hash) = 64),
    binding_hash  TEXT     NOT NULL CHECK (length(binding_hash) = 64),
    connection_id TEXT     NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    nonce         TEXT     NOT NULL,
    verifier      TEXT     NOT NULL,
    return_to     TEXT     NOT NULL DEFAULT '',
    delivery      TEXT     NOT NULL CHECK (delivery IN ('cookie', 'code')),
    created_at    DATETIME NOT NULL,
    expires_at    DATETIME NOT NULL
);
CREATE INDEX sso_flows_expires ON sso_flows (expires_at);

CREATE TABLE sso_identities (
    id              TEXT PRIMARY KEY,
    connection_id   TEXT     NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    user_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject         TEXT     NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           TEXT     NOT NULL DEFAULT '',
    name            TEXT     NOT NULL DEFAULT '',
    created_at      DATETIME NOT NULL,
    last_sign_in_at DATETIME NOT NULL
);
CREATE UNIQUE INDEX sso_identities_connection_subject_key ON sso_identities (connection_id, subject);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- +goose Down
DROP TABLE sso_identities;
DROP TABLE sso_flows;
ALTER TABLE sso_connections DROP COLUMN enabled;
