-- +goose Up
-- See the PostgreSQL migration of the same number. SQLite cannot drop a NOT
-- NULL constraint in place, and rebuilding users would cascade into every
-- table that references it, so the hash moves to a new nullable column.
ALTER TABLE users ADD COLUMN password_hash_nullable TEXT;
UPDATE users SET password_hash_nullable = NULLIF(password_hash, '');
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users RENAME COLUMN password_hash_nullable TO password_hash;
ALTER TABLE users ADD COLUMN email_verified_at DATETIME;

CREATE TABLE user_tokens (
    id         TEXT PRIMARY KEY,
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT     NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    token_hash BLOB     NOT NULL CHECK (length(token_hash) = 32),
    email      TEXT     NOT NULL,
    session_id TEXT,
    created_at DATETIME NOT NULL,
    expires_at DATETIME NOT NULL,
    used_at    DATETIME,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX user_tokens_token_hash_key ON user_tokens (token_hash);
CREATE INDEX user_tokens_user_unused ON user_tokens (user_id, purpose) WHERE used_at IS NULL;

-- +goose Down
DROP TABLE user_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
ALTER TABLE users ADD COLUMN password_hash_required TEXT NOT NULL DEFAULT '';
UPDATE users SET password_hash_required = COALESCE(password_hash, '');
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users RENAME COLUMN password_hash_required TO password_hash;
