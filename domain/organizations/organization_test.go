package organizations_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

var now = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func uid(n byte) shared.UserID { return shared.UserID(uuid.UUID{15: n}) }

var (
	owner    = uid(1)
	owner2   = uid(2)
	admin    = uid(3)
	admin2   = uid(4)
	member   = uid(5)
	member2  = uid(6)
	outsider = uid(7)
	newbie   = uid(8)
	orgID    = shared.OrganizationID(uuid.UUID{0: 9})
)

func mustSlug(t *testing.T, s string) organizations.Slug {
	t.Helper()
	sl, err := organizations.ParseSlug(s)
	if err != nil {
		t.Fatalf("slug %q: %v", s, err)
	}
	return sl
}

// fixture is an organization with one owner, one admin and one member
// (plus a second owner when twoOwners), and a pending invitation.
func fixture(t *testing.T, twoOwners bool) *organizations.Organization {
	t.Helper()
	ms := []organizations.Membership{
		organizations.RehydrateMembership(owner, organizations.RoleOwner, now),
		organizations.RehydrateMembership(admin, organizations.RoleAdmin, now),
		organizations.RehydrateMembership(admin2, organizations.RoleAdmin, now),
		organizations.RehydrateMembership(member, organizations.RoleMember, now),
		organizations.RehydrateMembership(member2, organizations.RoleMember, now),
	}
	if twoOwners {
		ms = append(ms, organizations.RehydrateMembership(owner2, organizations.RoleOwner, now))
	}
	inv := organizations.RehydrateInvitation(organizations.InvitationState{
		ID: pendingID, Email: "pending@example.com", Role: organizations.RoleAdmin, InvitedBy: owner,
		TokenHash: hashOf(1), CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	return organizations.RehydrateOrganization(orgID, "Acme", mustSlug(t, "acme"), now, now, ms, []organizations.Invitation{inv})
}

// The fixture's pending invitation and the invitation lifetime of the tests.
var (
	pendingID = uuid.UUID{1: 1}
	ttl       = 7 * 24 * time.Hour
)

func hashOf(n byte) organizations.TokenHash {
	b := make([]byte, organizations.TokenHashSize)
	b[0] = n
	h, err := organizations.NewTokenHash(b)
	if err != nil {
		panic(err)
	}
	return h
}

// invitation is a NewInvitation of email with role and no account behind it.
func invitation(n byte, email string, role organizations.Role) organizations.NewInvitation {
	return organizations.NewInvitation{
		ID: uuid.UUID{2: n}, Email: email, Role: role, TokenHash: hashOf(n + 10), ExpiresAt: now.Add(ttl),
	}
}

func assertErr(t *testing.T, got, want error) {
	t.Helper()
	if want == nil {
		if got != nil {
			t.Fatalf("unexpected error %v", got)
		}
		return
	}
	if !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

func TestNewOrganization_CreatorBecomesOwnerAndCreationIsRecorded(t *testing.T) {
	o, err := organizations.NewOrganization(orgID, "  Acme Corp ", mustSlug(t, "acme-corp"), owner, now)
	assertErr(t, err, nil)
	if o.Name() != "Acme Corp" || o.Slug().String() != "acme-corp" || o.RoleOf(owner) != organizations.RoleOwner {
		t.Fatalf("unexpected organization %q %q %v", o.Name(), o.Slug(), o.RoleOf(owner))
	}
	ev := o.PullEvents()
	created, ok := ev[0].(organizations.OrganizationCreated)
	if len(ev) != 1 || !ok || created.Organization != orgID || created.Actor != owner || created.Slug != "acme-corp" {
		t.Fatalf("events = %#v", ev)
	}
	if len(o.PullEvents()) != 0 {
		t.Fatal("PullEvents must drain")
	}
}

func TestNewOrganization_RejectsInvalidNames(t *testing.T) {
	for _, name := range []string{"", "   ", string(make([]byte, 0)) + "a\x00b", fmt.Sprintf("%0101d", 0)} {
		_, err := organizations.NewOrganization(orgID, name, mustSlug(t, "ok"), owner, now)
		if shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("name %q: err = %v", name, err)
		}
	}
	if _, err := organizations.NewOrganization(orgID, "x", organizations.Slug{}, owner, now); shared.KindOf(err) != shared.KindInvalid {
		t.Errorf("zero slug accepted: %v", err)
	}
}

func TestParseSlug_AcceptsOnlyTheGrammarAndLowerCases(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"acme", "acme", true},
		{" ACME-Corp ", "acme-corp", true},
		{"a1-b2-c3", "a1-b2-c3", true},
		{"a", "", false},
		{"-acme", "", false},
		{"acme-", "", false},
		{"ac--me", "", false},
		{"ac_me", "", false},
		{"acmé", "", false},
		{fmt.Sprintf("%064d", 0), "", false},
	}
	for _, c := range cases {
		s, err := organizations.ParseSlug(c.in)
		if c.ok != (err == nil) || (c.ok && s.String() != c.want) {
			t.Errorf("ParseSlug(%q) = %q, %v", c.in, s, err)
		}
	}
}

