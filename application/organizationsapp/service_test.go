package organizationsapp_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
)

var ctx = context.Background()

func strp(s string) *string { return &s }

// team is an organization with one user in each role.
type team struct {
	org                  organizationsport.OrganizationView
	owner, admin, member identityport.UserSummary
	outsider             identityport.UserSummary
}

func newTeam(t *testing.T, e *env) team {
	t.Helper()
	tm := team{
		owner: e.dir.Add("owner@example.com", "Olive Owner"), admin: e.dir.Add("admin@example.com", "Adam Admin"),
		member: e.dir.Add("member@example.com", "Mia Member"), outsider: e.dir.Add("out@example.com", "Otto Outsider"),
	}
	var err error
	tm.org, err = e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.owner.ID, Name: "Acme Corp"})
	wantErr(t, err, nil)
	e.join(t, tm.owner.ID, tm.org.ID, tm.admin, "admin")
	e.join(t, tm.owner.ID, tm.org.ID, tm.member, "")
	return tm
}

func TestCreate_CreatorBecomesOwnerAndCreationIsAudited(t *testing.T) {
	e := newEnv(t)
	u := e.dir.Add("a@example.com", "A")
	v, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: " Acme Corp "})
	wantErr(t, err, nil)
	if v.Name != "Acme Corp" || v.Slug != "acme-corp" || v.Role != "owner" || v.CreatedAt.IsZero() {
		t.Fatalf("view = %+v", v)
	}
	ev := lastEvent(t, e.rec, organizationsapp.ActionCreated)
	if ev.OrganizationID != v.ID.String() || ev.ActorID != u.ID.String() || ev.ActorType != "user" || ev.Details["slug"] != "acme-corp" {
		t.Fatalf("event = %+v", ev)
	}
	role, err := e.svc.MemberRole(ctx, v.ID, u.ID)
	if err != nil || role != "owner" {
		t.Fatalf("MemberRole = %q, %v", role, err)
	}
}

func TestCreate_DerivedSlugCollisionGetsASuffixButAnExplicitOneIsAConflict(t *testing.T) {
	e := newEnv(t)
	u := e.dir.Add("a@example.com", "A")
	first, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "Acme"})
	wantErr(t, err, nil)
	second, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "ACME"})
	wantErr(t, err, nil)
	if first.Slug != "acme" || len(second.Slug) != len("acme-")+6 || second.Slug[:5] != "acme-" {
		t.Fatalf("slugs %q, %q", first.Slug, second.Slug)
	}
	_, err = e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "Other", Slug: strp("Acme")})
	wantErr(t, err, organizations.ErrSlugTaken)
	_, err = e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "Other", Slug: strp("not valid!")})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("invalid slug: %v", err)
	}
	_, err = e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "  "})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("blank name: %v", err)
	}
}

func TestCreate_AuditFailureRollsTheOrganizationBack(t *testing.T) {
	e := newEnv(t)
	u := e.dir.Add("a@example.com", "A")
	e.rec.Fail = errors.New("audit store down")
	_, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: u.ID, Name: "Acme"})
	if err == nil {
		t.Fatal("create succeeded without its audit record")
	}
	page, err := e.svc.ListMine(ctx, u.ID, organizationsport.Page{})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("organization survived the rollback: %+v %v", page, err)
	}
}

func TestNonMember_GetsNotFoundOnEveryUseCase(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	out, org := tm.outsider.ID, tm.org.ID
	unknown := shared.OrganizationID(uuid.New())
	for _, id := range []shared.OrganizationID{org, unknown} {
		calls := map[string]error{}
		_, calls["get"] = e.svc.Get(ctx, out, id)
		_, calls["update"] = e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: out, Organization: id, Name: strp("x")})
		calls["delete"] = e.svc.Delete(ctx, out, id)
		_, calls["list members"] = e.svc.ListMembers(ctx, out, id, organizationsport.Page{})
		_, calls["add member"] = e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: out, Organization: id, Email: "x@example.com"})
		calls["remove member"] = e.svc.RemoveMember(ctx, out, id, tm.member.ID)
		_, calls["change role"] = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: out, Organization: id, User: tm.member.ID, Role: "admin"})
		_, calls["member role"] = e.svc.MemberRole(ctx, id, out)
		_, calls["list invitations"] = e.svc.ListInvitations(ctx, out, id, organizationsport.Page{})
		calls["cancel invitation"] = e.svc.CancelInvitation(ctx, out, id, uuid.New())
		for name, err := range calls {
			if !errors.Is(err, organizations.ErrNotFound) {
				t.Errorf("%s on %s: %v", name, id, err)
			}
		}
	}
}

