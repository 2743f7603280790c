package organizationsapp_test

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

func TestAddMember_AnAccountHolderAndAnUnknownAddressGetTheSameAnswer(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	holder := e.dir.Add("Holder@Example.com", "Hol Der")
	known, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.admin.ID, Organization: tm.org.ID, Email: " HOLDER@example.com ", Role: "admin"})
	wantErr(t, err, nil)
	unknown, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.admin.ID, Organization: tm.org.ID, Email: "nobody@example.com", Role: "admin"})
	wantErr(t, err, nil)
	for _, v := range []organizationsport.InvitationView{known, unknown} {
		if v.Status != "pending" || v.ID == uuid.Nil || v.Role != "admin" || v.InvitedBy != tm.admin.ID || v.OrganizationID != tm.org.ID ||
			!v.ExpiresAt.Equal(v.InvitedAt.Add(ttl)) || v.OrganizationName != "" {
			t.Fatalf("view = %+v", v)
		}
	}
	// Apart from the address, the id and the times, the answers are equal.
	known.ID, unknown.ID, known.Email = uuid.Nil, uuid.Nil, unknown.Email
	known.InvitedAt, known.ExpiresAt = unknown.InvitedAt, unknown.ExpiresAt
	if !reflect.DeepEqual(known, unknown) {
		t.Fatalf("answers differ:\n%+v\n%+v", known, unknown)
	}
	if _, err := e.svc.MemberRole(ctx, tm.org.ID, holder.ID); !errors.Is(err, organizations.ErrNotFound) {
		t.Fatalf("an account holder became a member before accepting: %v", err)
	}
	ev := lastEvent(t, e.rec, organizationsapp.ActionInvitationCreated)
	if ev.Details["email"] != "nobody@example.com" || ev.TargetType != "invitation" || ev.ActorID != tm.admin.ID.String() || ev.Details["expires_at"] == nil {
		t.Fatalf("event = %+v", ev)
	}
	added := 0
	for _, a := range e.rec.Actions() {
		if a == organizationsapp.ActionMemberAdded {
			added++
		}
	}
	if added != 2 { // the team's admin and member, who accepted
		t.Fatalf("%d member.added records", added)
	}
}

func TestAddMember_RefusesAMembersAddressADuplicateBadInputAndAnAdminInvitingAnOwner(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	_, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: "MEMBER@example.com"})
	wantErr(t, err, organizations.ErrAlreadyMember)
	e.invite(t, tm.owner.ID, tm.org.ID, "future@example.com", "")
	_, err = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.admin.ID, Organization: tm.org.ID, Email: "future@EXAMPLE.com"})
	wantErr(t, err, organizations.ErrAlreadyInvited)
	_, err = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: "nope", Role: "boss"})
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || len(se.Fields()) != 2 {
		t.Fatalf("validation = %v", err)
	}
	_, err = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.admin.ID, Organization: tm.org.ID, Email: "x@example.com", Role: "owner"})
	wantErr(t, err, organizations.ErrOwnerRequired)
	_, err = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.member.ID, Organization: tm.org.ID, Email: "x@example.com"})
	wantErr(t, err, organizations.ErrForbidden)
}