func TestDeriveSlug_MakesURLSafeSlugsFromNames(t *testing.T) {
	cases := map[string]string{
		"Acme Corp":           "acme-corp",
		"  Crème Brûlée & Co": "creme-brulee-co",
		"Straße 42":           "strasse-42",
		"日本":                  "org",
		"!!!":                 "org",
		"A":                   "org",
	}
	for in, want := range cases {
		if got := organizations.DeriveSlug(in).String(); got != want {
			t.Errorf("DeriveSlug(%q) = %q, want %q", in, got, want)
		}
	}
	long := organizations.DeriveSlug(fmt.Sprintf("%0100d", 7))
	if len(long.String()) != organizations.MaxSlugLength {
		t.Errorf("long slug has %d characters", len(long.String()))
	}
	s, err := long.WithSuffix("a1b2c3")
	if err != nil || len(s.String()) > organizations.MaxSlugLength || s.String()[len(s.String())-7:] != "-a1b2c3" {
		t.Errorf("WithSuffix = %q, %v", s, err)
	}
}

func TestParseRole_KnowsOnlyThreeRoles(t *testing.T) {
	for _, in := range []string{"owner", "ADMIN", " member "} {
		if _, err := organizations.ParseRole(in); err != nil {
			t.Errorf("%q refused: %v", in, err)
		}
	}
	for _, in := range []string{"", "superuser", "owners"} {
		if _, err := organizations.ParseRole(in); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%q accepted: %v", in, err)
		}
	}
}

// TestAuthorization_EveryRuleForEveryRole walks the rules table of the
// context: each action by owner, admin, member and non-member.
func TestAuthorization_EveryRuleForEveryRole(t *testing.T) {
	name := "Renamed"
	type action func(o *organizations.Organization, actor shared.UserID) error
	actions := map[string]action{
		"read": func(o *organizations.Organization, a shared.UserID) error { _, err := o.View(a); return err },
		"update": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.Update(a, organizations.Changes{Name: &name}, now)
			return err
		},
		"delete": func(o *organizations.Organization, a shared.UserID) error { return o.Delete(a, now) },
		"add member": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.AddMember(a, newbie, organizations.RoleMember, now)
			return err
		},
		"add admin": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.AddMember(a, newbie, organizations.RoleAdmin, now)
			return err
		},
		"add owner": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.AddMember(a, newbie, organizations.RoleOwner, now)
			return err
		},
		"invite member": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.Invite(a, invitation(2, "new@example.com", organizations.RoleMember), now)
			return err
		},
		"invite owner": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.Invite(a, invitation(2, "new@example.com", organizations.RoleOwner), now)
			return err
		},
		"cancel an admin invitation": func(o *organizations.Organization, a shared.UserID) error {
			return o.CancelInvitation(a, pendingID, now)
		},
		"cancel an owner invitation": func(o *organizations.Organization, a shared.UserID) error {
			if _, err := o.Invite(owner, invitation(3, "boss@example.com", organizations.RoleOwner), now); err != nil {
				return err
			}
			o.PullEvents()
			return o.CancelInvitation(a, uuid.UUID{2: 3}, now)
		},
		"promote member to owner": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.ChangeRole(a, member2, organizations.RoleOwner, now)
			return err
		},
		"demote other owner": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.ChangeRole(a, owner2, organizations.RoleAdmin, now)
			return err
		},
		"remove other owner": func(o *organizations.Organization, a shared.UserID) error { return o.RemoveMember(a, owner2, now) },
		"remove a member":    func(o *organizations.Organization, a shared.UserID) error { return o.RemoveMember(a, member2, now) },
		"remove an admin":    func(o *organizations.Organization, a shared.UserID) error { return o.RemoveMember(a, admin2, now) },
		"leave":              func(o *organizations.Organization, a shared.UserID) error { return o.RemoveMember(a, a, now) },
		"promote member to admin": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.ChangeRole(a, member2, organizations.RoleAdmin, now)
			return err
		},
		"demote admin to member": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.ChangeRole(a, admin2, organizations.RoleMember, now)
			return err
		},
	}
	nf, fb, own := organizations.ErrNotFound, organizations.ErrForbidden, organizations.ErrOwnerRequired
	// want[action] = {owner, admin, member, non-member}
	want := map[string][4]error{
		"read":                       {nil, nil, nil, nf},
		"update":                     {nil, nil, fb, nf},
		"delete":                     {nil, fb, fb, nf},
		"add member":                 {nil, nil, fb, nf},
		"add admin":                  {nil, nil, fb, nf},
		"add owner":                  {nil, own, fb, nf},
		"invite member":              {nil, nil, fb, nf},
		"invite owner":               {nil, own, fb, nf},
		"cancel an admin invitation": {nil, nil, fb, nf},
		"cancel an owner invitation": {nil, own, fb, nf},
		"promote member to owner":    {nil, own, fb, nf},
		"demote other owner":         {nil, own, fb, nf},
		"remove other owner":         {nil, own, fb, nf},
		"remove a member":            {nil, nil, fb, nf},
		"remove an admin":            {nil, nil, fb, nf},
		"leave":                      {nil, nil, nil, nf},
		"promote member to admin":    {nil, nil, fb, nf},
		"demote admin to member":     {nil, nil, fb, nf},
	}
	actors := [4]shared.UserID{owner, admin, member, outsider}
	roles := [4]string{"owner", "admin", "member", "non-member"}
	for act, cells := range want {
		for i, actor := range actors {
			t.Run(act+" by "+roles[i], func(t *testing.T) {
				o := fixture(t, true)
				err := actions[act](o, actor)
				assertErr(t, err, cells[i])
				if err != nil && len(o.PullEvents()) != 0 {
					t.Fatal("a refused action must record no event")
				}
			})
		}
	}
}

func TestNonMember_GetsNotFoundLikeAnUnknownOrganization(t *testing.T) {
	o := fixture(t, false)
	err := o.Delete(outsider, now)
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindNotFound || se.Code() != "organizations.not_found" {
		t.Fatalf("err = %v", err)
	}
	assertErr(t, organizations.AuthorizeRead(organizations.Role{}), organizations.ErrNotFound)
	assertErr(t, organizations.AuthorizeRead(organizations.RoleMember), nil)
}

