-- +goose Up
-- A user has zero or more credentials and the password is only one kind, so
-- an account may have none (it then signs in another way, or sets one
-- through the password reset flow). A deleted account keeps no hash: NULL
-- replaces the empty string it used to store.
ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL;
UPDATE users SET password_hash = NULL WHERE password_hash = '';
-- When the current email was proven by a mailed link; NULL while
-- unverified. Accounts registered before verification existed start
-- unverified: nothing ever proved their address.
ALTER TABLE users ADD COLUMN email_verified_at timestamptz;

-- The single-use tokens of mailed links: email verification, email change
-- confirmation and password reset. Only the SHA-256 of a token is stored,
-- so a dump of this table yields no usable link. email is the address the
-- link was mailed to (the new one for an email change); session_id the
-- session that asked for an email change, kept when the change ends the
-- others. A used or superseded token keeps its row with used_at set.
CREATE TABLE user_tokens (
    id         uuid PRIMARY KEY,
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'change_email', 'reset_password')),
    token_hash bytea       NOT NULL CHECK (octet_length(token_hash) = 32),
    email      text        NOT NULL,
    session_id uuid,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at > created_at)
);
CREATE UNIQUE INDEX user_tokens_token_hash_key ON user_tokens (token_hash);
-- The unused tokens of one user and purpose, which a newer one retires.
CREATE INDEX user_tokens_user_unused ON user_tokens (user_id, purpose) WHERE used_at IS NULL;

-- +goose Down
DROP TABLE user_tokens;
ALTER TABLE users DROP COLUMN email_verified_at;
UPDATE users SET password_hash = '' WHERE password_hash IS NULL;
ALTER TABLE users ALTER COLUMN password_hash SET NOT NULL;
