-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE mfa_factors (
    id            TEXT PRIMARY KEY,
    user_id       TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind          TEXT     NOT NULL CHECK (kind IN ('totp')),
    secret_sealed TEXT     NOT NULL,
    created_at    DATETIME NOT NULL,
    confirmed_at  DATETIME,
    last_used_at  DATETIME,
    last_step     INTEGER  NOT NULL DEFAULT 0
);
CREATE INDEX mfa_factors_user ON mfa_factors (user_id, created_at, id);

CREATE TABLE mfa_recovery_codes (
    user_id      TEXT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    codes        TEXT     NOT NULL,
    generated_at DATETIME NOT NULL
);

CREATE TABLE mfa_challenges (
    id             TEXT PRIMARY KEY,
    user_id        TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash     BLOB     NOT NULL CHECK (length(token_hash) = 32),
    method         TEXT     NOT NULL,
    amr            TEXT     NOT NULL,
    client         TEXT     NOT NULL,
    created_at     DATETIME NOT NULL,
    expires_at     DATETIME NOT NULL,
    used_at        DATETIME,
    failures       INTEGER  NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX mfa_challenges_hash_key ON mfa_challenges (token_hash);
CREATE INDEX mfa_challenges_user ON mfa_challenges (user_id);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);

CREATE TABLE mfa_step_ups (
    session_id  TEXT PRIMARY KEY,
    user_id     TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    verified_at DATETIME NOT NULL
);

ALTER TABLE organizations ADD COLUMN require_mfa BOOLEAN NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE organizations DROP COLUMN require_mfa;
DROP TABLE mfa_step_ups;
DROP TABLE mfa_challenges;
DROP TABLE mfa_recovery_codes;
DROP TABLE mfa_factors;
