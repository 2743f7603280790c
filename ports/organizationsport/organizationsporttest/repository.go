// Package organizationsporttest holds the executable contract of
// organizationsport's outbound ports. The in-memory store and the SQL store
// (SQLite and PostgreSQL) run the same suite from their tests.
package organizationsporttest

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

// Harness is one backend under test.
type Harness struct {
	Repo organizationsport.Repository
	UoW  platformport.UnitOfWork
	// NewUser returns the id of a user that exists wherever the store
	// checks references to users.
	NewUser func(t *testing.T) shared.UserID
}

var base = time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)

// at returns base plus n seconds and a few microseconds, to catch stores
// that lose sub-second precision.
func at(n int) time.Time { return base.Add(time.Duration(n)*time.Second + 123456*time.Microsecond) }

type fixture struct {
	t *testing.T
	h Harness
}

func (f fixture) slug(prefix string) organizations.Slug {
	f.t.Helper()
	s, err := organizations.ParseSlug(fmt.Sprintf("%s-%s", prefix, uuid.NewString()[:8]))
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// create stores a new organization owned by owner with extra members.
func (f fixture) create(owner shared.UserID, slug organizations.Slug, extra map[shared.UserID]organizations.Role) *organizations.Organization {
	f.t.Helper()
	o, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "Org "+slug.String(), slug, owner, at(0))
	if err != nil {
		f.t.Fatal(err)
	}
	i := 1
	for u, r := range extra {
		if _, err := o.AddMember(owner, u, r, at(i)); err != nil {
			f.t.Fatal(err)
		}
		i++
	}
	o.PullEvents()
	if err := f.h.Repo.Create(context.Background(), o); err != nil {
		f.t.Fatalf("create: %v", err)
	}
	return o
}

// load returns the organization loaded with scope by a change that
// changes nothing.
func (f fixture) load(id shared.OrganizationID, scope organizationsport.Scope) *organizations.Organization {
	f.t.Helper()
	var got *organizations.Organization
	err := f.h.Repo.Update(context.Background(), id, scope, func(o *organizations.Organization) error {
		got = o
		return nil
	})
	if err != nil {
		f.t.Fatalf("load %s: %v", id, err)
	}
	return got
}

// update is Repo.Update whose closure first yields the processor, so a
// concurrent change gets every chance to load the same state: only the
// store's lock may keep it from doing so.
func (f fixture) update(id shared.OrganizationID, scope organizationsport.Scope, fn func(*organizations.Organization) error) error {
	return f.h.Repo.Update(context.Background(), id, scope, func(o *organizations.Organization) error {
		runtime.Gosched()
		return fn(o)
	})
}

// members lists every stored membership of id, page by page.
func (f fixture) members(id shared.OrganizationID) []organizations.Membership {
	f.t.Helper()
	var out []organizations.Membership
	var key *organizationsport.MemberKey
	for {
		page, err := f.h.Repo.ListMembers(context.Background(), id, key, organizationsport.MaxPageLimit)
		if err != nil {
			f.t.Fatalf("list members: %v", err)
		}
		out = append(out, page...)
		if len(page) < organizationsport.MaxPageLimit {
			return out
		}
		last := page[len(page)-1]
		key = &organizationsport.MemberKey{JoinedAt: last.JoinedAt(), User: last.User()}
	}
}

// pending lists id's pending invitations that expire after at.
func (f fixture) pending(id shared.OrganizationID, at time.Time) []organizations.Invitation {
	f.t.Helper()
	list, err := f.h.Repo.ListInvitations(context.Background(), id, at, nil, organizationsport.MaxPageLimit)
	if err != nil {
		f.t.Fatalf("list invitations: %v", err)
	}
	return list
}

func (f fixture) roleOf(id shared.OrganizationID, u shared.UserID) organizations.Role {
	f.t.Helper()
	sum, err := f.h.Repo.Find(context.Background(), id, u)
	if err != nil {
		f.t.Fatalf("find: %v", err)
	}
	return sum.Role
}

// checkCounts fails unless the stored owner and member counts of id are
// what its stored memberships show, and returns the owners.
func (f fixture) checkCounts(id shared.OrganizationID) int {
	f.t.Helper()
	all := f.members(id)
	owners := 0
	for _, m := range all {
		if m.Role() == organizations.RoleOwner {
			owners++
		}
	}
	got := f.load(id, organizationsport.Scope{})
	if got.OwnerCount() != owners || got.MemberCount() != len(all) {
		f.t.Fatalf("counts say %d owners and %d members, the memberships %d and %d", got.OwnerCount(), got.MemberCount(), owners, len(all))
	}
	return owners
}

func scopeOf(users ...shared.UserID) organizationsport.Scope {
	return organizationsport.Scope{Users: users}
}

// expireBatch is how many due invitations the suite's invitations close.
const expireBatch = 20

// ttl is the lifetime of the suite's invitations.
const ttl = 7 * 24 * time.Hour

// invitation is a new invitation of email made at t, with a random token.
func invitation(email string, role organizations.Role, t time.Time) organizations.NewInvitation {
	return organizations.NewInvitation{ID: uuid.New(), Email: email, Role: role, TokenHash: randomHash(), ExpiresAt: t.Add(ttl)}
}

func randomHash() organizations.TokenHash {
	b := uuid.New()
	c := uuid.New()
	h, err := organizations.NewTokenHash(append(b[:], c[:]...))
	if err != nil {
		panic(err)
	}
	return h
}

