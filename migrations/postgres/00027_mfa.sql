-- +goose Up
-- Multi-factor sign-in (mfa context). A factor is a TOTP authenticator of
-- one account: its secret sealed under the ENCRYPTION_KEY keyring (bound
-- to the row's id), pending until confirmed_at; last_step is the last time
-- step accepted, so a code is accepted once on every instance.
CREATE TABLE mfa_factors (
    id            uuid PRIMARY KEY,
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          text        NOT NULL CHECK (kind IN ('totp')),
    secret_sealed text        NOT NULL,
    created_at    timestamptz NOT NULL,
    confirmed_at  timestamptz,
    last_used_at  timestamptz,
    last_step     bigint      NOT NULL DEFAULT 0
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id, created_at, id);

-- One set of recovery codes per account: the keyed digests of its ten
-- codes with when each was used, as JSON ([{"digest": "…", "used_at": …}]).
CREATE TABLE mfa_recovery_codes (
    user_id      uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    codes        text        NOT NULL,
    generated_at timestamptz NOT NULL
);

-- The second step of a password sign-in: stored only as the SHA-256 of
-- its 256-bit token, bound to the first factor (method, amr) and the
-- client that passed it, single use (used_at), failures counted.
CREATE TABLE mfa_challenges (
    id             uuid PRIMARY KEY,
    user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     bytea       NOT NULL CHECK (length(token_hash) = 32),
    method         text        NOT NULL,
    amr            text        NOT NULL,
    client         text        NOT NULL,
    created_at     timestamptz NOT NULL,
    expires_at     timestamptz NOT NULL,
    used_at        timestamptz,
    failures       integer     NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mfa_challenges_hash_key ON mfa_challenges (token_hash);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);

-- The last factor check of each session (step-up for sensitive changes).
CREATE TABLE mfa_step_ups (
    session_id  uuid PRIMARY KEY,
    user_id     uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verified_at timestamptz NOT NULL
);

-- An organization's multi-factor policy: members without a confirmed
-- factor cannot act in it.
ALTER TABLE organizations ADD COLUMN require_mfa boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE organizations DROP COLUMN require_mfa;
DROP TABLE mfa_step_ups;
DROP TABLE mfa_challenges;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_factors;