func TestAuthorizeListInvitations_OwnersAndAdminsOnly(t *testing.T) {
	assertErr(t, organizations.AuthorizeListInvitations(organizations.RoleOwner), nil)
	assertErr(t, organizations.AuthorizeListInvitations(organizations.RoleAdmin), nil)
	assertErr(t, organizations.AuthorizeListInvitations(organizations.RoleMember), organizations.ErrForbidden)
	assertErr(t, organizations.AuthorizeListInvitations(organizations.Role{}), organizations.ErrNotFound)
}

func TestRefusedAction_LeavesTheAggregateUnchanged(t *testing.T) {
	o := fixture(t, false)
	before := fmt.Sprint(o.Members(), o.Invitations(), o.Name())
	_, _ = o.ChangeRole(admin, owner, organizations.RoleMember, now)
	_ = o.RemoveMember(owner, owner, now)
	_, _ = o.AddMember(member, newbie, organizations.RoleMember, now)
	_, _ = o.Update(member, organizations.Changes{Name: ptr("x")}, now)
	if after := fmt.Sprint(o.Members(), o.Invitations(), o.Name()); after != before {
		t.Fatalf("aggregate changed:\n%s\n%s", before, after)
	}
}

func TestLastOwner_CannotLeaveBeRemovedOrDemoted(t *testing.T) {
	o := fixture(t, false)
	assertErr(t, o.RemoveMember(owner, owner, now), organizations.ErrLastOwner)
	_, err := o.ChangeRole(owner, owner, organizations.RoleAdmin, now)
	assertErr(t, err, organizations.ErrLastOwner)
	if o.OwnerCount() != 1 {
		t.Fatal("owner count changed")
	}
}

func TestOwners_DemotingEachOtherStopsAtTheLastOwner(t *testing.T) {
	o := fixture(t, true)
	_, err := o.ChangeRole(owner, owner2, organizations.RoleAdmin, now)
	assertErr(t, err, nil)
	// owner2 is an admin now: demoting an owner is no longer theirs to do.
	_, err = o.ChangeRole(owner2, owner, organizations.RoleAdmin, now)
	assertErr(t, err, organizations.ErrOwnerRequired)
	_, err = o.ChangeRole(owner, owner, organizations.RoleMember, now)
	assertErr(t, err, organizations.ErrLastOwner)
	if o.OwnerCount() != 1 {
		t.Fatalf("owners = %d", o.OwnerCount())
	}
}

func TestOwner_MayLeaveWhenAnotherOwnerRemains(t *testing.T) {
	o := fixture(t, true)
	assertErr(t, o.RemoveMember(owner, owner, now), nil)
	ev := o.PullEvents()
	removed, ok := ev[0].(organizations.MemberRemoved)
	if !ok || removed.Reason != organizations.ReasonSelfLeave || removed.User != owner || removed.Role != organizations.RoleOwner {
		t.Fatalf("events = %#v", ev)
	}
}

func TestRemoveMember_RecordsRemovedReasonAndUnknownTargetIsNotFound(t *testing.T) {
	o := fixture(t, false)
	assertErr(t, o.RemoveMember(admin, member, now), nil)
	ev := o.PullEvents()
	if r, ok := ev[0].(organizations.MemberRemoved); !ok || r.Reason != organizations.ReasonRemoved || r.Actor != admin {
		t.Fatalf("events = %#v", ev)
	}
	assertErr(t, o.RemoveMember(admin, member, now), organizations.ErrMemberNotFound)
	assertErr(t, o.RemoveMember(admin, newbie, now), organizations.ErrMemberNotFound)
}

func TestAddMember_ExistingMemberIsAConflict(t *testing.T) {
	o := fixture(t, false)
	_, err := o.AddMember(owner, member, organizations.RoleAdmin, now)
	assertErr(t, err, organizations.ErrAlreadyMember)
	m, err := o.AddMember(admin, newbie, organizations.RoleAdmin, now)
	assertErr(t, err, nil)
	if m.Role() != organizations.RoleAdmin || !m.JoinedAt().Equal(now) {
		t.Fatalf("membership = %+v", m)
	}
	if ev, ok := o.PullEvents()[0].(organizations.MemberAdded); !ok || ev.User != newbie || ev.Role != organizations.RoleAdmin {
		t.Fatal("member.added not recorded")
	}
}

func TestInvite_DuplicatePendingInvitationIsAConflictIgnoringCase(t *testing.T) {
	o := fixture(t, false)
	_, err := o.Invite(owner, invitation(3, " Pending@Example.COM ", organizations.RoleMember), now)
	assertErr(t, err, organizations.ErrAlreadyInvited)
	_, err = o.Invite(owner, invitation(3, "not-an-email", organizations.RoleMember), now)
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("bad email accepted: %v", err)
	}
	inv, err := o.Invite(owner, invitation(3, "Fresh@Example.com", organizations.RoleMember), now)
	assertErr(t, err, nil)
	if inv.Email() != "fresh@example.com" || inv.InvitedBy() != owner || inv.Status() != organizations.StatusPending ||
		!inv.ExpiresAt().Equal(now.Add(ttl)) || inv.TokenHash() != hashOf(13) {
		t.Fatalf("invitation = %+v", inv)
	}
	ev, ok := o.PullEvents()[0].(organizations.InvitationCreated)
	if !ok || ev.Email != "fresh@example.com" || !ev.ExpiresAt.Equal(now.Add(ttl)) || ev.Actor != owner {
		t.Fatal("invitation.created not recorded")
	}
}

