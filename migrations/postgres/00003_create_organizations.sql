-- +goose Up
CREATE TABLE organizations (
    id         uuid PRIMARY KEY,
    name       text        NOT NULL,
    slug       text        NOT NULL,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    -- A deleted organization keeps its row (audit records point at it) but
    -- loses its memberships and invitations and frees its slug.
    deleted_at timestamptz
);
-- Slugs are unique among live organizations, compared case-insensitively.
CREATE UNIQUE INDEX organizations_slug_live_key ON organizations (lower(slug)) WHERE deleted_at IS NULL;

CREATE TABLE organization_memberships (
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role            text        NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    joined_at       timestamptz NOT NULL,
    PRIMARY KEY (organization_id, user_id)
);
-- Keyset pagination: an organization's members by (joined_at, user_id), a
-- user's organizations by (joined_at, organization_id).
CREATE INDEX organization_memberships_org_page ON organization_memberships (organization_id, joined_at, user_id);
CREATE INDEX organization_memberships_user_page ON organization_memberships (user_id, joined_at, organization_id);

CREATE TABLE organization_invitations (
    id              uuid PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    -- Trimmed and lower-cased by the application.
    email           text        NOT NULL,
    role            text        NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    -- The inviter's account may go; the invitation stays valid.
    invited_by      uuid REFERENCES users (id) ON DELETE SET NULL,
    created_at      timestamptz NOT NULL
);
CREATE UNIQUE INDEX organization_invitations_org_email_key ON organization_invitations (organization_id, email);
CREATE INDEX organization_invitations_email ON organization_invitations (email);
CREATE INDEX organization_invitations_org_page ON organization_invitations (organization_id, created_at, id);

-- +goose Down
DROP TABLE organization_invitations;
DROP TABLE organization_memberships;
DROP TABLE organizations;
