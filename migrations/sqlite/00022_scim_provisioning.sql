-- +goose Up
-- See the PostgreSQL migration of the same number.
CREATE TABLE scim_tokens (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      TEXT     NOT NULL,
    name            TEXT     NOT NULL CHECK (length(name) BETWEEN 1 AND 400),
    token_hash      BLOB     NOT NULL CHECK (length(token_hash) = 32),
    created_at      DATETIME NOT NULL,
    last_used_at    DATETIME,
    revoked_at      DATETIME
);
CREATE UNIQUE INDEX scim_tokens_hash_key ON scim_tokens (token_hash);
CREATE INDEX scim_tokens_org ON scim_tokens (organization_id, created_at, id);

CREATE TABLE scim_users (
    id                TEXT PRIMARY KEY,
    organization_id   TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name         TEXT     NOT NULL,
    user_name_lower   TEXT     NOT NULL,
    external_id       TEXT     NOT NULL DEFAULT '',
    given_name        TEXT     NOT NULL DEFAULT '',
    family_name       TEXT     NOT NULL DEFAULT '',
    formatted_name    TEXT     NOT NULL DEFAULT '',
    display_name      TEXT     NOT NULL DEFAULT '',
    emails            TEXT     NOT NULL DEFAULT '[]',
    active            BOOLEAN  NOT NULL,
    account_created   BOOLEAN  NOT NULL DEFAULT 0,
    invitation_id     TEXT,
    version           INTEGER  NOT NULL DEFAULT 1,
    created_at        DATETIME NOT NULL,
    updated_at        DATETIME NOT NULL
);
CREATE UNIQUE INDEX scim_users_user_name_key ON scim_users (organization_id, user_name_lower);
CREATE UNIQUE INDEX scim_users_external_id_key ON scim_users (organization_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX scim_users_account_key ON scim_users (organization_id, user_id);
CREATE INDEX scim_users_page ON scim_users (organization_id, created_at, id);
CREATE INDEX scim_users_user ON scim_users (user_id);

CREATE INDEX oauth_tokens_subject ON oauth_tokens (subject) WHERE subject <> '';

-- +goose Down
DROP INDEX oauth_tokens_subject;
DROP TABLE scim_users;
DROP TABLE scim_tokens;