func TestUpdate_AuditsTheChangedFields(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	v, err := e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: tm.admin.ID, Organization: tm.org.ID, Name: strp("Acme Inc"), Slug: strp("acme-inc")})
	wantErr(t, err, nil)
	if v.Name != "Acme Inc" || v.Slug != "acme-inc" || v.Role != "admin" || !v.UpdatedAt.After(v.CreatedAt) {
		t.Fatalf("view = %+v", v)
	}
	ev := lastEvent(t, e.rec, organizationsapp.ActionUpdated)
	if fmt.Sprint(ev.Details["fields"]) != "[name slug]" || ev.OrganizationID != tm.org.ID.String() {
		t.Fatalf("details = %+v", ev.Details)
	}
	_, err = e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: tm.member.ID, Organization: tm.org.ID, Name: strp("x")})
	wantErr(t, err, organizations.ErrForbidden)
}

func TestUpdate_TakenSlugIsAConflict(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	_, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.owner.ID, Name: "Taken", Slug: strp("taken")})
	wantErr(t, err, nil)
	_, err = e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Slug: strp("TAKEN")})
	wantErr(t, err, organizations.ErrSlugTaken)
}

func TestDelete_OwnerOnlyAndTheOrganizationIsGoneForEveryone(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	later := e.invite(t, tm.owner.ID, tm.org.ID, "later@example.com", "")
	wantErr(t, e.svc.Delete(ctx, tm.admin.ID, tm.org.ID), organizations.ErrForbidden)
	wantErr(t, e.svc.Delete(ctx, tm.owner.ID, tm.org.ID), nil)
	if ev := lastEvent(t, e.rec, organizationsapp.ActionDeleted); ev.OrganizationID != tm.org.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	_, err := e.svc.Get(ctx, tm.owner.ID, tm.org.ID)
	wantErr(t, err, organizations.ErrNotFound)
	for _, u := range []identityport.UserSummary{tm.owner, tm.admin, tm.member} {
		page, err := e.svc.ListMine(ctx, u.ID, organizationsport.Page{})
		if err != nil || len(page.Items) != 0 {
			t.Fatalf("%s still lists it: %+v", u.Email, page)
		}
	}
	if _, err := e.store.FindInvitation(ctx, later.ID); !errors.Is(err, organizations.ErrInvitationNotFound) {
		t.Fatalf("pending invitation survived the deletion: %v", err)
	}
	u := e.dir.Add("later@example.com", "Later")
	_, err = e.svc.AcceptInvitation(ctx, u.ID, later.ID)
	wantErr(t, err, organizations.ErrInvitationNotFound)
}

func TestRemoveMember_AuditsSelfLeaveAndRemoval(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	wantErr(t, e.svc.RemoveMember(ctx, tm.member.ID, tm.org.ID, tm.admin.ID), organizations.ErrForbidden)
	wantErr(t, e.svc.RemoveMember(ctx, tm.member.ID, tm.org.ID, tm.member.ID), nil)
	if ev := lastEvent(t, e.rec, organizationsapp.ActionMemberRemoved); ev.Details["reason"] != "self-leave" || ev.TargetID != tm.member.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	wantErr(t, e.svc.RemoveMember(ctx, tm.owner.ID, tm.org.ID, tm.admin.ID), nil)
	if ev := lastEvent(t, e.rec, organizationsapp.ActionMemberRemoved); ev.Details["reason"] != "removed" || ev.ActorID != tm.owner.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	wantErr(t, e.svc.RemoveMember(ctx, tm.owner.ID, tm.org.ID, tm.owner.ID), organizations.ErrLastOwner)
	_, err := e.svc.Get(ctx, tm.member.ID, tm.org.ID)
	wantErr(t, err, organizations.ErrNotFound)
}

