package organizationsapp_test

import (
	"errors"
	"testing"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

func TestAcceptInvitation_AnUnverifiedEmailCanNeitherAcceptListNorDecline(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	// Whoever registered the invited address without proving it owns it.
	squatter := e.dir.AddUnverified("jane@example.com", "Not Jane")
	inv := e.invite(t, tm.owner.ID, tm.org.ID, "jane@example.com", "admin")

	wantForbidden := func(what string, err error) {
		t.Helper()
		var se *shared.Error
		if !errors.As(err, &se) || se.Kind() != shared.KindForbidden || se.Code() != "organizations.email_unverified" {
			t.Fatalf("%s: want 403 organizations.email_unverified, got %v", what, err)
		}
	}
	_, err := e.svc.AcceptInvitation(ctx, squatter.ID, inv.ID)
	wantForbidden("accept by id", err)
	_, err = e.svc.AcceptInvitationByToken(ctx, squatter.ID, e.notifier.token(t, inv.ID))
	wantForbidden("accept by token", err)
	_, err = e.svc.ListMyInvitations(ctx, squatter.ID, organizationsport.Page{Limit: 10})
	wantForbidden("list", err)
	wantForbidden("decline", e.svc.DeclineInvitation(ctx, squatter.ID, inv.ID))
	if _, err := e.svc.MemberRole(ctx, tm.org.ID, squatter.ID); err == nil {
		t.Fatal("an unverified invitee joined")
	}

	// Once the address is proven, the same invitation works.
	verified := squatter
	verified.EmailVerified = true
	e.dir.Put(verified)
	if _, err := e.svc.AcceptInvitation(ctx, verified.ID, inv.ID); err != nil {
		t.Fatalf("a verified invitee: %v", err)
	}
}
