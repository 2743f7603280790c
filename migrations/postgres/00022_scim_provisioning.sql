-- +goose Up
-- SCIM 2.0 inbound provisioning (provisioning context). A SCIM token
-- belongs to one organization and is stored only as the SHA-256 of its
-- 256-bit value; a revoked token keeps its row (revoked_at) so the list
-- shows it and audit records name it.
CREATE TABLE scim_tokens (
    id              uuid PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    created_by      uuid        NOT NULL,
    name            text        NOT NULL CHECK (length(name) BETWEEN 1 AND 400),
    token_hash      bytea       NOT NULL CHECK (length(token_hash) = 32),
    created_at      timestamptz NOT NULL,
    last_used_at    timestamptz,
    revoked_at      timestamptz
);
CREATE UNIQUE INDEX scim_tokens_hash_key ON scim_tokens (token_hash);
CREATE INDEX scim_tokens_org ON scim_tokens (organization_id, created_at, id);

-- One SCIM User resource per organization and provisioned person: the
-- identity provider's view of them (user_name, external_id, names, emails,
-- active) and the Authy account it is linked to. invitation_id is the
-- pending invitation sent when an existing account could not be adopted
-- directly. user_name and external_id are unique per organization (the
-- IdP's keys, compared case-insensitively for user_name), and an account is
-- provisioned at most once per organization.
CREATE TABLE scim_users (
    id                uuid PRIMARY KEY,
    organization_id   uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id           uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_name         text        NOT NULL,
    user_name_lower   text        NOT NULL,
    external_id       text        NOT NULL DEFAULT '',
    given_name        text        NOT NULL DEFAULT '',
    family_name       text        NOT NULL DEFAULT '',
    formatted_name    text        NOT NULL DEFAULT '',
    display_name      text        NOT NULL DEFAULT '',
    emails            text        NOT NULL DEFAULT '[]',
    active            boolean     NOT NULL,
    account_created   boolean     NOT NULL DEFAULT false,
    invitation_id     uuid,
    version           integer     NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL
);
CREATE UNIQUE INDEX scim_users_user_name_key ON scim_users (organization_id, user_name_lower);
CREATE UNIQUE INDEX scim_users_external_id_key ON scim_users (organization_id, external_id) WHERE external_id <> '';
CREATE UNIQUE INDEX scim_users_account_key ON scim_users (organization_id, user_id);
CREATE INDEX scim_users_page ON scim_users (organization_id, created_at, id);
CREATE INDEX scim_users_user ON scim_users (user_id);

-- Deprovisioning revokes a person's OAuth tokens by subject.
CREATE INDEX oauth_tokens_subject ON oauth_tokens (subject) WHERE subject <> '';

-- +goose Down
DROP INDEX oauth_tokens_subject;
DROP TABLE scim_users;
DROP TABLE scim_tokens;