func TestChangeRole_AuditsFromAndToAndKeepsTheLastOwner(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	v, err := e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.admin.ID, Organization: tm.org.ID, User: tm.member.ID, Role: "admin"})
	wantErr(t, err, nil)
	if v.Role != "admin" || v.Email != tm.member.Email || v.Status != "active" {
		t.Fatalf("view = %+v", v)
	}
	ev := lastEvent(t, e.rec, organizationsapp.ActionMemberRoleChanged)
	if ev.Details["from"] != "member" || ev.Details["to"] != "admin" || ev.OrganizationID != tm.org.ID.String() {
		t.Fatalf("event = %+v", ev)
	}
	_, err = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.owner.ID, Organization: tm.org.ID, User: tm.owner.ID, Role: "admin"})
	wantErr(t, err, organizations.ErrLastOwner)
	_, err = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.admin.ID, Organization: tm.org.ID, User: tm.member.ID, Role: "owner"})
	wantErr(t, err, organizations.ErrOwnerRequired)
	_, err = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.owner.ID, Organization: tm.org.ID, User: tm.member.ID, Role: "boss"})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("unknown role: %v", err)
	}
}

func TestListMembers_PagesThroughActiveMembersOnly(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	e.invite(t, tm.owner.ID, tm.org.ID, "pending@example.com", "")
	for _, limit := range []int{1, 2, 3, 4} {
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatalf("limit %d: pagination does not end", limit)
			}
			page, err := e.svc.ListMembers(ctx, tm.member.ID, tm.org.ID, organizationsport.Page{Limit: limit, Cursor: cursor})
			wantErr(t, err, nil)
			if len(page.Items) > limit {
				t.Fatalf("limit %d: page of %d", limit, len(page.Items))
			}
			for _, m := range page.Items {
				got = append(got, m.Status+":"+m.Email)
			}
			if page.NextCursor == "" {
				break
			}
			cursor = page.NextCursor
		}
		want := []string{"active:owner@example.com", "active:admin@example.com", "active:member@example.com"}
		if !slices.Equal(got, want) {
			t.Fatalf("limit %d: got %v", limit, got)
		}
	}
	_, err := e.svc.ListMembers(ctx, tm.member.ID, tm.org.ID, organizationsport.Page{Cursor: "!!not-a-cursor"})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("bad cursor: %v", err)
	}
	page, _ := e.svc.ListMine(ctx, tm.owner.ID, organizationsport.Page{Limit: 1})
	_, err = e.svc.ListMembers(ctx, tm.member.ID, tm.org.ID, organizationsport.Page{Cursor: page.NextCursor})
	if page.NextCursor != "" && shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("cursor of another list accepted: %v", err)
	}
}

func TestListMine_ReturnsEachOrganizationWithTheCallersRoleInPages(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	other, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.admin.ID, Name: "Side Project"})
	wantErr(t, err, nil)
	page, err := e.svc.ListMine(ctx, tm.admin.ID, organizationsport.Page{Limit: 1})
	wantErr(t, err, nil)
	if len(page.Items) != 1 || page.Items[0].ID != tm.org.ID || page.Items[0].Role != "admin" || page.NextCursor == "" {
		t.Fatalf("first page = %+v", page)
	}
	page, err = e.svc.ListMine(ctx, tm.admin.ID, organizationsport.Page{Limit: 1, Cursor: page.NextCursor})
	wantErr(t, err, nil)
	if len(page.Items) != 1 || page.Items[0].ID != other.ID || page.Items[0].Role != "owner" {
		t.Fatalf("second page = %+v", page)
	}
	if page.NextCursor != "" {
		// The last full page may carry a cursor; the page after it is empty.
		last, err := e.svc.ListMine(ctx, tm.admin.ID, organizationsport.Page{Limit: 1, Cursor: page.NextCursor})
		if err != nil || len(last.Items) != 0 || last.NextCursor != "" {
			t.Fatalf("after the end: %+v %v", last, err)
		}
	}
	page, err = e.svc.ListMine(ctx, tm.outsider.ID, organizationsport.Page{Limit: 1000})
	if err != nil || len(page.Items) != 0 {
		t.Fatalf("outsider: %+v %v", page, err)
	}
}