// invite stores an invitation of email in org, loaded as the application
// loads it, and returns it.
func (f fixture) invite(org shared.OrganizationID, actor shared.UserID, email string, role organizations.Role, t time.Time) organizations.Invitation {
	f.t.Helper()
	norm, err := organizations.NormalizeEmail(email)
	if err != nil {
		f.t.Fatal(err)
	}
	var inv organizations.Invitation
	scope := organizationsport.Scope{Users: []shared.UserID{actor}, Emails: []string{norm}, DueBy: t, DueLimit: expireBatch}
	err = f.h.Repo.Update(context.Background(), org, scope, func(o *organizations.Organization) error {
		var err error
		inv, err = o.Invite(actor, invitation(email, role, t), t)
		return err
	})
	if err != nil {
		f.t.Fatalf("invite %s: %v", email, err)
	}
	return inv
}

func (f fixture) email(label string) string {
	return fmt.Sprintf("%s-%s@example.com", label, uuid.NewString()[:8])
}

func sameMembers(a, b []organizations.Membership) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].User() != b[i].User() || a[i].Role() != b[i].Role() || !a[i].JoinedAt().Equal(b[i].JoinedAt()) {
			return false
		}
	}
	return true
}

func sameInvitations(a, b []organizations.Invitation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameInvitation(a[i], b[i]) {
			return false
		}
	}
	return true
}

func sameInvitation(a, b organizations.Invitation) bool {
	return a.ID() == b.ID() && a.Email() == b.Email() && a.Role() == b.Role() && a.InvitedBy() == b.InvitedBy() &&
		a.TokenHash() == b.TokenHash() && a.CreatedAt().Equal(b.CreatedAt()) && a.ExpiresAt().Equal(b.ExpiresAt()) &&
		a.Status() == b.Status() && a.ClosedAt().Equal(b.ClosedAt()) && a.ClosedBy() == b.ClosedBy()
}