func TestAddMember_IsRateLimitedPerInvitingUserAndPerClient(t *testing.T) {
	e := newEnv(t, func(d *organizationsapp.Deps) {
		d.Limits = organizationsapp.Limits{
			InvitePerUser:   platformport.Limit{Max: 3, Window: time.Hour},
			InvitePerClient: platformport.Limit{Max: 4, Window: time.Hour},
		}
	})
	tm := newTeam(t, e) // two invitations by the owner, from no known client
	other, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.outsider.ID, Name: "Other"})
	wantErr(t, err, nil)
	n := 0
	probe := func(actor shared.UserID, org shared.OrganizationID, ip string) error {
		n++
		c := shared.WithRequestMeta(ctx, shared.RequestMeta{ClientIP: ip})
		_, err := e.svc.AddMember(c, organizationsport.AddMemberCommand{Actor: actor, Organization: org, Email: fmt.Sprintf("probe-%d@example.com", n)})
		return err
	}
	limited := func(err error) {
		t.Helper()
		var se *shared.Error
		if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || se.Code() != "organizations.invitation_rate_limited" || se.RetryAfter() <= 0 {
			t.Fatalf("err = %v, want the invitation rate limit", err)
		}
	}
	const a, b = "203.0.113.1", "2001:db8::1"
	wantErr(t, probe(tm.owner.ID, tm.org.ID, a), nil)
	limited(probe(tm.owner.ID, tm.org.ID, b)) // the owner's fourth
	wantErr(t, probe(tm.admin.ID, tm.org.ID, a), nil)
	wantErr(t, probe(tm.admin.ID, tm.org.ID, a), nil)
	wantErr(t, probe(tm.outsider.ID, other.ID, a), nil)
	limited(probe(tm.outsider.ID, other.ID, a))                     // the client's fifth
	wantErr(t, probe(tm.outsider.ID, other.ID, "2001:db8::2"), nil) // a second client
	limited(probe(tm.outsider.ID, other.ID, b))                     // the outsider's fourth

	if n := e.meter.count("rate_limited/invitation"); n != 3 {
		t.Fatalf("%d refusals counted, want 3", n)
	}
	for org, want := range map[shared.OrganizationID]int{tm.org.ID: 3, other.ID: 2} {
		actor := tm.owner.ID
		if org == other.ID {
			actor = tm.outsider.ID
		}
		page, err := e.svc.ListInvitations(ctx, actor, org, organizationsport.Page{Limit: 100})
		wantErr(t, err, nil)
		if len(page.Items) != want {
			t.Fatalf("%d invitations stored in %s, want %d", len(page.Items), org, want)
		}
	}
}

func TestAddMember_ALimiterThatCannotAnswerRefusesWithUnavailable(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	e.limiter.fail = errors.New("limiter down")
	_, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: "x@example.com"})
	if shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("err = %v", err)
	}
}

func TestAddMember_TheNotifierGetsTheTokenInTheTransactionAndItsFailureRollsBack(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	v := e.invite(t, tm.owner.ID, tm.org.ID, "told@example.com", "admin")
	n := e.notifier.notices[len(e.notifier.notices)-1]
	if n.Invitation != v.ID || n.Email != "told@example.com" || n.OrganizationName != "Acme Corp" || n.Role != "admin" ||
		n.InvitedBy != tm.owner.ID || !n.ExpiresAt.Equal(v.ExpiresAt) || len(n.Token) < 43 {
		t.Fatalf("notice = %+v", n)
	}
	rec, err := e.store.FindInvitation(ctx, v.ID)
	wantErr(t, err, nil)
	if string(rec.Invitation.TokenHash().Bytes()) == n.Token {
		t.Fatal("the token is stored in clear")
	}
	e.notifier.fail = errors.New("outbox down")
	_, err = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: "lost@example.com"})
	if err == nil {
		t.Fatal("an invitation whose notice failed was kept")
	}
	page, err := e.svc.ListInvitations(ctx, tm.owner.ID, tm.org.ID, organizationsport.Page{})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("invitations after the failed notice: %+v %v", page.Items, err)
	}
	e.notifier.fail = nil
	if _, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: "lost@example.com"}); err != nil {
		t.Fatalf("the rolled-back invitation still blocks the address: %v", err)
	}
}

