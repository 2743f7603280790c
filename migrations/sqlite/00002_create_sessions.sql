-- +goose Up
CREATE TABLE sessions (
    id                  TEXT PRIMARY KEY,
    user_id             TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the bearer token; the token itself is never stored.
    token_hash          BLOB     NOT NULL,
    created_at          DATETIME NOT NULL,
    last_seen_at        DATETIME NOT NULL,
    expires_at          DATETIME NOT NULL,
    absolute_expires_at DATETIME NOT NULL,
    ip                  TEXT     NOT NULL DEFAULT '',
    user_agent          TEXT     NOT NULL DEFAULT '',
    status              TEXT     NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'revoked', 'expired')),
    ended_at            DATETIME,
    end_reason          TEXT     NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX sessions_token_hash_key ON sessions (token_hash);
CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC, id DESC) WHERE status = 'active';
CREATE INDEX sessions_active_expiry_idx ON sessions (expires_at) WHERE status = 'active';

CREATE TABLE session_cache_purges (
    token_hash BLOB     PRIMARY KEY,
    until      DATETIME NOT NULL
);

-- +goose Down
DROP TABLE session_cache_purges;
DROP TABLE sessions;
