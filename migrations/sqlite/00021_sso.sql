-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE sso_domains (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT     NOT NULL CHECK (length(name) BETWEEN 3 AND 253),
    token           TEXT     NOT NULL,
    created_at      DATETIME NOT NULL,
    verified_at     DATETIME
);
CREATE UNIQUE INDEX sso_domains_org_name_key ON sso_domains (organization_id, name);
CREATE UNIQUE INDEX sso_domains_verified_name_key ON sso_domains (name) WHERE verified_at IS NOT NULL;

CREATE TABLE sso_connections (
    id                   TEXT PRIMARY KEY,
    organization_id      TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    kind                 TEXT     NOT NULL CHECK (kind IN ('oidc', 'saml')),
    name                 TEXT     NOT NULL,
    default_role         TEXT     NOT NULL CHECK (default_role IN ('member', 'admin')),
    enforce              BOOLEAN  NOT NULL DEFAULT 0,
    issuer               TEXT     NOT NULL DEFAULT '',
    client_id            TEXT     NOT NULL DEFAULT '',
    client_secret_sealed TEXT     NOT NULL DEFAULT '',
    created_at           DATETIME NOT NULL,
    updated_at           DATETIME NOT NULL
);
CREATE INDEX sso_connections_org ON sso_connections (organization_id, created_at);

CREATE TABLE sso_connection_domains (
    domain          TEXT PRIMARY KEY,
    connection_id   TEXT NOT NULL REFERENCES sso_connections (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL,
    FOREIGN KEY (organization_id, domain) REFERENCES sso_domains (organization_id, name)
);
CREATE INDEX sso_connection_domains_connection ON sso_connection_domains (connection_id);

-- +goose Down
DROP TABLE sso_connection_domains;
DROP TABLE sso_connections;
DROP TABLE sso_domains;
