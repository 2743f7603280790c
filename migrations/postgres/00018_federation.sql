-- +goose Up
-- Accounts at external identity providers (social and OpenID Connect
-- sign-in) linked to Authy users. (provider, subject) belongs to exactly
-- one user; email, email_verified and name are what the provider asserted
-- at the last sign-in. Users are soft-deleted: the account deletion removes
-- its identities in its own transaction (the cascade covers a hard delete).
CREATE TABLE external_identities (
    id              uuid PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider        text        NOT NULL CHECK (provider ~ '^[a-z][a-z0-9-]{0,31}$'),
    subject         text        NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email           text        NOT NULL DEFAULT '',
    email_verified  boolean     NOT NULL DEFAULT false,
    name            text        NOT NULL DEFAULT '',
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    last_sign_in_at timestamptz NOT NULL
);
CREATE UNIQUE INDEX external_identities_provider_subject_key ON external_identities (provider, subject);
CREATE INDEX external_identities_user ON external_identities (user_id, created_at);

-- Sign-ins started at a provider and not finished: single use (a callback
-- deletes its row), ten minutes, shared by every instance. Only hashes of
-- the state and of the browser's binding cookie are stored; nonce and
-- verifier are needed in the clear at the callback.
CREATE TABLE federation_flows (
    state_hash       text PRIMARY KEY CHECK (length(state_hash) = 64),
    binding_hash     text        NOT NULL CHECK (length(binding_hash) = 64),
    provider         text        NOT NULL,
    nonce            text        NOT NULL,
    verifier         text        NOT NULL,
    return_to        text        NOT NULL DEFAULT '',
    delivery         text        NOT NULL CHECK (delivery IN ('cookie', 'code')),
    link_user_id     uuid REFERENCES users (id) ON DELETE CASCADE,
    provider_session text        NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL
);
CREATE INDEX federation_flows_expires ON federation_flows (expires_at);

-- Completed sign-ins waiting for a single-page app to redeem their code
-- (60 seconds, single use), stored by the code's SHA-256.
CREATE TABLE federation_login_codes (
    code_hash  text PRIMARY KEY CHECK (length(code_hash) = 64),
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    method     text        NOT NULL,
    amr        text        NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX federation_login_codes_expires ON federation_login_codes (expires_at);

-- +goose Down
DROP TABLE federation_login_codes;
DROP TABLE federation_flows;
DROP TABLE external_identities;
