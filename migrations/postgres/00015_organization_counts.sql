-- +goose Up
-- An organization keeps the number of its owners and of its memberships in
-- its own row: a change of one membership reads that row (locked FOR
-- UPDATE) to apply the last-owner and only-member rules, instead of every
-- membership, so it costs the same at ten members and at a hundred
-- thousand. Triggers keep the counts in the statement that changes the
-- memberships, whoever runs it (an instance of the previous release during
-- a rolling deploy, an ON DELETE CASCADE), so they never drift from the
-- rows they count. Statement-level triggers with transition tables make a
-- bulk change (an organization's deletion) one update of the row.
--
-- The ALTER TABLE locks organizations until this migration commits, and
-- every membership write needs that table (the FOR UPDATE of its
-- organization, the foreign key check), so no membership changes between
-- the triggers' creation and the backfill below.
ALTER TABLE organizations
    ADD COLUMN owner_count  integer NOT NULL DEFAULT 0,
    ADD COLUMN member_count integer NOT NULL DEFAULT 0,
    ADD CONSTRAINT organizations_counts_check CHECK (owner_count >= 0 AND member_count >= owner_count);

-- +goose StatementBegin
CREATE FUNCTION organization_membership_counts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE organizations o
        SET member_count = o.member_count + d.members, owner_count = o.owner_count + d.owners
        FROM (SELECT organization_id, count(*) AS members, count(*) FILTER (WHERE role = 'owner') AS owners
              FROM new_memberships GROUP BY organization_id) d
        WHERE o.id = d.organization_id;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE organizations o
        SET member_count = o.member_count - d.members, owner_count = o.owner_count - d.owners
        FROM (SELECT organization_id, count(*) AS members, count(*) FILTER (WHERE role = 'owner') AS owners
              FROM old_memberships GROUP BY organization_id) d
        WHERE o.id = d.organization_id;
    ELSE
        UPDATE organizations o
        SET member_count = o.member_count + d.members, owner_count = o.owner_count + d.owners
        FROM (SELECT organization_id, sum(members) AS members, sum(owners) AS owners
              FROM (SELECT organization_id, 1 AS members, CASE WHEN role = 'owner' THEN 1 ELSE 0 END AS owners
                    FROM new_memberships
                    UNION ALL
                    SELECT organization_id, -1, CASE WHEN role = 'owner' THEN -1 ELSE 0 END
                    FROM old_memberships) c
              GROUP BY organization_id) d
        -- A role change among admins and members leaves the row alone.
        WHERE o.id = d.organization_id AND (d.members <> 0 OR d.owners <> 0);
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER organization_memberships_count_insert AFTER INSERT ON organization_memberships
    REFERENCING NEW TABLE AS new_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION organization_membership_counts();
CREATE TRIGGER organization_memberships_count_update AFTER UPDATE ON organization_memberships
    REFERENCING OLD TABLE AS old_memberships NEW TABLE AS new_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION organization_membership_counts();
CREATE TRIGGER organization_memberships_count_delete AFTER DELETE ON organization_memberships
    REFERENCING OLD TABLE AS old_memberships
    FOR EACH STATEMENT EXECUTE FUNCTION organization_membership_counts();

UPDATE organizations o
SET owner_count = c.owners, member_count = c.members
FROM (SELECT organization_id, count(*) AS members, count(*) FILTER (WHERE role = 'owner') AS owners
      FROM organization_memberships GROUP BY organization_id) c
WHERE o.id = c.organization_id;

-- A change closes a bounded batch of an organization's expired invitations,
-- soonest expiry first, without reading the others.
CREATE INDEX organization_invitations_pending_expiry ON organization_invitations (organization_id, expires_at, id)
    WHERE status = 'pending';

-- +goose Down
DROP INDEX organization_invitations_pending_expiry;
DROP TRIGGER organization_memberships_count_delete ON organization_memberships;
DROP TRIGGER organization_memberships_count_update ON organization_memberships;
DROP TRIGGER organization_memberships_count_insert ON organization_memberships;
DROP FUNCTION organization_membership_counts();
ALTER TABLE organizations DROP CONSTRAINT organizations_counts_check, DROP COLUMN member_count, DROP COLUMN owner_count;