func isErr(t *testing.T, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

// RepositoryContract checks a Repository and the unit of work it joins. newHarness
// returns a backend; data is made unique per call, so backends may share a
// database between subtests.
func RepositoryContract(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	ctx := context.Background()

	t.Run("create then load round-trips every field", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, admin := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("round"), map[shared.UserID]organizations.Role{admin: organizations.RoleAdmin})
		sent := f.invite(o.ID(), owner, "Pending@Example.com", organizations.RoleMember, at(5))
		got := f.load(o.ID(), organizationsport.Scope{Users: []shared.UserID{owner, admin}, Emails: []string{"pending@example.com"}})
		if got.Name() != o.Name() || got.Slug() != o.Slug() || !got.CreatedAt().Equal(o.CreatedAt()) || !got.UpdatedAt().Equal(o.UpdatedAt()) {
			t.Fatalf("loaded %q %q %v %v", got.Name(), got.Slug(), got.CreatedAt(), got.UpdatedAt())
		}
		if !sameMembers(got.Members(), o.Members()) || !sameMembers(f.members(o.ID()), o.Members()) {
			t.Fatalf("members %v != %v", got.Members(), o.Members())
		}
		if got.OwnerCount() != 1 || got.MemberCount() != 2 {
			t.Fatalf("counts %d owners, %d members", got.OwnerCount(), got.MemberCount())
		}
		if inv := got.Invitations(); len(inv) != 1 || !sameInvitation(inv[0], sent) || inv[0].Email() != "pending@example.com" ||
			inv[0].InvitedBy() != owner || !inv[0].CreatedAt().Equal(at(5)) || !inv[0].ExpiresAt().Equal(at(5).Add(ttl)) ||
			inv[0].Status() != organizations.StatusPending || inv[0].TokenHash().IsZero() {
			t.Fatalf("invitations %+v, sent %+v", inv, sent)
		}
		sum, err := f.h.Repo.Find(ctx, o.ID(), admin)
		isErr(t, err, nil)
		if sum.Role != organizations.RoleAdmin || !sum.JoinedAt.Equal(at(1)) || sum.Name != o.Name() || sum.Slug != o.Slug() {
			t.Fatalf("summary %+v", sum)
		}
		sum, err = f.h.Repo.Find(ctx, o.ID(), f.h.NewUser(t))
		isErr(t, err, nil)
		if !sum.Role.IsZero() {
			t.Fatalf("a non-member has role %v", sum.Role)
		}
	})

	t.Run("update persists role changes, removals, invitations and acceptances", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, a, b, c := f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("diff"), map[shared.UserID]organizations.Role{a: organizations.RoleMember, b: organizations.RoleMember})
		var invC, invD organizations.Invitation
		scope := organizationsport.Scope{Users: []shared.UserID{owner, a, b}, Emails: []string{"c@example.com", "d@example.com"}}
		err := f.h.Repo.Update(ctx, o.ID(), scope, func(o *organizations.Organization) error {
			if _, err := o.ChangeRole(owner, a, organizations.RoleOwner, at(10)); err != nil {
				return err
			}
			if err := o.RemoveMember(owner, b, at(11)); err != nil {
				return err
			}
			var err error
			if invC, err = o.Invite(owner, invitation("c@example.com", organizations.RoleAdmin, at(12)), at(12)); err != nil {
				return err
			}
			if invD, err = o.Invite(owner, invitation("d@example.com", organizations.RoleMember, at(13)), at(13)); err != nil {
				return err
			}
			name := "Renamed"
			_, err = o.Update(owner, organizations.Changes{Name: &name}, at(14))
			return err
		})
		isErr(t, err, nil)
		var joined organizations.Membership
		err = f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{c}, Invitations: []uuid.UUID{invC.ID()}},
			func(o *organizations.Organization) error {
				var err error
				joined, err = o.AcceptInvitation(invC.ID(), c, "c@example.com", at(15))
				return err
			})
		isErr(t, err, nil)
		got := f.load(o.ID(), organizationsport.Scope{})
		if got.Name() != "Renamed" || !got.UpdatedAt().Equal(at(14)) {
			t.Fatalf("name %q updated %v", got.Name(), got.UpdatedAt())
		}
		aJoined, _ := o.Member(a)
		want := []organizations.Membership{
			organizations.RehydrateMembership(owner, organizations.RoleOwner, at(0)),
			organizations.RehydrateMembership(a, organizations.RoleOwner, aJoined.JoinedAt()),
			joined,
		}
		if members := f.members(o.ID()); !sameMembers(members, want) || f.roleOf(o.ID(), c) != organizations.RoleAdmin || !f.roleOf(o.ID(), b).IsZero() {
			t.Fatalf("members %v, want %v", members, want)
		}
		if owners := f.checkCounts(o.ID()); owners != 2 {
			t.Fatalf("%d owners", owners)
		}
		if pending := f.pending(o.ID(), at(15)); len(pending) != 1 || !sameInvitation(pending[0], invD) {
			t.Fatalf("pending invitations %v, want %v", pending, invD)
		}
		rec, err := f.h.Repo.FindInvitation(ctx, invC.ID())
		isErr(t, err, nil)
		if rec.Invitation.Status() != organizations.StatusAccepted || rec.Invitation.ClosedBy() != c || !rec.Invitation.ClosedAt().Equal(at(15)) {
			t.Fatalf("accepted invitation stored as %+v", rec.Invitation)
		}
	})

	t.Run("a change loads only what its scope names, with the counts", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, admin, member, outsider := f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("scope"), map[shared.UserID]organizations.Role{admin: organizations.RoleAdmin, member: organizations.RoleMember})
		byAdmin := f.invite(o.ID(), admin, f.email("by-admin"), organizations.RoleMember, at(5))
		other := f.invite(o.ID(), owner, f.email("other"), organizations.RoleMember, at(6))

		got := f.load(o.ID(), scopeOf(member, outsider))
		if m := got.Members(); len(m) != 1 || m[0].User() != member || got.OwnerCount() != 1 || got.MemberCount() != 3 || len(got.Invitations()) != 0 {
			t.Fatalf("loaded %v and %v with counts %d/%d", m, got.Invitations(), got.OwnerCount(), got.MemberCount())
		}
		// A verb needing what was not loaded refuses, and nothing is saved.
		err := f.h.Repo.Update(ctx, o.ID(), scopeOf(owner), func(o *organizations.Organization) error {
			return o.RemoveMember(owner, member, at(7))
		})
		if !errors.Is(err, organizations.ErrNotLoaded) || f.roleOf(o.ID(), member) != organizations.RoleMember {
			t.Fatalf("removing an unloaded member: %v", err)
		}
		// An invitation comes with its sender's membership, whether it was
		// named by id or by address.
		got = f.load(o.ID(), organizationsport.Scope{Invitations: []uuid.UUID{byAdmin.ID()}})
		if m := got.Members(); len(m) != 1 || m[0].User() != admin || !sameInvitations(got.Invitations(), []organizations.Invitation{byAdmin}) {
			t.Fatalf("loaded %v and %v", m, got.Invitations())
		}
		got = f.load(o.ID(), organizationsport.Scope{Emails: []string{other.Email(), f.email("nobody")}})
		if m := got.Members(); len(m) != 1 || m[0].User() != owner || !sameInvitations(got.Invitations(), []organizations.Invitation{other}) {
			t.Fatalf("loaded %v and %v", m, got.Invitations())
		}
	})

	t.Run("a change loads a bounded batch of due invitations, soonest expiry first", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner := f.h.NewUser(t)
		o := f.create(owner, f.slug("due"), nil)
		var made []organizations.Invitation
		for i := 0; i < 4; i++ {
			// Made later, expiring sooner: the batch follows the expiry.
			inv := invitation(f.email("due"), organizations.RoleMember, at(10-i))
			inv.ExpiresAt = at(100 - 10*i)
			err := f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{owner}, Emails: []string{inv.Email}},
				func(o *organizations.Organization) error {
					got, err := o.Invite(owner, inv, at(10-i))
					made = append(made, got)
					return err
				})
			isErr(t, err, nil)
		}
		got := f.load(o.ID(), organizationsport.Scope{DueBy: at(90), DueLimit: 2})
		// Invitations lists them by creation: made[3] was made first.
		if inv := got.Invitations(); len(inv) != 2 || !sameInvitations(inv, []organizations.Invitation{made[3], made[2]}) {
			t.Fatalf("due batch %v", inv)
		}
		got = f.load(o.ID(), organizationsport.Scope{DueBy: at(80), DueLimit: 10})
		if inv := got.Invitations(); !sameInvitations(inv, []organizations.Invitation{made[3], made[2]}) {
			t.Fatalf("due by at(80): %v", inv)
		}
	})

	t.Run("unknown and deleted organizations are not found", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, member := f.h.NewUser(t), f.h.NewUser(t)
		unknown := shared.OrganizationID(uuid.New())
		_, err := f.h.Repo.Find(ctx, unknown, owner)
		isErr(t, err, organizations.ErrNotFound)
		called := false
		err = f.h.Repo.Update(ctx, unknown, scopeOf(owner), func(*organizations.Organization) error { called = true; return nil })
		isErr(t, err, organizations.ErrNotFound)
		if called {
			t.Fatal("closure ran for an unknown organization")
		}

		o := f.create(owner, f.slug("gone"), map[shared.UserID]organizations.Role{member: organizations.RoleMember})
		gone := f.invite(o.ID(), owner, "gone@example.com", organizations.RoleMember, at(3))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), scopeOf(owner), func(o *organizations.Organization) error { return o.Delete(owner, at(4)) }), nil)
		_, err = f.h.Repo.Find(ctx, o.ID(), owner)
		isErr(t, err, organizations.ErrNotFound)
		isErr(t, f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{}, func(*organizations.Organization) error { return nil }), organizations.ErrNotFound)
		for _, u := range []shared.UserID{owner, member} {
			list, err := f.h.Repo.ListForUser(ctx, u, nil, 10)
			isErr(t, err, nil)
			ids, err := f.h.Repo.OrganizationsOf(ctx, u)
			isErr(t, err, nil)
			if len(list) != 0 || len(ids) != 0 {
				t.Fatalf("deleted organization still listed for a member: %v %v", list, ids)
			}
		}
		members, _ := f.h.Repo.ListMembers(ctx, o.ID(), nil, 10)
		invs, _ := f.h.Repo.ListInvitations(ctx, o.ID(), at(3), nil, 10)
		invited, _ := f.h.Repo.ListInvitationsFor(ctx, "gone@example.com", at(3), nil, 10)
		if len(members) != 0 || len(invs) != 0 || len(invited) != 0 {
			t.Fatalf("memberships or invitations survived: %v %v %v", members, invs, invited)
		}
		_, err = f.h.Repo.FindInvitation(ctx, gone.ID())
		isErr(t, err, organizations.ErrInvitationNotFound)
		_, err = f.h.Repo.FindInvitationByToken(ctx, gone.TokenHash())
		isErr(t, err, organizations.ErrInvitationNotFound)
	})

	t.Run("slugs are unique ignoring case and a deleted organization frees its slug", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner := f.h.NewUser(t)
		slug := f.slug("Unique")
		first := f.create(owner, slug, nil)
		upper, err := organizations.ParseSlug(slug.String())
		isErr(t, err, nil)
		dup, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "Dup", upper, owner, at(1))
		isErr(t, err, nil)
		isErr(t, f.h.Repo.Create(ctx, dup), organizations.ErrSlugTaken)

		second := f.create(owner, f.slug("other"), nil)
		err = f.h.Repo.Update(ctx, second.ID(), scopeOf(owner), func(o *organizations.Organization) error {
			_, err := o.Update(owner, organizations.Changes{Slug: &upper}, at(2))
			return err
		})
		isErr(t, err, organizations.ErrSlugTaken)
		if got := f.load(second.ID(), organizationsport.Scope{}); got.Slug() == slug {
			t.Fatal("the conflicting slug was saved")
		}

		isErr(t, f.h.Repo.Update(ctx, first.ID(), scopeOf(owner), func(o *organizations.Organization) error { return o.Delete(owner, at(3)) }), nil)
		again, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "Again", slug, owner, at(4))
		isErr(t, err, nil)
		isErr(t, f.h.Repo.Create(ctx, again), nil)
	})

	t.Run("a failing closure rolls the change back", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, other := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("rollback"), nil)
		boom := errors.New("boom")
		err := f.h.Repo.Update(ctx, o.ID(), scopeOf(owner, other), func(o *organizations.Organization) error {
			if _, err := o.AddMember(owner, other, organizations.RoleAdmin, at(1)); err != nil {
				return err
			}
			return boom
		})
		isErr(t, err, boom)
		if !f.roleOf(o.ID(), other).IsZero() {
			t.Fatal("membership saved although the closure failed")
		}
		email := f.email("rollback")
		inv := f.invite(o.ID(), owner, email, organizations.RoleMember, at(1))
		err = f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{other}, Invitations: []uuid.UUID{inv.ID()}},
			func(o *organizations.Organization) error {
				if _, err := o.AcceptInvitation(inv.ID(), other, email, at(2)); err != nil {
					return err
				}
				return boom
			})
		isErr(t, err, boom)
		if rec, err := f.h.Repo.FindInvitation(ctx, inv.ID()); err != nil || rec.Invitation.Status() != organizations.StatusPending {
			t.Fatalf("acceptance kept although the closure failed: %+v %v", rec.Invitation, err)
		}
		if !f.roleOf(o.ID(), other).IsZero() || len(f.pending(o.ID(), at(2))) != 1 {
			t.Fatal("acceptance kept although the closure failed")
		}

		err = f.h.UoW.Transaction(ctx, func(ctx context.Context) error {
			fresh, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "In tx", f.slug("in-tx"), owner, at(2))
			if err != nil {
				return err
			}
			if err := f.h.Repo.Create(ctx, fresh); err != nil {
				return err
			}
			if err := f.h.Repo.Update(ctx, o.ID(), scopeOf(owner, other), func(o *organizations.Organization) error {
				_, err := o.AddMember(owner, other, organizations.RoleMember, at(3))
				return err
			}); err != nil {
				return err
			}
			if err := f.h.Repo.Update(ctx, o.ID(), scopeOf(owner), func(o *organizations.Organization) error {
				name := "Renamed in tx"
				_, err := o.Update(owner, organizations.Changes{Name: &name}, at(4))
				return err
			}); err != nil {
				return err
			}
			// Reads inside the unit of work see its own writes.
			if sum, err := f.h.Repo.Find(ctx, o.ID(), other); err != nil || sum.Role != organizations.RoleMember {
				return fmt.Errorf("read inside the unit of work: %+v %v", sum, err)
			}
			return boom
		})
		isErr(t, err, boom)
		if !f.roleOf(o.ID(), other).IsZero() {
			t.Fatal("unit of work kept an update although it failed")
		}
		if got := f.load(o.ID(), organizationsport.Scope{}); got.Name() != o.Name() || got.MemberCount() != 1 {
			t.Fatalf("unit of work kept %q with %d members although it failed", got.Name(), got.MemberCount())
		}
		f.checkCounts(o.ID())
		if list, _ := f.h.Repo.ListForUser(ctx, owner, nil, 10); len(list) != 1 {
			t.Fatalf("unit of work kept a created organization: %d listed", len(list))
		}
	})

	t.Run("concurrent conflicting updates: exactly one wins", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, newbie := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("race"), nil)
		const n = 6
		errs := race(n, func(i int) error {
			return f.update(o.ID(), scopeOf(owner, newbie), func(o *organizations.Organization) error {
				_, err := o.AddMember(owner, newbie, organizations.RoleMember, at(10+i))
				return err
			})
		})
		wins, conflicts := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, organizations.ErrAlreadyMember):
				conflicts++
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if wins != 1 || conflicts != n-1 {
			t.Fatalf("wins=%d conflicts=%d", wins, conflicts)
		}
		f.checkCounts(o.ID())
	})

	t.Run("two owners leaving at once: the last owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("leave"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		users := []shared.UserID{a, b}
		errs := race(2, func(i int) error {
			return f.update(o.ID(), scopeOf(users[i]), func(o *organizations.Organization) error {
				return o.RemoveMember(users[i], users[i], at(20))
			})
		})
		lastOwnerRace(t, f, o.ID(), errs, 1, organizations.ErrLastOwner)
	})

	t.Run("two owners demoting each other at once: one owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("demote"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		pairs := [][2]shared.UserID{{a, b}, {b, a}}
		errs := race(2, func(i int) error {
			return f.update(o.ID(), scopeOf(pairs[i][0], pairs[i][1]), func(o *organizations.Organization) error {
				_, err := o.ChangeRole(pairs[i][0], pairs[i][1], organizations.RoleAdmin, at(20))
				return err
			})
		})
		// The loser is no owner any more by the time its change runs.
		lastOwnerRace(t, f, o.ID(), errs, 1, organizations.ErrOwnerRequired)
	})

	t.Run("two owners demoting themselves at once: the last owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("self"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		users := []shared.UserID{a, b}
		errs := race(2, func(i int) error {
			return f.update(o.ID(), scopeOf(users[i]), func(o *organizations.Organization) error {
				_, err := o.ChangeRole(users[i], users[i], organizations.RoleMember, at(20))
				return err
			})
		})
		lastOwnerRace(t, f, o.ID(), errs, 1, organizations.ErrLastOwner)
	})

	t.Run("the last two owners, one leaving and one stepping down at once: one owner stays", func(t *testing.T) {
		// Each change loads only its own membership: only the owner count,
		// read under the lock, stands between them and no owner at all.
		for round := 0; round < 5; round++ {
			f := fixture{t, newHarness(t)}
			a, b, member := f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t)
			o := f.create(a, f.slug("mixed"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner, member: organizations.RoleMember})
			errs := race(2, func(i int) error {
				if i == 0 {
					return f.update(o.ID(), scopeOf(a), func(o *organizations.Organization) error {
						return o.RemoveMember(a, a, at(20))
					})
				}
				return f.update(o.ID(), scopeOf(b), func(o *organizations.Organization) error {
					_, err := o.ChangeRole(b, b, organizations.RoleAdmin, at(20))
					return err
				})
			})
			lastOwnerRace(t, f, o.ID(), errs, 1, organizations.ErrLastOwner)
		}
	})

	t.Run("three owners stepping down at once: the last owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		users := []shared.UserID{f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t)}
		o := f.create(users[0], f.slug("three"), map[shared.UserID]organizations.Role{users[1]: organizations.RoleOwner, users[2]: organizations.RoleOwner})
		errs := race(3, func(i int) error {
			return f.update(o.ID(), scopeOf(users[i]), func(o *organizations.Organization) error {
				_, err := o.ChangeRole(users[i], users[i], organizations.RoleMember, at(20))
				return err
			})
		})
		lastOwnerRace(t, f, o.ID(), errs, 2, organizations.ErrLastOwner)
	})

	t.Run("removing a member while their role changes: they end removed and nothing else fails", func(t *testing.T) {
		for round := 0; round < 5; round++ {
			f := fixture{t, newHarness(t)}
			owner, admin, target := f.h.NewUser(t), f.h.NewUser(t), f.h.NewUser(t)
			o := f.create(owner, f.slug("remove-change"), map[shared.UserID]organizations.Role{admin: organizations.RoleAdmin, target: organizations.RoleMember})
			errs := race(2, func(i int) error {
				if i == 0 {
					return f.update(o.ID(), scopeOf(owner, target), func(o *organizations.Organization) error {
						return o.RemoveMember(owner, target, at(20))
					})
				}
				return f.update(o.ID(), scopeOf(admin, target), func(o *organizations.Organization) error {
					_, err := o.ChangeRole(admin, target, organizations.RoleAdmin, at(20))
					return err
				})
			})
			// Removal first: the role change finds no member. Role change
			// first: the removal removes the admin.
			isErr(t, errs[0], nil)
			if errs[1] != nil && !errors.Is(errs[1], organizations.ErrMemberNotFound) {
				t.Fatalf("role change: %v", errs[1])
			}
			if !f.roleOf(o.ID(), target).IsZero() {
				t.Fatalf("the removed member is %v", f.roleOf(o.ID(), target))
			}
			if owners := f.checkCounts(o.ID()); owners != 1 || len(f.members(o.ID())) != 2 {
				t.Fatalf("%d owners, members %v", owners, f.members(o.ID()))
			}
		}
	})

	t.Run("the counts follow concurrent joins, removals and role changes", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner := f.h.NewUser(t)
		extra := map[shared.UserID]organizations.Role{}
		var leavers []shared.UserID
		for i := 0; i < 4; i++ {
			u := f.h.NewUser(t)
			extra[u] = organizations.RoleMember
			leavers = append(leavers, u)
		}
		o := f.create(owner, f.slug("counts"), extra)
		joiners := make([]shared.UserID, 8)
		for i := range joiners {
			joiners[i] = f.h.NewUser(t)
		}
		errs := race(len(joiners)+len(leavers), func(i int) error {
			if i < len(joiners) {
				role := organizations.RoleMember
				if i%3 == 0 {
					role = organizations.RoleOwner
				}
				return f.update(o.ID(), scopeOf(owner, joiners[i]), func(o *organizations.Organization) error {
					_, err := o.AddMember(owner, joiners[i], role, at(30+i))
					return err
				})
			}
			u := leavers[i-len(joiners)]
			return f.update(o.ID(), scopeOf(owner, u), func(o *organizations.Organization) error {
				if i%2 == 0 {
					_, err := o.ChangeRole(owner, u, organizations.RoleOwner, at(40))
					return err
				}
				return o.RemoveMember(owner, u, at(40))
			})
		})
		for _, err := range errs {
			isErr(t, err, nil)
		}
		// owner, three joined as owners, two promoted; 1 + 4 + 8 - 2 members.
		if owners := f.checkCounts(o.ID()); owners != 6 || len(f.members(o.ID())) != 11 {
			t.Fatalf("%d owners, %d members", owners, len(f.members(o.ID())))
		}
		isErr(t, f.h.Repo.Update(ctx, o.ID(), scopeOf(owner), func(o *organizations.Organization) error {
			return o.RemoveMember(owner, owner, at(50))
		}), nil)
		f.checkCounts(o.ID())
	})

	t.Run("closed invitations keep their final state, are found by id and token, and free the address", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, joiner := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("closed"), nil)
		email := f.email("closed")
		first := f.invite(o.ID(), owner, email, organizations.RoleAdmin, at(1))
		for _, find := range []func() (organizationsport.InvitationRecord, error){
			func() (organizationsport.InvitationRecord, error) { return f.h.Repo.FindInvitation(ctx, first.ID()) },
			func() (organizationsport.InvitationRecord, error) {
				return f.h.Repo.FindInvitationByToken(ctx, first.TokenHash())
			},
		} {
			rec, err := find()
			isErr(t, err, nil)
			if rec.Organization != o.ID() || rec.OrganizationName != o.Name() || !sameInvitation(rec.Invitation, first) {
				t.Fatalf("found %+v, want %+v", rec, first)
			}
		}
		_, err := f.h.Repo.FindInvitation(ctx, uuid.New())
		isErr(t, err, organizations.ErrInvitationNotFound)
		_, err = f.h.Repo.FindInvitationByToken(ctx, randomHash())
		isErr(t, err, organizations.ErrInvitationNotFound)

		use := func(inv organizations.Invitation, by shared.UserID, fn func(o *organizations.Organization) error) {
			t.Helper()
			isErr(t, f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{by}, Invitations: []uuid.UUID{inv.ID()}}, fn), nil)
		}
		use(first, joiner, func(o *organizations.Organization) error {
			return o.DeclineInvitation(first.ID(), joiner, email, at(2))
		})
		if got := f.load(o.ID(), organizationsport.Scope{Invitations: []uuid.UUID{first.ID()}, Emails: []string{email}}); len(got.Invitations()) != 0 {
			t.Fatalf("a declined invitation loads as pending: %+v", got.Invitations())
		}
		second := f.invite(o.ID(), owner, email, organizations.RoleMember, at(3))
		use(second, joiner, func(o *organizations.Organization) error {
			_, err := o.AcceptInvitation(second.ID(), joiner, email, at(4))
			return err
		})
		third := f.invite(o.ID(), owner, f.email("third"), organizations.RoleMember, at(5))
		use(third, owner, func(o *organizations.Organization) error { return o.CancelInvitation(owner, third.ID(), at(6)) })
		fourth := f.invite(o.ID(), owner, f.email("fourth"), organizations.RoleMember, at(7))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{DueBy: at(7).Add(ttl), DueLimit: expireBatch}, func(o *organizations.Organization) error {
			if n := o.ExpireDueInvitations(at(7).Add(ttl)); n != 1 {
				return fmt.Errorf("expired %d", n)
			}
			return nil
		}), nil)
		for _, c := range []struct {
			inv    organizations.Invitation
			status organizations.InvitationStatus
			by     shared.UserID
			closed time.Time
		}{
			{first, organizations.StatusDeclined, joiner, at(2)},
			{second, organizations.StatusAccepted, joiner, at(4)},
			{third, organizations.StatusCancelled, owner, at(6)},
			{fourth, organizations.StatusExpired, shared.UserID{}, at(7).Add(ttl)},
		} {
			rec, err := f.h.Repo.FindInvitationByToken(ctx, c.inv.TokenHash())
			isErr(t, err, nil)
			got := rec.Invitation
			if got.ID() != c.inv.ID() || got.Status() != c.status || got.ClosedBy() != c.by || !got.ClosedAt().Equal(c.closed) ||
				!got.ExpiresAt().Equal(c.inv.ExpiresAt()) || got.Email() != c.inv.Email() {
				t.Fatalf("stored %+v, want status %v by %v at %v", got, c.status, c.by, c.closed)
			}
		}
		if pending := f.pending(o.ID(), at(0)); len(pending) != 0 || f.roleOf(o.ID(), joiner) != organizations.RoleMember {
			t.Fatalf("pending %+v, joiner %v", pending, f.roleOf(o.ID(), joiner))
		}
	})

	t.Run("invitation lists hold only open invitations of live organizations", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner := f.h.NewUser(t)
		email := f.email("listed")
		a := f.create(owner, f.slug("list-a"), nil)
		b := f.create(owner, f.slug("list-b"), nil)
		gone := f.create(owner, f.slug("list-gone"), nil)
		inA := f.invite(a.ID(), owner, email, organizations.RoleAdmin, at(1))
		inB := f.invite(b.ID(), owner, email, organizations.RoleMember, at(2))
		f.invite(gone.ID(), owner, email, organizations.RoleMember, at(3))
		isErr(t, f.h.Repo.Update(ctx, gone.ID(), scopeOf(owner), func(o *organizations.Organization) error { return o.Delete(owner, at(4)) }), nil)
		other := f.invite(a.ID(), owner, f.email("other"), organizations.RoleMember, at(5))
		declined := f.invite(b.ID(), owner, f.email("declined"), organizations.RoleMember, at(6))
		isErr(t, f.h.Repo.Update(ctx, b.ID(), organizationsport.Scope{Users: []shared.UserID{owner}, Invitations: []uuid.UUID{declined.ID()}},
			func(o *organizations.Organization) error { return o.CancelInvitation(owner, declined.ID(), at(7)) }), nil)

		mine, err := f.h.Repo.ListInvitationsFor(ctx, email, at(10), nil, 10)
		isErr(t, err, nil)
		if len(mine) != 2 || mine[0].Organization != a.ID() || mine[0].OrganizationName != a.Name() || !sameInvitation(mine[0].Invitation, inA) ||
			mine[1].Organization != b.ID() || !sameInvitation(mine[1].Invitation, inB) {
			t.Fatalf("invitations of %s: %+v", email, mine)
		}
		page, err := f.h.Repo.ListInvitationsFor(ctx, email, at(10), &organizationsport.InvitationKey{CreatedAt: inA.CreatedAt(), ID: inA.ID()}, 10)
		isErr(t, err, nil)
		if len(page) != 1 || page[0].Invitation.ID() != inB.ID() {
			t.Fatalf("page after the first: %+v", page)
		}
		// At inA's expiry it is no longer open; inB (made later) still is.
		mine, err = f.h.Repo.ListInvitationsFor(ctx, email, inA.ExpiresAt(), nil, 10)
		isErr(t, err, nil)
		if len(mine) != 1 || mine[0].Invitation.ID() != inB.ID() {
			t.Fatalf("expired invitation listed: %+v", mine)
		}
		listed, err := f.h.Repo.ListInvitations(ctx, a.ID(), at(10), nil, 10)
		isErr(t, err, nil)
		if len(listed) != 2 || listed[0].ID() != inA.ID() || listed[1].ID() != other.ID() {
			t.Fatalf("invitations of a: %+v", listed)
		}
		if listed, _ := f.h.Repo.ListInvitations(ctx, a.ID(), inA.ExpiresAt(), nil, 10); len(listed) != 1 || listed[0].ID() != other.ID() {
			t.Fatalf("invitations of a at inA's expiry: %+v", listed)
		}
		if listed, _ := f.h.Repo.ListInvitations(ctx, b.ID(), at(10), nil, 10); len(listed) != 1 || listed[0].ID() != inB.ID() {
			t.Fatalf("invitations of b: %+v", listed)
		}
	})

	t.Run("concurrent acceptances of one invitation: exactly one wins", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, joiner := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("accept-race"), nil)
		email := f.email("racer")
		inv := f.invite(o.ID(), owner, email, organizations.RoleMember, at(1))
		const n = 6
		errs := race(n, func(i int) error {
			scope := organizationsport.Scope{Users: []shared.UserID{joiner}, Invitations: []uuid.UUID{inv.ID()}}
			return f.update(o.ID(), scope, func(o *organizations.Organization) error {
				if i%2 == 0 {
					_, err := o.AcceptInvitation(inv.ID(), joiner, email, at(2))
					return err
				}
				return o.DeclineInvitation(inv.ID(), joiner, email, at(2))
			})
		})
		wins := 0
		for _, err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, organizations.ErrInvitationNotFound):
			default:
				t.Errorf("unexpected error %v", err)
			}
		}
		if wins != 1 {
			t.Fatalf("%d of %d closed the invitation (%v); exactly one may", wins, n, errs)
		}
		rec, err := f.h.Repo.FindInvitation(ctx, inv.ID())
		isErr(t, err, nil)
		member := !f.roleOf(o.ID(), joiner).IsZero()
		if (rec.Invitation.Status() == organizations.StatusAccepted) != member {
			t.Fatalf("status %v but member=%v", rec.Invitation.Status(), member)
		}
		f.checkCounts(o.ID())
	})

	t.Run("lists are keyset-paginated in key order", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner := f.h.NewUser(t)
		extra := map[shared.UserID]organizations.Role{}
		for i := 0; i < 4; i++ {
			extra[f.h.NewUser(t)] = organizations.RoleMember
		}
		o := f.create(owner, f.slug("pages"), extra)
		email := fmt.Sprintf("inv-%s@example.com", uuid.NewString()[:8])
		emails := []string{"0-" + email, "1-" + email, "2-" + email}
		var invited []organizations.Invitation
		isErr(t, f.h.Repo.Update(ctx, o.ID(), organizationsport.Scope{Users: []shared.UserID{owner}, Emails: emails}, func(o *organizations.Organization) error {
			for _, e := range emails {
				// Same timestamp on purpose: the id breaks the tie.
				if _, err := o.Invite(owner, invitation(e, organizations.RoleMember, at(30)), at(30)); err != nil {
					return err
				}
			}
			invited = o.Invitations()
			return nil
		}), nil)

		var members []organizations.Membership
		var mk *organizationsport.MemberKey
		for {
			page, err := f.h.Repo.ListMembers(ctx, o.ID(), mk, 2)
			isErr(t, err, nil)
			if len(page) == 0 {
				break
			}
			members = append(members, page...)
			last := page[len(page)-1]
			mk = &organizationsport.MemberKey{JoinedAt: last.JoinedAt(), User: last.User()}
		}
		if !sameMembers(members, o.Members()) {
			t.Fatalf("paged members %v, want %v", members, o.Members())
		}

		var invs []organizations.Invitation
		var ik *organizationsport.InvitationKey
		for {
			page, err := f.h.Repo.ListInvitations(ctx, o.ID(), at(31), ik, 2)
			isErr(t, err, nil)
			if len(page) == 0 {
				break
			}
			invs = append(invs, page...)
			last := page[len(page)-1]
			ik = &organizationsport.InvitationKey{CreatedAt: last.CreatedAt(), ID: last.ID()}
		}
		if !sameInvitations(invs, invited) {
			t.Fatalf("paged invitations %v, want %v", invs, invited)
		}
		list, err := f.h.Repo.ListInvitationsFor(ctx, "1-"+email, at(31), nil, 10)
		isErr(t, err, nil)
		if len(list) != 1 || list[0].Organization != o.ID() {
			t.Fatalf("invitations of the address %v", list)
		}

		var orgs []organizations.Slug
		f.create(owner, f.slug("pages-b"), nil)
		f.create(owner, f.slug("pages-c"), nil)
		var ok *organizationsport.MembershipKey
		for {
			page, err := f.h.Repo.ListForUser(ctx, owner, ok, 1)
			isErr(t, err, nil)
			if len(page) == 0 {
				break
			}
			if page[0].Role != organizations.RoleOwner {
				t.Fatalf("role %v", page[0].Role)
			}
			orgs = append(orgs, page[0].Slug)
			ok = &organizationsport.MembershipKey{JoinedAt: page[0].JoinedAt, Organization: page[0].ID}
		}
		if len(orgs) != 3 {
			t.Fatalf("listed %v", orgs)
		}
		ids, err := f.h.Repo.OrganizationsOf(ctx, owner)
		isErr(t, err, nil)
		if len(ids) != 3 || ids[0].String() > ids[1].String() || ids[1].String() > ids[2].String() {
			t.Fatalf("organizations of owner %v", ids)
		}
	})
}

// race runs f(0..n-1) at the same instant and returns their errors.
func race(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = f(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// lastOwnerRace checks that exactly wins changes won, the others lost with
// loserErr, and exactly one owner is left, by the stored memberships and by
// the count.
func lastOwnerRace(t *testing.T, f fixture, id shared.OrganizationID, errs []error, wins int, loserErr error) {
	t.Helper()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, loserErr):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if won != wins {
		t.Fatalf("%d of %d changes won (%v); exactly %d may", won, len(errs), errs, wins)
	}
	if n := f.checkCounts(id); n != 1 {
		t.Fatalf("%d owners left", n)
	}
}
