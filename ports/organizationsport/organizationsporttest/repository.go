// Package organizationsporttest holds the executable contract of
// organizationsport's outbound ports. The in-memory store and the SQL store
// (SQLite and PostgreSQL) run the same suite from their tests.
package organizationsporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// Harness is one backend under test.
type Harness struct {
	Repo organizationsport.Repository
	UoW  organizationsport.UnitOfWork
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

func (f fixture) load(id shared.OrganizationID) *organizations.Organization {
	f.t.Helper()
	var got *organizations.Organization
	err := f.h.Repo.Update(context.Background(), id, func(o *organizations.Organization) error {
		got = o
		return nil
	})
	if err != nil {
		f.t.Fatalf("load %s: %v", id, err)
	}
	return got
}

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

// invite stores an invitation of email in org and returns it.
func (f fixture) invite(org shared.OrganizationID, actor shared.UserID, email string, role organizations.Role, t time.Time) organizations.Invitation {
	f.t.Helper()
	var inv organizations.Invitation
	err := f.h.Repo.Update(context.Background(), org, func(o *organizations.Organization) error {
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

// RepositoryContract checks a Repository and its UnitOfWork. newHarness
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
		got := f.load(o.ID())
		if got.Name() != o.Name() || got.Slug() != o.Slug() || !got.CreatedAt().Equal(o.CreatedAt()) || !got.UpdatedAt().Equal(o.UpdatedAt()) {
			t.Fatalf("loaded %q %q %v %v", got.Name(), got.Slug(), got.CreatedAt(), got.UpdatedAt())
		}
		if !sameMembers(got.Members(), o.Members()) {
			t.Fatalf("members %v != %v", got.Members(), o.Members())
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
		var want *organizations.Organization
		var invC organizations.Invitation
		err := f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
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
			if _, err := o.Invite(owner, invitation("d@example.com", organizations.RoleMember, at(13)), at(13)); err != nil {
				return err
			}
			name := "Renamed"
			if _, err := o.Update(owner, organizations.Changes{Name: &name}, at(14)); err != nil {
				return err
			}
			want = o
			return nil
		})
		isErr(t, err, nil)
		err = f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			if _, err := o.AcceptInvitation(invC.ID(), c, "c@example.com", at(15)); err != nil {
				return err
			}
			want = o
			return nil
		})
		isErr(t, err, nil)
		got := f.load(o.ID())
		if got.Name() != "Renamed" || !got.UpdatedAt().Equal(at(14)) {
			t.Fatalf("name %q updated %v", got.Name(), got.UpdatedAt())
		}
		if !sameMembers(got.Members(), want.Members()) || got.RoleOf(a) != organizations.RoleOwner || !got.RoleOf(b).IsZero() || got.RoleOf(c) != organizations.RoleAdmin {
			t.Fatalf("members %v, want %v", got.Members(), want.Members())
		}
		if !sameInvitations(got.Invitations(), want.Invitations()) || len(got.Invitations()) != 1 {
			t.Fatalf("invitations %v, want %v", got.Invitations(), want.Invitations())
		}
		rec, err := f.h.Repo.FindInvitation(ctx, invC.ID())
		isErr(t, err, nil)
		if rec.Invitation.Status() != organizations.StatusAccepted || rec.Invitation.ClosedBy() != c || !rec.Invitation.ClosedAt().Equal(at(15)) {
			t.Fatalf("accepted invitation stored as %+v", rec.Invitation)
		}
	})

	t.Run("unknown and deleted organizations are not found", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, member := f.h.NewUser(t), f.h.NewUser(t)
		unknown := shared.OrganizationID(uuid.New())
		_, err := f.h.Repo.Find(ctx, unknown, owner)
		isErr(t, err, organizations.ErrNotFound)
		called := false
		err = f.h.Repo.Update(ctx, unknown, func(*organizations.Organization) error { called = true; return nil })
		isErr(t, err, organizations.ErrNotFound)
		if called {
			t.Fatal("closure ran for an unknown organization")
		}

		o := f.create(owner, f.slug("gone"), map[shared.UserID]organizations.Role{member: organizations.RoleMember})
		gone := f.invite(o.ID(), owner, "gone@example.com", organizations.RoleMember, at(3))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error { return o.Delete(owner, at(4)) }), nil)
		_, err = f.h.Repo.Find(ctx, o.ID(), owner)
		isErr(t, err, organizations.ErrNotFound)
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(*organizations.Organization) error { return nil }), organizations.ErrNotFound)
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
		err = f.h.Repo.Update(ctx, second.ID(), func(o *organizations.Organization) error {
			_, err := o.Update(owner, organizations.Changes{Slug: &upper}, at(2))
			return err
		})
		isErr(t, err, organizations.ErrSlugTaken)
		if got := f.load(second.ID()); got.Slug() == slug {
			t.Fatal("the conflicting slug was saved")
		}

		isErr(t, f.h.Repo.Update(ctx, first.ID(), func(o *organizations.Organization) error { return o.Delete(owner, at(3)) }), nil)
		again, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "Again", slug, owner, at(4))
		isErr(t, err, nil)
		isErr(t, f.h.Repo.Create(ctx, again), nil)
	})

	t.Run("a failing closure rolls the change back", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		owner, other := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(owner, f.slug("rollback"), nil)
		boom := errors.New("boom")
		err := f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			if _, err := o.AddMember(owner, other, organizations.RoleAdmin, at(1)); err != nil {
				return err
			}
			return boom
		})
		isErr(t, err, boom)
		if got := f.load(o.ID()); !got.RoleOf(other).IsZero() {
			t.Fatal("membership saved although the closure failed")
		}
		email := f.email("rollback")
		inv := f.invite(o.ID(), owner, email, organizations.RoleMember, at(1))
		err = f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			if _, err := o.AcceptInvitation(inv.ID(), other, email, at(2)); err != nil {
				return err
			}
			return boom
		})
		isErr(t, err, boom)
		if rec, err := f.h.Repo.FindInvitation(ctx, inv.ID()); err != nil || rec.Invitation.Status() != organizations.StatusPending {
			t.Fatalf("acceptance kept although the closure failed: %+v %v", rec.Invitation, err)
		}
		if got := f.load(o.ID()); !got.RoleOf(other).IsZero() || len(got.Invitations()) != 1 {
			t.Fatal("acceptance kept although the closure failed")
		}

		err = f.h.UoW.Do(ctx, func(ctx context.Context, r organizationsport.TxRepos) error {
			fresh, err := organizations.NewOrganization(shared.OrganizationID(uuid.New()), "In tx", f.slug("in-tx"), owner, at(2))
			if err != nil {
				return err
			}
			if err := r.Organizations.Create(ctx, fresh); err != nil {
				return err
			}
			if err := r.Organizations.Update(ctx, o.ID(), func(o *organizations.Organization) error {
				_, err := o.AddMember(owner, other, organizations.RoleMember, at(3))
				return err
			}); err != nil {
				return err
			}
			// Reads inside the unit of work see its own writes.
			if sum, err := r.Organizations.Find(ctx, o.ID(), other); err != nil || sum.Role != organizations.RoleMember {
				return fmt.Errorf("read inside the unit of work: %+v %v", sum, err)
			}
			return boom
		})
		isErr(t, err, boom)
		if got := f.load(o.ID()); !got.RoleOf(other).IsZero() {
			t.Fatal("unit of work kept an update although it failed")
		}
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
			return f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
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
	})

	t.Run("two owners leaving at once: the last owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("leave"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		users := []shared.UserID{a, b}
		errs := race(2, func(i int) error {
			return f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
				return o.RemoveMember(users[i], users[i], at(20))
			})
		})
		lastOwnerRace(t, f, o.ID(), errs, organizations.ErrLastOwner)
	})

	t.Run("two owners demoting each other at once: one owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("demote"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		pairs := [][2]shared.UserID{{a, b}, {b, a}}
		errs := race(2, func(i int) error {
			return f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
				_, err := o.ChangeRole(pairs[i][0], pairs[i][1], organizations.RoleAdmin, at(20))
				return err
			})
		})
		// The loser is no owner any more by the time its change runs.
		lastOwnerRace(t, f, o.ID(), errs, organizations.ErrOwnerRequired)
	})

	t.Run("two owners demoting themselves at once: the last owner stays", func(t *testing.T) {
		f := fixture{t, newHarness(t)}
		a, b := f.h.NewUser(t), f.h.NewUser(t)
		o := f.create(a, f.slug("self"), map[shared.UserID]organizations.Role{b: organizations.RoleOwner})
		users := []shared.UserID{a, b}
		errs := race(2, func(i int) error {
			return f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
				_, err := o.ChangeRole(users[i], users[i], organizations.RoleMember, at(20))
				return err
			})
		})
		lastOwnerRace(t, f, o.ID(), errs, organizations.ErrLastOwner)
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

		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			return o.DeclineInvitation(first.ID(), joiner, email, at(2))
		}), nil)
		if got := f.load(o.ID()); len(got.Invitations()) != 0 {
			t.Fatalf("a declined invitation loads as pending: %+v", got.Invitations())
		}
		second := f.invite(o.ID(), owner, email, organizations.RoleMember, at(3))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			_, err := o.AcceptInvitation(second.ID(), joiner, email, at(4))
			return err
		}), nil)
		third := f.invite(o.ID(), owner, f.email("third"), organizations.RoleMember, at(5))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			return o.CancelInvitation(owner, third.ID(), at(6))
		}), nil)
		fourth := f.invite(o.ID(), owner, f.email("fourth"), organizations.RoleMember, at(7))
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
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
		got := f.load(o.ID())
		if len(got.Invitations()) != 0 || got.RoleOf(joiner) != organizations.RoleMember {
			t.Fatalf("pending %+v, joiner %v", got.Invitations(), got.RoleOf(joiner))
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
		isErr(t, f.h.Repo.Update(ctx, gone.ID(), func(o *organizations.Organization) error { return o.Delete(owner, at(4)) }), nil)
		other := f.invite(a.ID(), owner, f.email("other"), organizations.RoleMember, at(5))
		declined := f.invite(b.ID(), owner, f.email("declined"), organizations.RoleMember, at(6))
		isErr(t, f.h.Repo.Update(ctx, b.ID(), func(o *organizations.Organization) error {
			return o.CancelInvitation(owner, declined.ID(), at(7))
		}), nil)

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
			return f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
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
		member := !f.load(o.ID()).RoleOf(joiner).IsZero()
		if (rec.Invitation.Status() == organizations.StatusAccepted) != member {
			t.Fatalf("status %v but member=%v", rec.Invitation.Status(), member)
		}
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
		isErr(t, f.h.Repo.Update(ctx, o.ID(), func(o *organizations.Organization) error {
			for i := 0; i < 3; i++ {
				// Same timestamp on purpose: the id breaks the tie.
				if _, err := o.Invite(owner, invitation(fmt.Sprintf("%d-%s", i, email), organizations.RoleMember, at(30)), at(30)); err != nil {
					return err
				}
			}
			return nil
		}), nil)
		all := f.load(o.ID())

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
		if !sameMembers(members, all.Members()) {
			t.Fatalf("paged members %v, want %v", members, all.Members())
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
		if !sameInvitations(invs, all.Invitations()) {
			t.Fatalf("paged invitations %v, want %v", invs, all.Invitations())
		}
		invited, err := f.h.Repo.ListInvitationsFor(ctx, "1-"+email, at(31), nil, 10)
		isErr(t, err, nil)
		if len(invited) != 1 || invited[0].Organization != o.ID() {
			t.Fatalf("invitations of the address %v", invited)
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

func lastOwnerRace(t *testing.T, f fixture, id shared.OrganizationID, errs []error, loserErr error) {
	t.Helper()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case errors.Is(err, loserErr):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d of %d changes won (%v); exactly one may", wins, len(errs), errs)
	}
	if n := f.load(id).OwnerCount(); n != 1 {
		t.Fatalf("%d owners left", n)
	}
}
