//go:build integration

package organizationspg_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/organizationsport/organizationsporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_KeepsTheRepositoryContractOnPostgres(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 10})
	organizationsporttest.RepositoryContract(t, func(*testing.T) organizationsporttest.Harness { return harness(db) })
}

// TestMigration00007_InvitationsMadeBeforeItStayPendingWithTheDefaultExpiry
// migrates a database down to before the invitation lifecycle, stores an
// invitation the old way and migrates up again.
func TestMigration00007_InvitationsMadeBeforeItStayPendingWithTheDefaultExpiry(t *testing.T) {
	for _, backend := range testenv.Databases() {
		t.Run(backend.Name, func(t *testing.T) {
			ctx := context.Background()
			db := backend.Open(t)
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 6); err != nil {
				t.Fatalf("down to 6: %v", err)
			}
			h := harness(db)
			owner := h.NewUser(t)
			org, inv := uuid.New(), uuid.New()
			created := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
			for _, q := range []struct {
				sql  string
				args []any
			}{
				{`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					[]any{org.String(), "Legacy", "legacy-" + uuid.NewString()[:8], created, created}},
				{`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
					[]any{org.String(), owner.String(), "owner", created}},
				{`INSERT INTO organization_invitations (id, organization_id, email, role, invited_by, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
					[]any{inv.String(), org.String(), "legacy@example.com", "admin", owner.String(), created}},
			} {
				if err := db.Gorm().Exec(q.sql, q.args...).Error; err != nil {
					t.Fatalf("%s: %v", q.sql, err)
				}
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("up: %v", err)
			}
			rec, err := h.Repo.FindInvitation(ctx, inv)
			if err != nil {
				t.Fatal(err)
			}
			got := rec.Invitation
			if got.Status().String() != "pending" || !got.ExpiresAt().Equal(created.Add(7*24*time.Hour)) ||
				!got.TokenHash().IsZero() || got.InvitedBy() != owner || got.Email() != "legacy@example.com" {
				t.Fatalf("migrated invitation %+v", got)
			}
			list, err := h.Repo.ListInvitations(ctx, shared.OrganizationID(org), created, nil, 10)
			if err != nil || len(list) != 1 {
				t.Fatalf("listed %v, %v", list, err)
			}
		})
	}
}

// scaleMembers is the size of the organization of the scale test.
const scaleMembers = 20_000

// rowCounts are the rows one transaction read and wrote in a table, as
// PostgreSQL counts them for the transaction (pg_stat_xact_user_tables):
// rows read by sequential scans plus rows fetched through indexes, and rows
// inserted, updated or deleted.
type rowCounts struct{ read, written int64 }

func xactRows(t *testing.T, ctx context.Context, db *pgstore.DB) map[string]rowCounts {
	t.Helper()
	var rows []struct {
		Relname                                            string
		SeqTupRead, IdxTupFetch, NTupIns, NTupUpd, NTupDel int64
	}
	err := db.Conn(ctx).Raw(`SELECT relname, coalesce(seq_tup_read, 0) AS seq_tup_read, coalesce(idx_tup_fetch, 0) AS idx_tup_fetch,
		n_tup_ins, n_tup_upd, n_tup_del FROM pg_stat_xact_user_tables
		WHERE relname IN ('organizations', 'organization_memberships', 'organization_invitations')`).Scan(&rows).Error
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]rowCounts{}
	for _, r := range rows {
		out[r.Relname] = rowCounts{read: r.SeqTupRead + r.IdxTupFetch, written: r.NTupIns + r.NTupUpd + r.NTupDel}
	}
	return out
}

// TestUpdate_AtScaleAChangeReadsAndWritesAFewRowsWhateverTheOrganizationsSize
// fills an organization with 20,000 members (and 5,000 pending invitations,
// 100 of them expired) by bulk SQL, then counts, inside each change's
// transaction, the rows PostgreSQL read and wrote in the organization
// tables: adding, removing and changing one member, inviting, accepting
// and cancelling each touch a handful, bounded by what the change names
// (and the batch of expired invitations an invitation closes), never by
// the organization's size.
func TestUpdate_AtScaleAChangeReadsAndWritesAFewRowsWhateverTheOrganizationsSize(t *testing.T) {
	ctx := context.Background()
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t), MaxOpenConns: 4})
	h := harness(db)
	owner, coOwner, joiner, newbie := h.NewUser(t), h.NewUser(t), h.NewUser(t), h.NewUser(t)
	now := time.Now().UTC().Truncate(time.Microsecond)
	slug, err := organizations.ParseSlug("scale-" + uuid.NewString()[:8])
	if err != nil {
		t.Fatal(err)
	}
	o, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "Scale", slug, owner, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.AddMember(owner, coOwner, organizations.RoleOwner, now); err != nil {
		t.Fatal(err)
	}
	if err := h.Repo.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	prefix := "00000000-0000-4000-b000-"
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
			SELECT ('` + prefix + `' || lpad(to_hex(g), 12, '0'))::uuid, 'scale-' || g || '@example.com', 'scale-' || g || '@example.com',
			       'Scale', 'x', now(), now()
			FROM generate_series(1, ?::int) AS g`, []any{scaleMembers}},
		{`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at)
			SELECT ?, ('` + prefix + `' || lpad(to_hex(g), 12, '0'))::uuid, CASE WHEN g % 10 = 0 THEN 'admin' ELSE 'member' END,
			       ?::timestamptz + g * interval '1 millisecond'
			FROM generate_series(1, ?::int) AS g`, []any{o.ID().String(), now, scaleMembers}},
		{`INSERT INTO organization_invitations (id, organization_id, email, role, invited_by, created_at, expires_at, status)
			SELECT gen_random_uuid(), ?, 'invitee-' || g || '@example.com', 'member', ?, ?::timestamptz,
			       CASE WHEN g <= 100 THEN ?::timestamptz - interval '1 hour' ELSE ?::timestamptz + interval '7 days' END, 'pending'
			FROM generate_series(1, 5000) AS g`, []any{o.ID().String(), owner.String(), now, now, now}},
		{`ANALYZE`, nil},
	} {
		if err := db.Gorm().Exec(q.sql, q.args...).Error; err != nil {
			t.Fatalf("seed: %v", err)
		}
	}
	member := shared.UserID(uuid.MustParse(prefix + "000000000001"))
	leaver := shared.UserID(uuid.MustParse(prefix + "000000000002"))
	invite := func(email string) organizations.Invitation {
		t.Helper()
		var inv organizations.Invitation
		err := h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{owner}, Emails: []string{email}}, func(o *organizations.Organization) error {
			var err error
			inv, err = o.Invite(owner, organizations.NewInvitation{
				ID: uuid.New(), Email: email, Role: organizations.RoleMember, TokenHash: tokenHash(), ExpiresAt: now.Add(time.Hour),
			}, now)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return inv
	}
	toAccept, toCancel := invite("joiner@example.com"), invite("cancelled@example.com")

	const due = 20
	for _, c := range []struct {
		name  string
		scope organizationsport.Scope
		fn    func(o *organizations.Organization) error
		// bound is the most rows the change may read and write per table.
		bound int64
	}{
		{"add a member", organizationsport.Scope{Users: []shared.UserID{owner, newbie}}, func(o *organizations.Organization) error {
			if o.MemberCount() != scaleMembers+2 {
				return fmt.Errorf("member count %d", o.MemberCount())
			}
			_, err := o.AddMember(owner, newbie, organizations.RoleMember, now)
			return err
		}, 4},
		{"change a role", organizationsport.Scope{Users: []shared.UserID{owner, member}}, func(o *organizations.Organization) error {
			_, err := o.ChangeRole(owner, member, organizations.RoleOwner, now)
			return err
		}, 4},
		{"remove a member", organizationsport.Scope{Users: []shared.UserID{owner, leaver}}, func(o *organizations.Organization) error {
			return o.RemoveMember(owner, leaver, now)
		}, 4},
		{"leave as one of three owners", organizationsport.Scope{Users: []shared.UserID{coOwner}}, func(o *organizations.Organization) error {
			return o.RemoveMember(coOwner, coOwner, now)
		}, 4},
		{"invite an address, closing a batch of expired invitations", organizationsport.Scope{
			Users: []shared.UserID{owner}, Emails: []string{"fresh@example.com"}, DueBy: now, DueLimit: due,
		}, func(o *organizations.Organization) error {
			_, err := o.Invite(owner, organizations.NewInvitation{
				ID: uuid.New(), Email: "fresh@example.com", Role: organizations.RoleMember, TokenHash: tokenHash(), ExpiresAt: now.Add(time.Hour),
			}, now)
			if n := len(o.ClosedInvitations()); n != due {
				return fmt.Errorf("closed %d expired invitations, want %d", n, due)
			}
			return err
		}, 2*due + 4}, // each expired invitation is read to load it and again to close it
		{"accept an invitation", organizationsport.Scope{Users: []shared.UserID{joiner}, Invitations: []uuid.UUID{toAccept.ID()}}, func(o *organizations.Organization) error {
			_, err := o.AcceptInvitation(toAccept.ID(), joiner, "joiner@example.com", now)
			return err
		}, 4},
		{"cancel an invitation", organizationsport.Scope{Users: []shared.UserID{owner}, Invitations: []uuid.UUID{toCancel.ID()}}, func(o *organizations.Organization) error {
			return o.CancelInvitation(owner, toCancel.ID(), now)
		}, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			var before, after map[string]rowCounts
			err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
				before = xactRows(t, ctx, db)
				if err := h.Repo.Update(ctx, o.ID(), c.scope, c.fn); err != nil {
					return err
				}
				after = xactRows(t, ctx, db)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, table := range []string{"organizations", "organization_memberships", "organization_invitations"} {
				read, written := after[table].read-before[table].read, after[table].written-before[table].written
				t.Logf("%s: %d rows read, %d written", table, read, written)
				if read > c.bound || written > c.bound {
					t.Errorf("%s: %d rows read and %d written in an organization of %d members; at most %d may be",
						table, read, written, scaleMembers, c.bound)
				}
			}
		})
	}
	var counts struct{ OwnerCount, MemberCount, Owners, Members int }
	if err := db.Gorm().Raw(`SELECT o.owner_count, o.member_count,
			(SELECT count(*) FROM organization_memberships m WHERE m.organization_id = o.id AND m.role = 'owner') AS owners,
			(SELECT count(*) FROM organization_memberships m WHERE m.organization_id = o.id) AS members
		FROM organizations o WHERE o.id = ?`, o.ID().String()).Scan(&counts).Error; err != nil {
		t.Fatal(err)
	}
	if counts.OwnerCount != counts.Owners || counts.MemberCount != counts.Members || counts.Owners != 2 {
		t.Fatalf("counts %+v", counts)
	}
}

func tokenHash() organizations.TokenHash {
	a, b := uuid.New(), uuid.New()
	h, err := organizations.NewTokenHash(append(a[:], b[:]...))
	if err != nil {
		panic(err)
	}
	return h
}

// TestMigration00015_CountsAreBackfilledAndFollowEveryWriter migrates down
// to before the counts, stores memberships the old way, migrates up and
// checks the backfill; then changes memberships with plain SQL (as a
// previous release or a cascade would) and checks the triggers keep the
// counts.
func TestMigration00015_CountsAreBackfilledAndFollowEveryWriter(t *testing.T) {
	for _, backend := range testenv.Databases() {
		t.Run(backend.Name, func(t *testing.T) {
			ctx := context.Background()
			db := backend.Open(t)
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 14); err != nil {
				t.Fatalf("down to 14: %v", err)
			}
			h := harness(db)
			users := []shared.UserID{h.NewUser(t), h.NewUser(t), h.NewUser(t), h.NewUser(t)}
			org, empty := uuid.New(), uuid.New()
			created := time.Date(2025, 2, 3, 4, 5, 6, 0, time.UTC)
			exec := func(sql string, args ...any) {
				t.Helper()
				if err := db.Gorm().Exec(sql, args...).Error; err != nil {
					t.Fatalf("%s: %v", sql, err)
				}
			}
			for _, id := range []uuid.UUID{org, empty} {
				exec(`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
					id.String(), "Legacy", "legacy-"+uuid.NewString()[:8], created, created)
			}
			for i, role := range []string{"owner", "owner", "member"} {
				exec(`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at) VALUES (?, ?, ?, ?)`,
					org.String(), users[i].String(), role, created)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatalf("up: %v", err)
			}
			counts := func(id uuid.UUID) (owners, members int) {
				t.Helper()
				var c struct{ OwnerCount, MemberCount int }
				if err := db.Gorm().Raw(`SELECT owner_count, member_count FROM organizations WHERE id = ?`, id.String()).Scan(&c).Error; err != nil {
					t.Fatal(err)
				}
				return c.OwnerCount, c.MemberCount
			}
			if o, n := counts(org); o != 2 || n != 3 {
				t.Fatalf("backfilled %d owners, %d members; want 2, 3", o, n)
			}
			if o, n := counts(empty); o != 0 || n != 0 {
				t.Fatalf("an organization without members counts %d, %d", o, n)
			}
			for _, step := range []struct {
				sql            string
				args           []any
				owners, member int
			}{
				{`INSERT INTO organization_memberships (organization_id, user_id, role, joined_at) VALUES (?, ?, 'owner', ?)`,
					[]any{org.String(), users[3].String(), created}, 3, 4},
				{`UPDATE organization_memberships SET role = 'admin' WHERE organization_id = ? AND user_id = ?`,
					[]any{org.String(), users[0].String()}, 2, 4},
				{`UPDATE organization_memberships SET role = 'member' WHERE organization_id = ? AND user_id = ?`,
					[]any{org.String(), users[0].String()}, 2, 4},
				{`UPDATE organization_memberships SET role = 'owner' WHERE organization_id = ?`, []any{org.String()}, 4, 4},
				{`DELETE FROM organization_memberships WHERE organization_id = ? AND user_id IN (?, ?)`,
					[]any{org.String(), users[1].String(), users[2].String()}, 2, 2},
				{`DELETE FROM organization_memberships WHERE organization_id = ?`, []any{org.String()}, 0, 0},
			} {
				exec(step.sql, step.args...)
				if o, n := counts(org); o != step.owners || n != step.member {
					t.Fatalf("after %s: %d owners, %d members; want %d, %d", step.sql, o, n, step.owners, step.member)
				}
			}
		})
	}
}