func TestInvite_AnAccountHolderIsInvitedLikeAnyoneAndAMemberIsAConflict(t *testing.T) {
	o := fixture(t, false)
	withAccount := invitation(3, "newbie@example.com", organizations.RoleMember)
	withAccount.Holder = newbie
	inv, err := o.Invite(admin, withAccount, now)
	assertErr(t, err, nil)
	if !o.RoleOf(newbie).IsZero() || inv.Status() != organizations.StatusPending {
		t.Fatal("inviting an account holder made them a member")
	}
	ofMember := invitation(4, "member@example.com", organizations.RoleAdmin)
	ofMember.Holder = member
	_, err = o.Invite(owner, ofMember, now)
	assertErr(t, err, organizations.ErrAlreadyMember)
}

func TestInvite_RefusesAMissingIDTokenOrExpiry(t *testing.T) {
	o := fixture(t, false)
	for name, mutate := range map[string]func(*organizations.NewInvitation){
		"no id":              func(n *organizations.NewInvitation) { n.ID = uuid.Nil },
		"no token":           func(n *organizations.NewInvitation) { n.TokenHash = organizations.TokenHash{} },
		"expiry in the past": func(n *organizations.NewInvitation) { n.ExpiresAt = now.Add(-time.Second) },
		"expiry now":         func(n *organizations.NewInvitation) { n.ExpiresAt = now },
	} {
		n := invitation(5, "x@example.com", organizations.RoleMember)
		mutate(&n)
		if _, err := o.Invite(owner, n, now); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%s: %v", name, err)
		}
	}
	if len(o.PullEvents()) != 0 || len(o.Invitations()) != 1 {
		t.Fatal("a refused invitation changed the organization")
	}
}

func TestInvite_AnExpiredInvitationOfTheAddressIsClosedAndReplaced(t *testing.T) {
	o := fixture(t, false)
	later := now.Add(ttl)
	n := invitation(3, "pending@example.com", organizations.RoleMember)
	n.ExpiresAt = later.Add(ttl)
	inv, err := o.Invite(owner, n, later)
	assertErr(t, err, nil)
	if got, ok := o.Invitation(inv.ID()); !ok || got.Role() != organizations.RoleMember {
		t.Fatal("new invitation not pending")
	}
	closed := o.ClosedInvitations()
	if len(closed) != 1 || closed[0].ID() != pendingID || closed[0].Status() != organizations.StatusExpired || !closed[0].ClosedAt().Equal(later) {
		t.Fatalf("closed = %+v", closed)
	}
	ev := o.PullEvents()
	exp, ok := ev[0].(organizations.InvitationExpired)
	if len(ev) != 2 || !ok || !exp.Actor.IsZero() || exp.Invitation != pendingID {
		t.Fatalf("events = %#v", ev)
	}
	if _, ok := ev[1].(organizations.InvitationCreated); !ok {
		t.Fatalf("events = %#v", ev)
	}
}

func TestAcceptInvitation_TurnsThePendingInvitationIntoAMembership(t *testing.T) {
	o := fixture(t, false)
	at := now.Add(time.Hour)
	m, err := o.AcceptInvitation(pendingID, newbie, "PENDING@example.com", at)
	assertErr(t, err, nil)
	if m.Role() != organizations.RoleAdmin || o.RoleOf(newbie) != organizations.RoleAdmin || !m.JoinedAt().Equal(at) {
		t.Fatalf("accept = %+v", m)
	}
	if len(o.Invitations()) != 0 {
		t.Fatal("invitation still pending")
	}
	closed := o.ClosedInvitations()
	if len(closed) != 1 || closed[0].Status() != organizations.StatusAccepted || closed[0].ClosedBy() != newbie || !closed[0].ClosedAt().Equal(at) {
		t.Fatalf("closed = %+v", closed)
	}
	ev := o.PullEvents()
	acc, isAcc := ev[0].(organizations.InvitationAccepted)
	added, isAdded := ev[1].(organizations.MemberAdded)
	if len(ev) != 2 || !isAcc || acc.Actor != newbie || acc.Role != organizations.RoleAdmin || acc.InvitedBy != owner ||
		!isAdded || added.User != newbie || added.Invitation != pendingID || added.Actor != newbie {
		t.Fatalf("events = %#v", ev)
	}
	_, err = o.AcceptInvitation(pendingID, newbie, "pending@example.com", at)
	assertErr(t, err, organizations.ErrInvitationNotFound)
	assertErr(t, o.DeclineInvitation(pendingID, newbie, "pending@example.com", at), organizations.ErrInvitationNotFound)
}

