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
	inv := organizations.RehydrateInvitation(uuid.UUID{1: 1}, "pending@example.com", organizations.RoleAdmin, owner, now)
	return organizations.RehydrateOrganization(orgID, "Acme", mustSlug(t, "acme"), now, now, ms, []organizations.Invitation{inv})
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
			_, err := o.Invite(a, uuid.UUID{2: 2}, "new@example.com", organizations.RoleMember, now)
			return err
		},
		"invite owner": func(o *organizations.Organization, a shared.UserID) error {
			_, err := o.Invite(a, uuid.UUID{2: 2}, "new@example.com", organizations.RoleOwner, now)
			return err
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
		"read":                    {nil, nil, nil, nf},
		"update":                  {nil, nil, fb, nf},
		"delete":                  {nil, fb, fb, nf},
		"add member":              {nil, nil, fb, nf},
		"add admin":               {nil, nil, fb, nf},
		"add owner":               {nil, own, fb, nf},
		"invite member":           {nil, nil, fb, nf},
		"invite owner":            {nil, own, fb, nf},
		"promote member to owner": {nil, own, fb, nf},
		"demote other owner":      {nil, own, fb, nf},
		"remove other owner":      {nil, own, fb, nf},
		"remove a member":         {nil, nil, fb, nf},
		"remove an admin":         {nil, nil, fb, nf},
		"leave":                   {nil, nil, nil, nf},
		"promote member to admin": {nil, nil, fb, nf},
		"demote admin to member":  {nil, nil, fb, nf},
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
	_, err := o.Invite(owner, uuid.UUID{3: 3}, " Pending@Example.COM ", organizations.RoleMember, now)
	assertErr(t, err, organizations.ErrAlreadyInvited)
	_, err = o.Invite(owner, uuid.UUID{3: 3}, "not-an-email", organizations.RoleMember, now)
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("bad email accepted: %v", err)
	}
	inv, err := o.Invite(owner, uuid.UUID{3: 3}, "Fresh@Example.com", organizations.RoleMember, now)
	assertErr(t, err, nil)
	if inv.Email() != "fresh@example.com" || inv.InvitedBy() != owner {
		t.Fatalf("invitation = %+v", inv)
	}
	if ev, ok := o.PullEvents()[0].(organizations.InvitationCreated); !ok || ev.Email != "fresh@example.com" {
		t.Fatal("invitation.created not recorded")
	}
}

func TestAcceptInvitation_TurnsThePendingInvitationIntoAMembership(t *testing.T) {
	o := fixture(t, false)
	m, ok := o.AcceptInvitation(newbie, "PENDING@example.com", now.Add(time.Hour))
	if !ok || m.Role() != organizations.RoleAdmin || o.RoleOf(newbie) != organizations.RoleAdmin {
		t.Fatalf("accept = %+v %v", m, ok)
	}
	if len(o.Invitations()) != 0 {
		t.Fatal("invitation still pending")
	}
	ev := o.PullEvents()
	acc, isAcc := ev[0].(organizations.InvitationAccepted)
	if len(ev) != 1 || !isAcc || acc.Actor != newbie || acc.Role != organizations.RoleAdmin {
		t.Fatalf("events = %#v", ev)
	}
	if _, ok := o.AcceptInvitation(newbie, "pending@example.com", now); ok {
		t.Fatal("accepted twice")
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
	if !o.Deleted() || len(o.Members()) != 0 || len(o.Invitations()) != 0 {
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
