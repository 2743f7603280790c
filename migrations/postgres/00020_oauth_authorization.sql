-- +goose Up
-- The OpenID Provider's browser flow. A consent is what a user allowed a
-- third-party client: the scopes (space-separated), remembered per user and
-- client until the user revokes it. An authorization request parked while
-- the browser signs in (or decides on consent) is kept by the SHA-256 of
-- its random handle and bound to the browser by the SHA-256 of a cookie's
-- value; it is taken once (deleted as it is read) and expires within
-- minutes. subject_user_id, when set, is the user the request was parked
-- for (consent), so no other account can finish it.
CREATE TABLE oauth_consents (
    user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    client_id  text        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    scopes     text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX oauth_consents_client ON oauth_consents (client_id);

CREATE TABLE oauth_authorize_requests (
    handle_hash     text        PRIMARY KEY CHECK (length(handle_hash) = 64),
    binding_hash    text        NOT NULL CHECK (length(binding_hash) = 64),
    client_id       text        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    query           text        NOT NULL,
    subject_user_id uuid REFERENCES users (id) ON DELETE CASCADE,
    parked_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL
);
CREATE INDEX oauth_authorize_requests_expiry ON oauth_authorize_requests (expires_at);

-- Revoking a consent ends the client's grants of that user.
CREATE INDEX oauth_tokens_client_subject ON oauth_tokens (client_id, subject);

-- +goose Down
DROP INDEX oauth_tokens_client_subject;
DROP TABLE oauth_authorize_requests;
DROP TABLE oauth_consents;