func TestAcceptInvitation_OnlyTheInviteeJoinsByIDOrByToken(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	jane := e.dir.Add("jane@example.com", "Jane")
	byID := e.invite(t, tm.owner.ID, tm.org.ID, "Jane@Example.com", "admin")

	// Someone else, signed in, cannot use it: it looks unknown.
	for _, u := range []shared.UserID{tm.outsider.ID, tm.member.ID} {
		_, err := e.svc.AcceptInvitation(ctx, u, byID.ID)
		wantErr(t, err, organizations.ErrInvitationNotFound)
		wantErr(t, e.svc.DeclineInvitation(ctx, u, byID.ID), organizations.ErrInvitationNotFound)
		_, err = e.svc.AcceptInvitationByToken(ctx, u, e.notifier.token(t, byID.ID))
		wantErr(t, err, organizations.ErrInvitationNotFound)
	}
	_, err := e.svc.AcceptInvitation(ctx, jane.ID, uuid.New())
	wantErr(t, err, organizations.ErrInvitationNotFound)

	v, err := e.svc.AcceptInvitation(ctx, jane.ID, byID.ID)
	wantErr(t, err, nil)
	if v.ID != tm.org.ID || v.Role != "admin" || v.Name != "Acme Corp" || v.JoinedAt.IsZero() {
		t.Fatalf("view = %+v", v)
	}
	if role, err := e.svc.MemberRole(ctx, tm.org.ID, jane.ID); err != nil || role != "admin" {
		t.Fatalf("role = %q, %v", role, err)
	}
	acc := lastEvent(t, e.rec, organizationsapp.ActionInvitationAccepted)
	added := lastEvent(t, e.rec, organizationsapp.ActionMemberAdded)
	if acc.ActorID != jane.ID.String() || acc.TargetID != byID.ID.String() || acc.Details["user_id"] != jane.ID.String() ||
		added.TargetID != jane.ID.String() || added.Details["invitation_id"] != byID.ID.String() || added.Details["role"] != "admin" {
		t.Fatalf("events = %+v %+v", acc, added)
	}

	other, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.outsider.ID, Name: "Other"})
	wantErr(t, err, nil)
	byToken := e.invite(t, tm.outsider.ID, other.ID, "jane@example.com", "")
	for _, bad := range []string{"", "x", "not-a-token-at-all-but-long-enough-to-look-like-one-0000", string(make([]byte, 4096))} {
		_, err := e.svc.AcceptInvitationByToken(ctx, jane.ID, bad)
		wantErr(t, err, organizations.ErrInvitationNotFound)
	}
	v, err = e.svc.AcceptInvitationByToken(ctx, jane.ID, e.notifier.token(t, byToken.ID))
	wantErr(t, err, nil)
	if v.ID != other.ID || v.Role != "member" {
		t.Fatalf("view = %+v", v)
	}
}

func TestAcceptInvitation_AClosedInvitationAnswersWithItsState(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	u := e.dir.Add("u@example.com", "U")
	accepted := e.invite(t, tm.owner.ID, tm.org.ID, u.Email, "")
	_, err := e.svc.AcceptInvitation(ctx, u.ID, accepted.ID)
	wantErr(t, err, nil)
	_, err = e.svc.AcceptInvitation(ctx, u.ID, accepted.ID)
	wantErr(t, err, organizations.ErrInvitationAccepted)
	_, err = e.svc.AcceptInvitationByToken(ctx, u.ID, e.notifier.token(t, accepted.ID))
	wantErr(t, err, organizations.ErrInvitationAccepted)
	wantErr(t, e.svc.DeclineInvitation(ctx, u.ID, accepted.ID), organizations.ErrInvitationAccepted)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.owner.ID, tm.org.ID, accepted.ID), organizations.ErrInvitationAccepted)

	w := e.dir.Add("w@example.com", "W")
	declined := e.invite(t, tm.owner.ID, tm.org.ID, w.Email, "")
	wantErr(t, e.svc.DeclineInvitation(ctx, w.ID, declined.ID), nil)
	if ev := lastEvent(t, e.rec, organizationsapp.ActionInvitationDeclined); ev.ActorID != w.ID.String() || ev.TargetID != declined.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	_, err = e.svc.AcceptInvitation(ctx, w.ID, declined.ID)
	wantErr(t, err, organizations.ErrInvitationDeclined)
	if _, err := e.svc.MemberRole(ctx, tm.org.ID, w.ID); !errors.Is(err, organizations.ErrNotFound) {
		t.Fatal("declining made a membership")
	}

	cancelled := e.invite(t, tm.owner.ID, tm.org.ID, w.Email, "")
	wantErr(t, e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, cancelled.ID), nil)
	_, err = e.svc.AcceptInvitationByToken(ctx, w.ID, e.notifier.token(t, cancelled.ID))
	wantErr(t, err, organizations.ErrInvitationCancelled)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, cancelled.ID), organizations.ErrInvitationCancelled)
}

