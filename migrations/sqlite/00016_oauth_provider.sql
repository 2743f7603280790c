-- +goose Up
-- The OpenID Provider (see the PostgreSQL migration). Times are UTC text in
-- one format, so they compare correctly as strings; booleans are 0 or 1.
CREATE TABLE oauth_clients (
    id                         TEXT PRIMARY KEY,
    organization_id            TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                       TEXT     NOT NULL,
    redirect_uris              TEXT     NOT NULL DEFAULT '',
    post_logout_redirect_uris  TEXT     NOT NULL DEFAULT '',
    grant_types                TEXT     NOT NULL,
    token_endpoint_auth_method TEXT     NOT NULL,
    scopes                     TEXT     NOT NULL DEFAULT '',
    first_party                INTEGER  NOT NULL DEFAULT 0,
    access_token_format        TEXT     NOT NULL DEFAULT 'opaque' CHECK (access_token_format IN ('opaque', 'jwt')),
    resource_server            INTEGER  NOT NULL DEFAULT 0,
    secret_hash                TEXT     NOT NULL DEFAULT '',
    previous_secret_hash       TEXT     NOT NULL DEFAULT '',
    previous_secret_expires_at DATETIME,
    created_at                 DATETIME NOT NULL,
    updated_at                 DATETIME NOT NULL
);
CREATE INDEX oauth_clients_org_page ON oauth_clients (organization_id, created_at, id);

CREATE TABLE oauth_tokens (
    kind         TEXT     NOT NULL CHECK (kind IN ('authorize_code', 'access_token', 'refresh_token', 'pkce', 'oidc')),
    signature    TEXT     NOT NULL,
    request_id   TEXT     NOT NULL,
    client_id    TEXT     NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    subject      TEXT     NOT NULL DEFAULT '',
    active       INTEGER  NOT NULL DEFAULT 1,
    requested_at DATETIME NOT NULL,
    expires_at   DATETIME NOT NULL,
    data         TEXT     NOT NULL,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX oauth_tokens_request ON oauth_tokens (request_id);
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

CREATE TABLE oauth_keys (
    id           TEXT PRIMARY KEY,
    kind         TEXT     NOT NULL CHECK (kind IN ('RS256', 'ES256', 'token-hmac', 'secret-hmac')),
    generation   INTEGER  NOT NULL CHECK (generation > 0),
    sealed       TEXT     NOT NULL,
    created_at   DATETIME NOT NULL,
    activates_at DATETIME NOT NULL,
    UNIQUE (kind, generation)
);

-- +goose Down
DROP TABLE oauth_keys;
DROP TABLE oauth_tokens;
DROP TABLE oauth_clients;
