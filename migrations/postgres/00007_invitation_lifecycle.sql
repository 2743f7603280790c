-- +goose Up
-- Invitations are accepted, never assumed: each one has a link token (only
-- its SHA-256 is stored), an expiry, and a status it leaves exactly once.
-- Closed invitations stay as history; only pending ones are loaded with
-- their organization, and only one per organization and address may be
-- pending.
ALTER TABLE organization_invitations
    ADD COLUMN token_hash bytea,
    ADD COLUMN expires_at timestamptz,
    ADD COLUMN status     text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'accepted', 'declined', 'cancelled', 'expired')),
    -- When it was accepted, declined, cancelled or found expired, and by whom
    -- (no one for an expiry).
    ADD COLUMN closed_at  timestamptz,
    ADD COLUMN closed_by  uuid REFERENCES users (id) ON DELETE SET NULL;
-- Invitations made before they could expire get the default lifetime from
-- their creation; they have no link token and are accepted from the
-- invitee's list.
UPDATE organization_invitations SET expires_at = created_at + interval '7 days';
ALTER TABLE organization_invitations ALTER COLUMN expires_at SET NOT NULL;
ALTER TABLE organization_invitations ADD CONSTRAINT organization_invitations_closed_check
    CHECK ((status = 'pending') = (closed_at IS NULL));

DROP INDEX organization_invitations_org_email_key;
DROP INDEX organization_invitations_email;
DROP INDEX organization_invitations_org_page;
CREATE UNIQUE INDEX organization_invitations_pending_key ON organization_invitations (organization_id, email) WHERE status = 'pending';
CREATE UNIQUE INDEX organization_invitations_token_hash_key ON organization_invitations (token_hash);
-- Keyset pages of open invitations: an organization's, and an address's.
CREATE INDEX organization_invitations_pending_org_page ON organization_invitations (organization_id, created_at, id) WHERE status = 'pending';
CREATE INDEX organization_invitations_pending_email_page ON organization_invitations (email, created_at, id) WHERE status = 'pending';

-- +goose Down
-- The old schema holds pending invitations only: the history goes.
DELETE FROM organization_invitations WHERE status <> 'pending';
DROP INDEX organization_invitations_pending_email_page;
DROP INDEX organization_invitations_pending_org_page;
DROP INDEX organization_invitations_token_hash_key;
DROP INDEX organization_invitations_pending_key;
ALTER TABLE organization_invitations DROP CONSTRAINT organization_invitations_closed_check;
ALTER TABLE organization_invitations
    DROP COLUMN closed_by,
    DROP COLUMN closed_at,
    DROP COLUMN status,
    DROP COLUMN expires_at,
    DROP COLUMN token_hash;
CREATE UNIQUE INDEX organization_invitations_org_email_key ON organization_invitations (organization_id, email);
CREATE INDEX organization_invitations_email ON organization_invitations (email);
CREATE INDEX organization_invitations_org_page ON organization_invitations (organization_id, created_at, id);
