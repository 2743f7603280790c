-- +goose Up
-- The OpenID Provider (oauth context). A client belongs to an organization;
-- its secrets are stored only as hashes (a keyed SHA-256 for generated
-- secrets, argon2id for hand-set ones) with a rotated-out hash valid until
-- previous_secret_expires_at. Lists are scalar text: URIs and grants never
-- contain a space, so they are space-separated.
CREATE TABLE oauth_clients (
    id                         text PRIMARY KEY,
    organization_id            uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name                       text        NOT NULL,
    redirect_uris              text        NOT NULL DEFAULT '',
    post_logout_redirect_uris  text        NOT NULL DEFAULT '',
    grant_types                text        NOT NULL,
    token_endpoint_auth_method text        NOT NULL,
    scopes                     text        NOT NULL DEFAULT '',
    first_party                boolean     NOT NULL DEFAULT false,
    access_token_format        text        NOT NULL DEFAULT 'opaque' CHECK (access_token_format IN ('opaque', 'jwt')),
    resource_server            boolean     NOT NULL DEFAULT false,
    secret_hash                text        NOT NULL DEFAULT '',
    previous_secret_hash       text        NOT NULL DEFAULT '',
    previous_secret_expires_at timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL
);
CREATE INDEX oauth_clients_org_page ON oauth_clients (organization_id, created_at, id);

-- The protocol's token state, one row per authorization code, access token,
-- refresh token, PKCE challenge and OpenID Connect request, keyed by the
-- token's signature (the HMAC half of an opaque token, the signature of a
-- JWT): never the token. request_id ties the rows of one grant. data is
-- the serialized request and session. Used codes and rotated refresh tokens
-- stay (active = false) until they expire, so their replay is recognised.
CREATE TABLE oauth_tokens (
    kind         text        NOT NULL CHECK (kind IN ('authorize_code', 'access_token', 'refresh_token', 'pkce', 'oidc')),
    signature    text        NOT NULL,
    request_id   text        NOT NULL,
    client_id    text        NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    subject      text        NOT NULL DEFAULT '',
    active       boolean     NOT NULL DEFAULT true,
    requested_at timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    data         text        NOT NULL,
    PRIMARY KEY (kind, signature)
);
CREATE INDEX oauth_tokens_request ON oauth_tokens (request_id);
CREATE INDEX oauth_tokens_client ON oauth_tokens (client_id);
CREATE INDEX oauth_tokens_expiry ON oauth_tokens (expires_at);

-- The provider's keys: signing keys (RS256, ES256), the HMAC secret of
-- opaque tokens and the key of client secret hashes, each sealed under
-- ENCRYPTION_KEY. (kind, generation) is unique, so two instances never both
-- create a kind's first key or the same successor.
CREATE TABLE oauth_keys (
    id           text PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('RS256', 'ES256', 'token-hmac', 'secret-hmac')),
    generation   integer     NOT NULL CHECK (generation > 0),
    sealed       text        NOT NULL,
    created_at   timestamptz NOT NULL,
    activates_at timestamptz NOT NULL,
    UNIQUE (kind, generation)
);

-- +goose Down
DROP TABLE oauth_keys;
DROP TABLE oauth_tokens;
DROP TABLE oauth_clients;