func TestAcceptInvitation_RefusalsLeaveTheInvitationPending(t *testing.T) {
	cases := []struct {
		name  string
		setup func(o *organizations.Organization)
		user  shared.UserID
		email string
		at    time.Time
		want  error
	}{
		{"another address", nil, newbie, "someone@example.com", now, organizations.ErrInvitationNotFound},
		{"an unparsable address", nil, newbie, "", now, organizations.ErrInvitationNotFound},
		{"no user", nil, shared.UserID{}, "pending@example.com", now, organizations.ErrInvitationNotFound},
		{"at its expiry", nil, newbie, "pending@example.com", now.Add(ttl), organizations.ErrInvitationExpired},
		{"after its expiry", nil, newbie, "pending@example.com", now.Add(ttl + time.Hour), organizations.ErrInvitationExpired},
		{"a member", nil, member, "pending@example.com", now, organizations.ErrAlreadyMember},
		{"the inviter was demoted", func(o *organizations.Organization) {
			if _, err := o.ChangeRole(owner2, owner, organizations.RoleMember, now); err != nil {
				panic(err)
			}
		}, newbie, "pending@example.com", now, organizations.ErrInviterNotAllowed},
		{"the inviter left", func(o *organizations.Organization) {
			if err := o.RemoveMember(owner, owner, now); err != nil {
				panic(err)
			}
		}, newbie, "pending@example.com", now, organizations.ErrInviterNotAllowed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := fixture(t, true)
			if c.setup != nil {
				c.setup(o)
			}
			o.PullEvents()
			_, err := o.AcceptInvitation(pendingID, c.user, c.email, c.at)
			assertErr(t, err, c.want)
			if _, ok := o.Invitation(pendingID); !ok || len(o.ClosedInvitations()) != 0 || len(o.PullEvents()) != 0 || !o.RoleOf(newbie).IsZero() {
				t.Fatal("a refused acceptance changed the organization")
			}
		})
	}
}