func TestBeforeAccountDeletion(t *testing.T) {
	t.Run("the only owner of a team is refused and nothing changes", func(t *testing.T) {
		e := newEnv(t)
		tm := newTeam(t, e)
		solo, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.owner.ID, Name: "Solo"})
		wantErr(t, err, nil)
		err = e.svc.BeforeAccountDeletion(ctx, tm.owner.ID)
		wantErr(t, err, organizations.ErrSoleOwner)
		if _, err := e.svc.Get(ctx, tm.owner.ID, solo.ID); err != nil {
			t.Fatalf("solo organization deleted although the deletion was refused: %v", err)
		}
	})
	t.Run("solo organizations go, other memberships end", func(t *testing.T) {
		e := newEnv(t)
		tm := newTeam(t, e)
		solo, err := e.svc.Create(ctx, organizationsport.CreateCommand{Actor: tm.admin.ID, Name: "Solo"})
		wantErr(t, err, nil)
		wantErr(t, e.svc.BeforeAccountDeletion(ctx, tm.admin.ID), nil)
		_, err = e.svc.Get(ctx, tm.admin.ID, solo.ID)
		wantErr(t, err, organizations.ErrNotFound)
		_, err = e.svc.MemberRole(ctx, tm.org.ID, tm.admin.ID)
		wantErr(t, err, organizations.ErrNotFound)
		if ev := lastEvent(t, e.rec, organizationsapp.ActionMemberRemoved); ev.Details["reason"] != "account_deleted" {
			t.Fatalf("event = %+v", ev)
		}
		if ev := lastEvent(t, e.rec, organizationsapp.ActionDeleted); ev.OrganizationID != solo.ID.String() || ev.Details["reason"] != "account_deleted" {
			t.Fatalf("event = %+v", ev)
		}
	})
}

func TestEveryAuditEventCarriesTheOrganization(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	p := e.dir.Add("p@example.com", "P")
	inv := e.invite(t, tm.owner.ID, tm.org.ID, "p@example.com", "")
	_, _ = e.svc.AcceptInvitation(ctx, p.ID, inv.ID)
	declined := e.invite(t, tm.owner.ID, tm.org.ID, "q@example.com", "")
	_ = e.svc.DeclineInvitation(ctx, e.dir.Add("q@example.com", "Q").ID, declined.ID)
	cancelled := e.invite(t, tm.owner.ID, tm.org.ID, "r@example.com", "")
	_ = e.svc.CancelInvitation(ctx, tm.admin.ID, tm.org.ID, cancelled.ID)
	expiring := e.invite(t, tm.owner.ID, tm.org.ID, "s@example.com", "")
	e.clock.advance(ttl)
	_, _ = e.svc.AcceptInvitation(ctx, e.dir.Add("s@example.com", "S").ID, expiring.ID)
	_, _ = e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Name: strp("New")})
	_, _ = e.svc.ChangeRole(ctx, organizationsport.ChangeRoleCommand{Actor: tm.owner.ID, Organization: tm.org.ID, User: tm.member.ID, Role: "admin"})
	_ = e.svc.RemoveMember(ctx, tm.owner.ID, tm.org.ID, tm.member.ID)
	_ = e.svc.Delete(ctx, tm.owner.ID, tm.org.ID)
	joined := []string{"organization.invitation.created", "organization.invitation.accepted", "organization.member.added"}
	want := append([]string{"organization.created"}, joined...)
	want = append(want, joined...)
	want = append(want, joined...)
	want = append(want, "organization.invitation.created", "organization.invitation.declined",
		"organization.invitation.created", "organization.invitation.cancelled",
		"organization.invitation.created", "organization.invitation.expired",
		"organization.updated", "organization.member.role_changed", "organization.member.removed", "organization.deleted")
	if got := e.rec.Actions(); !slices.Equal(got, want) {
		t.Fatalf("actions = %v\nwant      %v", got, want)
	}
	for _, ev := range e.rec.Events() {
		if ev.OrganizationID != tm.org.ID.String() || ev.OccurredAt.IsZero() {
			t.Errorf("event %s lacks organization or time: %+v", ev.Action, ev)
		}
		wantActor := "user"
		if ev.Action == organizationsapp.ActionInvitationExpired {
			wantActor = "system"
		}
		if ev.ActorType != wantActor || (wantActor == "system") != (ev.ActorID == "") {
			t.Errorf("event %s has actor %s %q", ev.Action, ev.ActorType, ev.ActorID)
		}
		for k, v := range ev.Details {
			if s, ok := v.(string); ok && strings.Contains(s, e.notifier.token(t, inv.ID)) {
				t.Errorf("event %s holds the link token in %s", ev.Action, k)
			}
		}
	}
}
