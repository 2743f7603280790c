-- +goose Up
-- An organization keeps the number of its owners and of its memberships in
-- its own row: a change of one membership reads that row to apply the
-- last-owner and only-member rules, instead of every membership, so it
-- costs the same at ten members and at a hundred thousand. Triggers keep
-- the counts in the statement that changes the memberships, whoever runs
-- it, so they never drift from the rows they count. The migration runs in
-- one write transaction, which SQLite serializes with every other writer.
ALTER TABLE organizations ADD COLUMN owner_count INTEGER NOT NULL DEFAULT 0 CHECK (owner_count >= 0);
ALTER TABLE organizations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0 CHECK (member_count >= 0);

UPDATE organizations SET
    owner_count = (SELECT count(*) FROM organization_memberships m
                   WHERE m.organization_id = organizations.id AND m.role = 'owner'),
    member_count = (SELECT count(*) FROM organization_memberships m
                    WHERE m.organization_id = organizations.id);

-- +goose StatementBegin
CREATE TRIGGER organization_memberships_count_insert AFTER INSERT ON organization_memberships
BEGIN
    UPDATE organizations
    SET member_count = member_count + 1, owner_count = owner_count + (NEW.role = 'owner')
    WHERE id = NEW.organization_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER organization_memberships_count_delete AFTER DELETE ON organization_memberships
BEGIN
    UPDATE organizations
    SET member_count = member_count - 1, owner_count = owner_count - (OLD.role = 'owner')
    WHERE id = OLD.organization_id;
END;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE TRIGGER organization_memberships_count_update AFTER UPDATE OF organization_id, role ON organization_memberships
WHEN OLD.organization_id <> NEW.organization_id OR (OLD.role = 'owner') <> (NEW.role = 'owner')
BEGIN
    UPDATE organizations
    SET member_count = member_count - 1, owner_count = owner_count - (OLD.role = 'owner')
    WHERE id = OLD.organization_id;
    UPDATE organizations
    SET member_count = member_count + 1, owner_count = owner_count + (NEW.role = 'owner')
    WHERE id = NEW.organization_id;
END;
-- +goose StatementEnd

-- A change closes a bounded batch of an organization's expired invitations,
-- soonest expiry first, without reading the others.
CREATE INDEX organization_invitations_pending_expiry ON organization_invitations (organization_id, expires_at, id)
    WHERE status = 'pending';

-- +goose Down
DROP INDEX organization_invitations_pending_expiry;
DROP TRIGGER organization_memberships_count_update;
DROP TRIGGER organization_memberships_count_delete;
DROP TRIGGER organization_memberships_count_insert;
ALTER TABLE organizations DROP COLUMN member_count;
ALTER TABLE organizations DROP COLUMN owner_count;