func TestAcceptInvitation_AnOwnerInvitationNeedsAnOwnerBehindIt(t *testing.T) {
	o := fixture(t, true)
	_, err := o.Invite(owner2, invitation(3, "boss@example.com", organizations.RoleOwner), now)
	assertErr(t, err, nil)
	_, err = o.Invite(admin, invitation(4, "helper@example.com", organizations.RoleAdmin), now)
	assertErr(t, err, nil)
	// owner2 steps down to admin: an owner invitation from an admin is void,
	// an admin invitation from an admin is not.
	_, err = o.ChangeRole(owner2, owner2, organizations.RoleAdmin, now)
	assertErr(t, err, nil)
	_, err = o.AcceptInvitation(uuid.UUID{2: 3}, newbie, "boss@example.com", now)
	assertErr(t, err, organizations.ErrInviterNotAllowed)
	_, err = o.AcceptInvitation(uuid.UUID{2: 4}, outsider, "helper@example.com", now)
	assertErr(t, err, nil)
	// An invitation whose sender's account is gone is void.
	gone := organizations.RehydrateInvitation(organizations.InvitationState{
		ID: uuid.UUID{2: 5}, Email: "orphan@example.com", Role: organizations.RoleMember,
		TokenHash: hashOf(5), CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
	o2 := organizations.RehydrateOrganization(orgID, "Acme", mustSlug(t, "acme"), now, now,
		[]organizations.Membership{organizations.RehydrateMembership(owner, organizations.RoleOwner, now)}, []organizations.Invitation{gone})
	_, err = o2.AcceptInvitation(uuid.UUID{2: 5}, newbie, "orphan@example.com", now)
	assertErr(t, err, organizations.ErrInviterNotAllowed)
}

func TestDeclineInvitation_ClosesItWithoutAMembership(t *testing.T) {
	o := fixture(t, false)
	assertErr(t, o.DeclineInvitation(pendingID, newbie, "someone@example.com", now), organizations.ErrInvitationNotFound)
	assertErr(t, o.DeclineInvitation(pendingID, newbie, "pending@example.com", now.Add(ttl)), organizations.ErrInvitationExpired)
	assertErr(t, o.DeclineInvitation(pendingID, newbie, "pending@example.com", now), nil)
	if !o.RoleOf(newbie).IsZero() || len(o.Invitations()) != 0 {
		t.Fatal("declining made a membership or kept the invitation")
	}
	if c := o.ClosedInvitations(); len(c) != 1 || c[0].Status() != organizations.StatusDeclined || c[0].ClosedBy() != newbie {
		t.Fatalf("closed = %+v", c)
	}
	if ev, ok := o.PullEvents()[0].(organizations.InvitationDeclined); !ok || ev.Actor != newbie || ev.Invitation != pendingID {
		t.Fatal("invitation.declined not recorded")
	}
	_, err := o.AcceptInvitation(pendingID, newbie, "pending@example.com", now)
	assertErr(t, err, organizations.ErrInvitationNotFound)
}

func TestCancelInvitation_ClosesItAndAnUnknownOneIsNotFound(t *testing.T) {
	o := fixture(t, false)
	assertErr(t, o.CancelInvitation(admin, uuid.UUID{9: 9}, now), organizations.ErrInvitationNotFound)
	// Expired invitations may be cancelled too.
	assertErr(t, o.CancelInvitation(admin, pendingID, now.Add(2*ttl)), nil)
	if c := o.ClosedInvitations(); len(c) != 1 || c[0].Status() != organizations.StatusCancelled || c[0].ClosedBy() != admin {
		t.Fatalf("closed = %+v", c)
	}
	if ev, ok := o.PullEvents()[0].(organizations.InvitationCancelled); !ok || ev.Actor != admin {
		t.Fatal("invitation.cancelled not recorded")
	}
	assertErr(t, o.CancelInvitation(admin, pendingID, now), organizations.ErrInvitationNotFound)
}

func TestExpireDueInvitations_ClosesOnlyThoseAtOrPastTheirExpiry(t *testing.T) {
	o := fixture(t, false)
	n := invitation(3, "later@example.com", organizations.RoleMember)
	n.ExpiresAt = now.Add(2 * ttl)
	_, err := o.Invite(owner, n, now)
	assertErr(t, err, nil)
	o.PullEvents()
	if got := o.ExpireDueInvitations(now.Add(ttl - time.Nanosecond)); got != 0 {
		t.Fatalf("expired %d before their time", got)
	}
	if got := o.ExpireDueInvitations(now.Add(ttl)); got != 1 {
		t.Fatalf("expired %d, want 1", got)
	}
	if inv := o.Invitations(); len(inv) != 1 || inv[0].Email() != "later@example.com" {
		t.Fatalf("pending = %+v", inv)
	}
	ev := o.PullEvents()
	if e, ok := ev[0].(organizations.InvitationExpired); len(ev) != 1 || !ok || !e.Actor.IsZero() || !e.ExpiresAt.Equal(now.Add(ttl)) {
		t.Fatalf("events = %#v", ev)
	}
}

func TestInvitation_StatusAtTellsAnExpiredPendingInvitation(t *testing.T) {
	inv, _ := fixture(t, false).Invitation(pendingID)
	if inv.StatusAt(now) != organizations.StatusPending || inv.StatusAt(now.Add(ttl)) != organizations.StatusExpired {
		t.Fatal("StatusAt does not follow the expiry")
	}
	for st, want := range map[organizations.InvitationStatus]error{
		organizations.StatusAccepted: organizations.ErrInvitationAccepted, organizations.StatusDeclined: organizations.ErrInvitationDeclined,
		organizations.StatusCancelled: organizations.ErrInvitationCancelled, organizations.StatusExpired: organizations.ErrInvitationExpired,
		organizations.StatusPending: organizations.ErrInvitationNotFound,
	} {
		assertErr(t, organizations.ClosedInvitationError(st), want)
		if back, err := organizations.ParseInvitationStatus(st.String()); err != nil || back != st {
			t.Errorf("status %q does not round-trip", st)
		}
	}
	if _, err := organizations.ParseInvitationStatus("revoked"); err == nil {
		t.Fatal("unknown status parsed")
	}
	if _, err := organizations.NewTokenHash(make([]byte, 31)); err == nil {
		t.Fatal("short token hash accepted")
	}
}

func TestRehydrateOrganization_LoadsOnlyPendingInvitations(t *testing.T) {
	closed := organizations.RehydrateInvitation(organizations.InvitationState{
		ID: uuid.UUID{2: 7}, Email: "done@example.com", Role: organizations.RoleMember, InvitedBy: owner,
		CreatedAt: now, ExpiresAt: now.Add(ttl), Status: organizations.StatusAccepted, ClosedAt: now, ClosedBy: newbie,
	})
	o := organizations.RehydrateOrganization(orgID, "Acme", mustSlug(t, "acme"), now, now,
		[]organizations.Membership{organizations.RehydrateMembership(owner, organizations.RoleOwner, now)}, []organizations.Invitation{closed})
	if len(o.Invitations()) != 0 {
		t.Fatal("a closed invitation was loaded as pending")
	}
	if _, err := o.Invite(owner, invitation(3, "done@example.com", organizations.RoleMember), now); err != nil {
		t.Fatalf("a closed invitation blocks a new one: %v", err)
	}
}

func TestChangeRole_SameRoleIsANoOpAndChangesAreRecorded(t *testing.T) {
	o := fixture(t, false)
	_, err := o.ChangeRole(admin, member, organizations.RoleMember, now)
	assertErr(t, err, nil)
	if len(o.PullEvents()) != 0 {
		t.Fatal("a no-op recorded an event")
	}
	m, err := o.ChangeRole(admin, admin, organizations.RoleMember, now)
	assertErr(t, err, nil)
	if m.Role() != organizations.RoleMember {
		t.Fatal("admin could not step down")
	}
	ev, ok := o.PullEvents()[0].(organizations.MemberRoleChanged)
	if !ok || ev.From != organizations.RoleAdmin || ev.To != organizations.RoleMember {
		t.Fatal("role_changed not recorded with from and to")
	}
	_, err = o.ChangeRole(owner, newbie, organizations.RoleAdmin, now)
	assertErr(t, err, organizations.ErrMemberNotFound)
}

func TestUpdate_RecordsOnlyChangedFields(t *testing.T) {
	o := fixture(t, false)
	changed, err := o.Update(admin, organizations.Changes{Name: ptr("Acme")}, now)
	if err != nil || changed || len(o.PullEvents()) != 0 {
		t.Fatalf("same name: changed=%v err=%v", changed, err)
	}
	slug := mustSlug(t, "acme-2")
	later := now.Add(time.Minute)
	changed, err = o.Update(owner, organizations.Changes{Name: ptr("Acme"), Slug: &slug}, later)
	if err != nil || !changed || o.Slug() != slug || !o.UpdatedAt().Equal(later) {
		t.Fatalf("changed=%v err=%v slug=%v", changed, err, o.Slug())
	}
	ev := o.PullEvents()[0].(organizations.OrganizationUpdated)
	if len(ev.Changes) != 1 || ev.Changes[0] != (organizations.FieldChange{Field: "slug", From: "acme", To: "acme-2"}) {
		t.Fatalf("changes = %+v", ev.Changes)
	}
	_, err = o.Update(owner, organizations.Changes{Name: ptr("  ")}, now)
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("blank name accepted: %v", err)
	}
}

func TestDelete_RemovesMembershipsAndInvitationsAndLocksTheAggregate(t *testing.T) {
	o := fixture(t, false)
	assertErr(t, o.Delete(owner, now), nil)
	if !o.Deleted() || len(o.Members()) != 0 || len(o.Invitations()) != 0 || len(o.ClosedInvitations()) != 0 {
		t.Fatal("deleted organization still holds members or invitations")
	}
	if ev, ok := o.PullEvents()[0].(organizations.OrganizationDeleted); !ok || ev.Reason != organizations.ReasonDeletedByOwner {
		t.Fatal("organization.deleted not recorded")
	}
	_, err := o.View(owner)
	assertErr(t, err, organizations.ErrNotFound)
}

func TestRemoveDepartingAccount(t *testing.T) {
	t.Run("sole owner with other members is refused", func(t *testing.T) {
		o := fixture(t, false)
		assertErr(t, o.RemoveDepartingAccount(owner, now), organizations.ErrSoleOwner)
		if o.RoleOf(owner) != organizations.RoleOwner || len(o.PullEvents()) != 0 {
			t.Fatal("refusal changed the organization")
		}
	})
	t.Run("one of two owners loses the membership", func(t *testing.T) {
		o := fixture(t, true)
		assertErr(t, o.RemoveDepartingAccount(owner, now), nil)
		ev, ok := o.PullEvents()[0].(organizations.MemberRemoved)
		if o.Deleted() || !o.RoleOf(owner).IsZero() || !ok || ev.Reason != organizations.ReasonAccountDeleted {
			t.Fatal("membership not removed")
		}
	})
	t.Run("a plain member loses the membership", func(t *testing.T) {
		o := fixture(t, false)
		assertErr(t, o.RemoveDepartingAccount(member, now), nil)
		if !o.RoleOf(member).IsZero() || o.Deleted() {
			t.Fatal("membership not removed")
		}
	})
	t.Run("the only member deletes the organization", func(t *testing.T) {
		o, err := organizations.NewOrganization(orgID, "Solo", mustSlug(t, "solo"), owner, now)
		assertErr(t, err, nil)
		o.PullEvents()
		assertErr(t, o.RemoveDepartingAccount(owner, now), nil)
		ev, ok := o.PullEvents()[0].(organizations.OrganizationDeleted)
		if !o.Deleted() || !ok || ev.Reason != organizations.ReasonAccountDeleted {
			t.Fatal("organization not deleted")
		}
	})
	t.Run("a non-member changes nothing", func(t *testing.T) {
		o := fixture(t, false)
		assertErr(t, o.RemoveDepartingAccount(outsider, now), nil)
		if len(o.PullEvents()) != 0 {
			t.Fatal("event recorded")
		}
	})
}

func ptr[T any](v T) *T { return &v }

// part loads the fixture's organization the way a store does for one
// command: its counts and only the named users, addresses and invitations.
func part(users []shared.UserID, owners, members int, invs []organizations.Invitation, emails []string, ids []uuid.UUID) *organizations.Organization {
	all := map[shared.UserID]organizations.Membership{}
	for _, m := range fixtureMembers(true) {
		all[m.User()] = m
	}
	var ms []organizations.Membership
	for _, u := range users {
		if m, ok := all[u]; ok {
			ms = append(ms, m)
		}
	}
	return organizations.RehydrateOrganizationPart(organizations.OrganizationState{
		ID: orgID, Name: "Acme", Slug: organizations.DeriveSlug("acme"), CreatedAt: now, UpdatedAt: now,
		Owners: owners, Members: members, Memberships: ms, LoadedUsers: users,
		Invitations: invs, LoadedEmails: emails, LoadedInvitations: ids,
	})
}

func fixtureMembers(twoOwners bool) []organizations.Membership {
	ms := []organizations.Membership{
		organizations.RehydrateMembership(owner, organizations.RoleOwner, now),
		organizations.RehydrateMembership(admin, organizations.RoleAdmin, now),
		organizations.RehydrateMembership(member, organizations.RoleMember, now),
	}
	if twoOwners {
		ms = append(ms, organizations.RehydrateMembership(owner2, organizations.RoleOwner, now))
	}
	return ms
}

func pendingInvitation() organizations.Invitation {
	return organizations.RehydrateInvitation(organizations.InvitationState{
		ID: pendingID, Email: "pending@example.com", Role: organizations.RoleAdmin, InvitedBy: owner,
		TokenHash: hashOf(1), CreatedAt: now, ExpiresAt: now.Add(ttl),
	})
}

func TestPartialOrganization_TheLastOwnerRuleFollowsTheOwnerCountNotTheLoadedMemberships(t *testing.T) {
	// Only the leaving owner is loaded; the count says whether another remains.
	alone := part([]shared.UserID{owner}, 1, 100_000, nil, nil, nil)
	assertErr(t, alone.RemoveMember(owner, owner, now), organizations.ErrLastOwner)
	_, err := alone.ChangeRole(owner, owner, organizations.RoleAdmin, now)
	assertErr(t, err, organizations.ErrLastOwner)
	assertErr(t, alone.RemoveDepartingAccount(owner, now), organizations.ErrSoleOwner)

	two := part([]shared.UserID{owner}, 2, 100_000, nil, nil, nil)
	assertErr(t, two.RemoveMember(owner, owner, now), nil)
	if two.OwnerCount() != 1 || two.MemberCount() != 99_999 {
		t.Fatalf("counts after leaving: %d owners, %d members", two.OwnerCount(), two.MemberCount())
	}
	demoted := part([]shared.UserID{owner}, 2, 10, nil, nil, nil)
	_, err = demoted.ChangeRole(owner, owner, organizations.RoleMember, now)
	assertErr(t, err, nil)
	// The count moved: the same owner cannot now count on a second one.
	if demoted.OwnerCount() != 1 {
		t.Fatalf("owners = %d", demoted.OwnerCount())
	}
}

func TestPartialOrganization_CountsFollowEveryVerb(t *testing.T) {
	o := part([]shared.UserID{owner, member, newbie, outsider}, 1, 3, []organizations.Invitation{pendingInvitation()}, nil, nil)
	_, err := o.AddMember(owner, newbie, organizations.RoleOwner, now)
	assertErr(t, err, nil)
	_, err = o.AcceptInvitation(pendingID, outsider, "pending@example.com", now)
	assertErr(t, err, nil)
	_, err = o.ChangeRole(owner, member, organizations.RoleOwner, now)
	assertErr(t, err, nil)
	if o.OwnerCount() != 3 || o.MemberCount() != 5 {
		t.Fatalf("after joins and a promotion: %d owners, %d members", o.OwnerCount(), o.MemberCount())
	}
	assertErr(t, o.RemoveMember(owner, newbie, now), nil)
	assertErr(t, o.RemoveDepartingAccount(member, now), nil)
	if o.OwnerCount() != 1 || o.MemberCount() != 3 {
		t.Fatalf("after two owners left: %d owners, %d members", o.OwnerCount(), o.MemberCount())
	}
	// A stored count below what the loaded rows show is raised to them.
	low := part([]shared.UserID{owner, owner2}, 0, 1, nil, nil, nil)
	if low.OwnerCount() != 2 || low.MemberCount() != 2 {
		t.Fatalf("counts %d/%d below the loaded memberships", low.OwnerCount(), low.MemberCount())
	}
}

func TestPartialOrganization_TheOnlyMemberLeavingDeletesItByTheCount(t *testing.T) {
	o := part([]shared.UserID{member}, 1, 2, nil, nil, nil)
	assertErr(t, o.RemoveDepartingAccount(member, now), nil)
	if o.Deleted() || o.MemberCount() != 1 {
		t.Fatal("a member of two left as if alone")
	}
	solo := part([]shared.UserID{owner}, 1, 1, nil, nil, nil)
	assertErr(t, solo.RemoveDepartingAccount(owner, now), nil)
	if !solo.Deleted() {
		t.Fatal("the only member's departure did not delete the organization")
	}
}

func TestPartialOrganization_WhatWasLookedUpAndNotFoundIsAnAnswer(t *testing.T) {
	o := part([]shared.UserID{owner, newbie}, 1, 5, nil, []string{"fresh@example.com"}, []uuid.UUID{pendingID})
	assertErr(t, o.RemoveMember(owner, newbie, now), organizations.ErrMemberNotFound)
	assertErr(t, o.CancelInvitation(owner, pendingID, now), organizations.ErrInvitationNotFound)
	_, err := o.Invite(owner, invitation(3, "Fresh@Example.com", organizations.RoleMember), now)
	assertErr(t, err, nil)
	// What this change created is known too.
	_, err = o.Invite(owner, invitation(4, "fresh@example.com", organizations.RoleMember), now)
	assertErr(t, err, organizations.ErrAlreadyInvited)
	_, err = o.AddMember(owner, newbie, organizations.RoleMember, now)
	assertErr(t, err, nil)
	_, err = o.AddMember(owner, newbie, organizations.RoleMember, now)
	assertErr(t, err, organizations.ErrAlreadyMember)
}

func TestPartialOrganization_AVerbNeedingWhatWasNotLoadedFailsAndChangesNothing(t *testing.T) {
	holder := invitation(3, "member@example.com", organizations.RoleMember)
	holder.Holder = member
	inviterMissing := part([]shared.UserID{newbie}, 1, 5, []organizations.Invitation{pendingInvitation()}, nil, nil)
	cases := map[string]struct {
		o  *organizations.Organization
		do func(o *organizations.Organization) error
	}{
		"an actor": {part(nil, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			_, err := o.View(owner)
			return err
		}},
		"a target removed": {part([]shared.UserID{owner}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			return o.RemoveMember(owner, member, now)
		}},
		"a target whose role changes": {part([]shared.UserID{owner}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			_, err := o.ChangeRole(owner, member, organizations.RoleAdmin, now)
			return err
		}},
		"a user added": {part([]shared.UserID{owner}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			_, err := o.AddMember(owner, newbie, organizations.RoleAdmin, now)
			return err
		}},
		"an invited address": {part([]shared.UserID{owner}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			_, err := o.Invite(owner, invitation(3, "someone@example.com", organizations.RoleMember), now)
			return err
		}},
		"the account holder of an invited address": {part([]shared.UserID{owner}, 1, 5, nil, []string{"member@example.com"}, nil), func(o *organizations.Organization) error {
			_, err := o.Invite(owner, holder, now)
			return err
		}},
		"an invitation accepted": {part([]shared.UserID{newbie}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			_, err := o.AcceptInvitation(pendingID, newbie, "pending@example.com", now)
			return err
		}},
		"the sender of an invitation accepted": {inviterMissing, func(o *organizations.Organization) error {
			_, err := o.AcceptInvitation(pendingID, newbie, "pending@example.com", now)
			return err
		}},
		"an invitation cancelled": {part([]shared.UserID{owner}, 1, 5, nil, nil, nil), func(o *organizations.Organization) error {
			return o.CancelInvitation(owner, pendingID, now)
		}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			before := fmt.Sprint(c.o.Members(), c.o.Invitations(), c.o.OwnerCount(), c.o.MemberCount())
			err := c.do(c.o)
			if !errors.Is(err, organizations.ErrNotLoaded) || shared.KindOf(err) != shared.KindUnknown {
				t.Fatalf("error = %v, want ErrNotLoaded (no error kind)", err)
			}
			after := fmt.Sprint(c.o.Members(), c.o.Invitations(), c.o.OwnerCount(), c.o.MemberCount())
			if after != before || len(c.o.PullEvents()) != 0 || len(c.o.ClosedInvitations()) != 0 {
				t.Fatalf("a refused change changed the organization:\n%s\n%s", before, after)
			}
		})
	}
}
