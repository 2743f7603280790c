-- +goose Up
-- Invitations are accepted, never assumed: each one has a link token (only
-- its SHA-256 is stored), an expiry, and a status it leaves exactly once.
-- Closed invitations stay as history; only pending ones are loaded with
-- their organization, and only one per organization and address may be
-- pending. SQLite cannot add NOT NULL or CHECK columns to a filled table,
-- so the table is rebuilt (nothing references it).
CREATE TABLE organization_invitations_new (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT     NOT NULL,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL,
    token_hash      BLOB,
    expires_at      DATETIME NOT NULL,
    status          TEXT     NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    closed_at       DATETIME,
    closed_by       TEXT REFERENCES users (id) ON DELETE SET NULL,
    CHECK ((status = 'pending') = (closed_at IS NULL))
);
-- Invitations made before they could expire get the default lifetime from
-- their creation (times are stored as UTC RFC 3339 text); they have no link
-- token and are accepted from the invitee's list.
INSERT INTO organization_invitations_new (id, organization_id, email, role, invited_by, created_at, expires_at, status)
    SELECT id, organization_id, email, role, invited_by, created_at,
           strftime('%Y-%m-%dT%H:%M:%fZ', created_at, '+7 days'), 'pending'
    FROM organization_invitations;
DROP TABLE organization_invitations;
ALTER TABLE organization_invitations_new RENAME TO organization_invitations;
CREATE UNIQUE INDEX organization_invitations_pending_key ON organization_invitations (organization_id, email) WHERE status = 'pending';
CREATE UNIQUE INDEX organization_invitations_token_hash_key ON organization_invitations (token_hash);
CREATE INDEX organization_invitations_pending_org_page ON organization_invitations (organization_id, created_at, id) WHERE status = 'pending';
CREATE INDEX organization_invitations_pending_email_page ON organization_invitations (email, created_at, id) WHERE status = 'pending';

-- +goose Down
CREATE TABLE organization_invitations_old (
    id              TEXT PRIMARY KEY,
    organization_id TEXT     NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email           TEXT     NOT NULL,
    role            TEXT     NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    invited_by      TEXT REFERENCES users (id) ON DELETE SET NULL,
    created_at      DATETIME NOT NULL
);
-- The old schema holds pending invitations only: the history goes.
INSERT INTO organization_invitations_old (id, organization_id, email, role, invited_by, created_at)
    SELECT id, organization_id, email, role, invited_by, created_at
    FROM organization_invitations WHERE status = 'pending';
DROP TABLE organization_invitations;
ALTER TABLE organization_invitations_old RENAME TO organization_invitations;
CREATE UNIQUE INDEX organization_invitations_org_email_key ON organization_invitations (organization_id, email);
CREATE INDEX organization_invitations_email ON organization_invitations (email);
CREATE INDEX organization_invitations_org_page ON organization_invitations (organization_id, created_at, id);
