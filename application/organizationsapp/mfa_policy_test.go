package organizationsapp_test

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// factors says which users have a second factor.
type factors map[shared.UserID]bool

func (f factors) HasFactor(_ context.Context, u shared.UserID) (bool, error) { return f[u], nil }

// vouching records what the policy asked and vouches for one method in
// one organization.
type vouching struct {
	org    shared.OrganizationID
	method string
	asked  int
}

func (v *vouching) VouchesMFA(_ context.Context, org shared.OrganizationID, m sessionsport.AuthMethod) (bool, error) {
	v.asked++
	return org == v.org && m.Name() == v.method, nil
}

func TestMFAPolicy_ACallersVouchedSessionMeetsItsOrganizationsPolicyAndAMachineCredentialIsNotAsked(t *testing.T) {
	e := newEnv(t)
	tm := newTeam(t, e)
	e.svc.SetFactorEnrolment(factors{tm.owner.ID: true})
	on := true
	_, err := e.svc.Update(ctx, organizationsport.UpdateCommand{Actor: tm.owner.ID, Organization: tm.org.ID, RequireMFA: &on})
	wantErr(t, err, nil)
	conn := "sso-oidc:" + uuid.NewString()
	v := &vouching{org: tm.org.ID, method: conn}
	e.svc.SetFederatedMFA(v)
	vouched, err := sessionsport.ParseAuthMethod(conn, []string{"fed", "mfa"})
	wantErr(t, err, nil)
	single, err := sessionsport.ParseAuthMethod(conn, []string{"fed"})
	wantErr(t, err, nil)
	as := func(user shared.UserID, m sessionsport.AuthMethod) context.Context {
		return sessionsport.WithCaller(ctx, sessionsport.Principal{UserID: user, SessionID: uuid.New(), Method: m})
	}

	// Without a caller, or with a session that is not multi-factor, the
	// member without a factor is refused, and the connection is not read.
	_, err = e.svc.MemberRole(ctx, tm.org.ID, tm.member.ID)
	wantErr(t, err, organizations.ErrMFAEnrolmentRequired)
	_, err = e.svc.MemberRole(as(tm.member.ID, single), tm.org.ID, tm.member.ID)
	wantErr(t, err, organizations.ErrMFAEnrolmentRequired)
	if v.asked != 0 {
		t.Fatalf("the connection was read %d times for a one-factor session", v.asked)
	}
	// The member's own vouched session passes.
	role, err := e.svc.MemberRole(as(tm.member.ID, vouched), tm.org.ID, tm.member.ID)
	if err != nil || role != "member" {
		t.Fatalf("vouched session: %q %v", role, err)
	}
	// Another user's session does not speak for the member.
	_, err = e.svc.MemberRole(as(tm.admin.ID, vouched), tm.org.ID, tm.member.ID)
	wantErr(t, err, organizations.ErrMFAEnrolmentRequired)
	// A machine credential on the member's authority is not asked.
	role, err = e.svc.CredentialRole(ctx, tm.org.ID, tm.member.ID)
	if err != nil || role != "member" {
		t.Fatalf("credential role: %q %v", role, err)
	}
	// A non-member still learns nothing, whatever the session.
	_, err = e.svc.CredentialRole(ctx, tm.org.ID, tm.outsider.ID)
	wantErr(t, err, organizations.ErrNotFound)
	_, err = e.svc.MemberRole(as(tm.outsider.ID, vouched), tm.org.ID, tm.outsider.ID)
	wantErr(t, err, organizations.ErrNotFound)
}
