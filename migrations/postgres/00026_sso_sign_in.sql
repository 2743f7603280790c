-- +goose Up
-- Signing in through an organization's SSO connection.
--
-- A connection can be switched off without deleting it: a disabled
-- connection routes nobody and refuses every callback.
ALTER TABLE sso_connections ADD COLUMN enabled boolean NOT NULL DEFAULT true;

-- Sign-ins started at a connection's identity provider and not finished:
-- single use (a callback deletes its row), ten minutes, shared by every
-- instance. Only hashes of the state and of the browser's binding cookie
-- are stored; nonce and verifier are needed in the clear at the callback.
CREATE TABLE sso_flows (
    state_hash    text PRIMARY KEY CHECK (length(state_hash) = 64),
    binding_hash  text        NOT NULL CHECK (length(binding_hash) = 64),
    connection_id uuid        NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    nonce         text        NOT NULL,
    verifier      text        NOT NULL,
    return_to     text        NOT NULL DEFAULT '',
    delivery      text        NOT NULL CHECK (delivery IN ('cookie', 'code')),
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL
);
CREATE INDEX sso_flows_expires ON sso_flows (expires_at);

-- The person at a connection's identity provider (its subject) linked to
-- an account: one account per subject of a connection.
CREATE TABLE sso_identities (
    id              uuid PRIMARY KEY,
    connection_id   uuid        NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    subject         text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           text        NOT NULL DEFAULT '',
    name            text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    last_sign_in_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX sso_identities_connection_subject_key ON sso_identities (connection_id, subject);
CREATE INDEX sso_identities_user ON sso_identities (user_id);

-- +goose Down
DROP TABLE sso_identities;
DROP TABLE sso_flows;
ALTER TABLE sso_connections DROP COLUMN enabled;
