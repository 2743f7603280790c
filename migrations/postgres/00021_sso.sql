-- +goose Up
-- Enterprise single sign-on per organization.
--
-- Domains an organization claims, proven by a DNS TXT record: pending while
-- verified_at is NULL. An organization claims a name once; a name is
-- verified by at most one organization (the partial unique index decides
-- two verifications racing).
CREATE TABLE sso_domains (
    id              uuid PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL CHECK (length(name) BETWEEN 3 AND 253),
    token           text        NOT NULL,
    created_at      timestamptz NOT NULL,
    verified_at     timestamptz
);
CREATE UNIQUE INDEX sso_domains_org_name_key ON sso_domains (organization_id, name);
CREATE UNIQUE INDEX sso_domains_verified_name_key ON sso_domains (name) WHERE verified_at IS NOT NULL;

-- Identity-provider connections. The OpenID Connect client secret is
-- sealed under the ENCRYPTION_KEY keyring (associated data names the
-- connection), never stored in clear.
CREATE TABLE sso_connections (
    id                   uuid PRIMARY KEY,
    organization_id      uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                 text        NOT NULL CHECK (kind IN ('oidc', 'saml')),
    name                 text        NOT NULL,
    default_role         text        NOT NULL CHECK (default_role IN ('member', 'admin')),
    enforce              boolean     NOT NULL DEFAULT false,
    issuer               text        NOT NULL DEFAULT '',
    client_id            text        NOT NULL DEFAULT '',
    client_secret_sealed text        NOT NULL DEFAULT '',
    created_at           timestamptz NOT NULL,
    updated_at           timestamptz NOT NULL
);
CREATE INDEX sso_connections_org ON sso_connections (organization_id, created_at);

-- The domains a connection routes: each name by one connection, and only a
-- domain its organization claims (removing a routed domain is refused by
-- the foreign key).
CREATE TABLE sso_connection_domains (
    domain          text PRIMARY KEY,
    connection_id   uuid NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL,
    FOREIGN KEY (organization_id, domain) REFERENCES sso_domains (organization_id, name)
);
CREATE INDEX sso_connection_domains_connection ON sso_connection_domains (connection_id);

-- +goose Down
DROP TABLE sso_connection_domains;
DROP TABLE sso_connections;
DROP TABLE sso_domains;