func TestAcceptInvitation_AnExpiredInvitationIsRefusedAndItsExpiryAuditedOnce(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	u := e.dir.Add("late@example.com", "Late")
	inv := e.invite(t, tm.owner.ID, tm.org.ID, u.Email, "")
	e.clock.advance(ttl)
	_, err := e.svc.AcceptInvitation(ctx, u.ID, inv.ID)
	wantErr(t, err, organizations.ErrInvitationExpired)
	ev := lastEvent(t, e.rec, organizationsapp.ActionInvitationExpired)
	if ev.ActorType != "system" || ev.TargetID != inv.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	wantErr(t, e.svc.DeclineInvitation(ctx, u.ID, inv.ID), organizations.ErrInvitationExpired)
	_, err = e.svc.AcceptInvitationByToken(ctx, u.ID, e.notifier.token(t, inv.ID))
	wantErr(t, err, organizations.ErrInvitationExpired)
	n := 0
	for _, a := range e.rec.Actions() {
		if a == organizationsapp.ActionInvitationExpired {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d expiry records", n)
	}
	if _, err := e.svc.MemberRole(ctx, tm.org.ID, u.ID); !errors.Is(err, organizations.ErrNotFound) {
		t.Fatal("an expired invitation made a membership")
	}
	// A new invitation of the address works.
	again := e.invite(t, tm.owner.ID, tm.org.ID, u.Email, "")
	_, err = e.svc.AcceptInvitation(ctx, u.ID, again.ID)
	wantErr(t, err, nil)
}

func TestAcceptInvitation_AuditFailureRollsTheMembershipBack(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	u := e.dir.Add("f@example.com", "F")
	inv := e.invite(t, tm.owner.ID, tm.org.ID, u.Email, "")
	e.rec.Fail = errors.New("down")
	if _, err := e.svc.AcceptInvitation(ctx, u.ID, inv.ID); err == nil {
		t.Fatal("acceptance succeeded without its audit record")
	}
	e.rec.Fail = nil
	if _, err := e.svc.MemberRole(ctx, tm.org.ID, u.ID); !errors.Is(err, organizations.ErrNotFound) {
		t.Fatal("membership kept although its audit record failed")
	}
	if rec, err := e.store.FindInvitation(ctx, inv.ID); err != nil || rec.Invitation.Status() != organizations.StatusPending {
		t.Fatalf("invitation consumed although the acceptance failed: %+v %v", rec, err)
	}
}

func TestAcceptInvitation_AnOwnerInvitationNeedsItsSenderStillAnOwner(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	second := e.dir.Add("second@example.com", "Second")
	e.join(t, tm.owner.ID, tm.org.ID, second, "owner")
	boss := e.dir.Add("boss@example.com", "Boss")
	inv := e.invite(t, second.ID, tm.org.ID, boss.Email, "owner")
	_, err := e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.owner.ID, Organization: tm.org.ID, User: second.ID, Role: "admin"})
	wantErr(t, err, nil)
	_, err = e.svc.AcceptInvitation(ctx, boss.ID, inv.ID)
	wantErr(t, err, organizations.ErrInviterNotAllowed)
	if owners := ownersOf(t, e, tm); owners != 1 {
		t.Fatalf("%d owners", owners)
	}
}

func ownersOf(t *testing.T, e *env, tm team) int {
	t.Helper()
	page, err := e.svc.ListMembers(ctx, tm.owner.ID, tm.org.ID, organizationsport.Page{Limit: 100})
	wantErr(t, err, nil)
	n := 0
	for _, m := range page.Items {
		if m.Role == "owner" {
			n++
		}
	}
	return n
}

func TestCancelInvitation_OwnersAndAdminsButAnOwnerInvitationOnlyOwners(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	owners := e.invite(t, tm.owner.ID, tm.org.ID, "boss@example.com", "owner")
	admins := e.invite(t, tm.admin.ID, tm.org.ID, "helper@example.com", "admin")
	wantErr(t, e.svc.CancelInvitation(ctx, tm.member.ID, tm.org.ID, admins.ID), organizations.ErrForbidden)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.outsider.ID, tm.org.ID, admins.ID), organizations.ErrNotFound)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, owners.ID), organizations.ErrOwnerRequired)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, uuid.New()), organizations.ErrInvitationNotFound)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, admins.ID), nil)
	wantErr(t, e.svc.CancelInvitation(ctx, tm.owner.ID, tm.org.ID, owners.ID), nil)
	if ev := lastEvent(t, e.rec, organizationsapp.ActionInvitationCancelled); ev.ActorID != tm.owner.ID.String() || ev.TargetID != owners.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	// An invitation of another organization is unknown here.
	other, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.owner.ID, Name: "Other"})
	wantErr(t, err, nil)
	elsewhere := e.invite(t, tm.owner.ID, other.ID, "x@example.com", "")
	wantErr(t, e.svc.CancelInvitation(ctx, tm.owner.ID, tm.org.ID, elsewhere.ID), organizations.ErrInvitationNotFound)
}

