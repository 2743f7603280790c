-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE oauth_consents (
    user_id    TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  TEXT     NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes     TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX oauth_consents_client ON oauth_consents (client_id);

CREATE TABLE oauth_authorize_requests (
    handle_hash     TEXT PRIMARY KEY CHECK (length(handle_hash) = 64),
    binding_hash    TEXT     NOT NULL CHECK (length(binding_hash) = 64),
    client_id       TEXT     NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    query           TEXT     NOT NULL,
    subject_user_id TEXT REFERENCES users (id) ON DELETE CASCADE,
    parked_at       DATETIME NOT NULL,
    expires_at      DATETIME NOT NULL
);
CREATE INDEX oauth_authorize_requests_expiry ON oauth_authorize_requests (expires_at);

CREATE INDEX oauth_tokens_client_subject ON oauth_tokens (client_id, subject);

-- +goose Down
DROP INDEX oauth_tokens_client_subject;
DROP TABLE oauth_authorize_requests;
DROP TABLE oauth_consents;
