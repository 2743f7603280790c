-- +goose Up
CREATE TABLE organizations (
    id         TEXT PRIMARY KEY,
    name       TEXT     NOT NULL,
    slug       TEXT     NOT NULL,
    created_at DATETIME NOT NULL,
    updated_at DATETIME NOT NULL,
    deleted_at DATETIME
);
CREATE UNIQUE INDEX organizations_slug_live_key ON organizations (lower(slug)) WHERE deleted_at IS NULL;

CREATE TABLE organization_memberships (
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         TEXT     NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at       DATETIME NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX organization_memberships_org_page ON organization_memberships (organization_id, joined_at, user_id);
CREATE INDEX organization_memberships_user_page ON organization_memberships (user_id, joined_at, organization_id);

CREATE TABLE organization_invitations (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT     NOT NULL,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_org_email_key ON organization_invitations (organization_id, email);
CREATE INDEX organization_invitations_email ON organization_invitations (email);
CREATE INDEX organization_invitations_org_page ON organization_invitations (organization_id, created_at, id);

-- +goose Down
DROP TABLE organization_invitations;
DROP TABLE organization_memberships;
DROP TABLE organizations;