func TestListInvitations_OwnersAndAdminsSeeOpenInvitationsInPages(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	var want []uuid.UUID
	for i := 0; i < 5; i++ {
		want = append(want, e.invite(t, tm.owner.ID, tm.org.ID, fmt.Sprintf("p%d@example.com", i), "").ID)
	}
	wantErr(t, e.svc.CancelInvitation(ctx, tm.owner.ID, tm.org.ID, want[4]), nil)
	want = want[:4]
	for _, who := range []shared.UserID{tm.owner.ID, tm.admin.ID} {
		var got []uuid.UUID
		cursor := ""
		for pages := 0; pages < 10; pages++ {
			page, err := e.svc.ListInvitations(ctx, who, tm.org.ID, organizationsport.Page{Limit: 3, Cursor: cursor})
			wantErr(t, err, nil)
			for _, v := range page.Items {
				if v.Status != "pending" || v.OrganizationID != tm.org.ID || v.InvitedBy != tm.owner.ID || v.OrganizationName != "Acme Corp" {
					t.Fatalf("item = %+v", v)
				}
				got = append(got, v.ID)
			}
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("listed %v, want %v", got, want)
		}
	}
	_, err := e.svc.ListInvitations(ctx, tm.member.ID, tm.org.ID, organizationsport.Page{})
	wantErr(t, err, organizations.ErrForbidden)
	_, err = e.svc.ListInvitations(ctx, tm.outsider.ID, tm.org.ID, organizationsport.Page{})
	wantErr(t, err, organizations.ErrNotFound)
	members, _ := e.svc.ListMembers(ctx, tm.owner.ID, tm.org.ID, organizationsport.Page{Limit: 1})
	_, err = e.svc.ListInvitations(ctx, tm.owner.ID, tm.org.ID, organizationsport.Page{Cursor: members.NextCursor})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("cursor of another list accepted: %v", err)
	}
	e.clock.advance(ttl)
	page, err := e.svc.ListInvitations(ctx, tm.owner.ID, tm.org.ID, organizationsport.Page{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("expired invitations listed: %+v %v", page.Items, err)
	}
}

func TestListMyInvitations_TheCallersOpenInvitationsWithTheirOrganization(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	jane := e.dir.Add("Jane@Example.com", "Jane")
	first := e.invite(t, tm.owner.ID, tm.org.ID, "jane@example.com", "admin")
	other, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.outsider.ID, Name: "Other Co"})
	wantErr(t, err, nil)
	second := e.invite(t, tm.outsider.ID, other.ID, "JANE@example.com", "")
	e.invite(t, tm.admin.ID, tm.org.ID, "someone@example.com", "")

	page, err := e.svc.ListMyInvitations(ctx, jane.ID, organizationsport.Page{Limit: 1})
	wantErr(t, err, nil)
	if len(page.Items) != 1 || page.Items[0].ID != first.ID || page.Items[0].OrganizationName != "Acme Corp" ||
		page.Items[0].OrganizationID != tm.org.ID || page.Items[0].Role != "admin" || page.NextCursor == "" {
		t.Fatalf("first page = %+v", page)
	}
	page, err = e.svc.ListMyInvitations(ctx, jane.ID, organizationsport.Page{Limit: 1, Cursor: page.NextCursor})
	wantErr(t, err, nil)
	if len(page.Items) != 1 || page.Items[0].ID != second.ID || page.Items[0].OrganizationName != "Other Co" {
		t.Fatalf("second page = %+v", page)
	}
	_, err = e.svc.AcceptInvitation(ctx, jane.ID, first.ID)
	wantErr(t, err, nil)
	page, err = e.svc.ListMyInvitations(ctx, jane.ID, organizationsport.Page{})
	if err != nil || len(page.Items) != 1 || page.Items[0].ID != second.ID {
		t.Fatalf("after accepting: %+v %v", page, err)
	}
	if page, _ := e.svc.ListMyInvitations(ctx, tm.member.ID, organizationsport.Page{}); len(page.Items) != 0 {
		t.Fatalf("someone else's invitations listed: %+v", page.Items)
	}
	e.clock.advance(ttl)
	if page, _ := e.svc.ListMyInvitations(ctx, jane.ID, organizationsport.Page{}); len(page.Items) != 0 {
		t.Fatalf("expired invitations listed: %+v", page.Items)
	}
}
