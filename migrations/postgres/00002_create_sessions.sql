-- +goose Up
CREATE TABLE sessions (
    id                  uuid PRIMARY KEY,
    user_id             uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash          bytea       NOT NULL,
    created_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    expires_at          timestamptz NOT NULL,
    absolute_expires_at timestamptz NOT NULL,
    ip                  text        NOT NULL DEFAULT '',
    user_agent          text        NOT NULL DEFAULT '',
    status              text        NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    ended_at            timestamptz,
    end_reason          text        NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
-- A user's active sessions, newest first (list, revoke all).
CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC, id DESC) WHERE status = 'active';
-- The cleanup scan: active sessions by expiry.
CREATE INDEX sessions_active_expiry_idx ON sessions (expires_at) WHERE status = 'active';

-- Cache purges committed with a revocation and not yet applied to the
-- cache (an outbox): kept until a server has deleted the cached entry and
-- written its tombstone. No foreign key: it must outlive the session row.
CREATE TABLE session_cache_purges (
    token_hash bytea       PRIMARY KEY,
    until      timestamptz NOT NULL
);

-- +goose Down
DROP TABLE session_cache_purges;
DROP TABLE sessions;
