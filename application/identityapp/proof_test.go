package identityapp_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/identityport"
)

// proofListener records the proofs it is told about and answers each with
// effects, or fails with fail.
type proofListener struct {
	mu      sync.Mutex
	proofs  []identityport.EmailProof
	effects identityport.ProofEffects
	fail    error
}

func (l *proofListener) EmailProven(_ context.Context, p identityport.EmailProof) (identityport.ProofEffects, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.fail != nil {
		return identityport.ProofEffects{}, l.fail
	}
	l.proofs = append(l.proofs, p)
	return l.effects, nil
}

func (l *proofListener) last(t *testing.T) identityport.EmailProof {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.proofs) == 0 {
		t.Fatal("no proof was announced")
	}
	return l.proofs[len(l.proofs)-1]
}

var microsoftUnlinked = identityport.ProofEffects{
	Unlinked:        []identityport.UnlinkedIdentity{{Provider: "microsoft", DisplayName: "Microsoft"}},
	SessionsRevoked: 1,
}

func TestVerifyEmail_AnnouncesTheProofAndReportsTheIdentitiesUnlinked(t *testing.T) {
	f := newFixture(t)
	l := &proofListener{effects: microsoftUnlinked}
	f.svc.AddEmailProofListener(l)
	v := f.register(t, "ada@example.com", "UserPass123!")
	out := f.verifyToken(t, f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification))
	if want := (identityport.EmailProof{User: v.ID, Email: "ada@example.com", Via: "email_verification"}); l.last(t) != want {
		t.Fatalf("proof %+v, want %+v", l.last(t), want)
	}
	if !reflect.DeepEqual(out.Unlinked, microsoftUnlinked.Unlinked) || out.SessionsRevoked != 1 {
		t.Fatalf("result %+v", out)
	}
}

func TestUpdateProfile_AConfirmedEmailChangeProvesTheNewAddressKeepingTheRequester(t *testing.T) {
	f := newFixture(t)
	l := &proofListener{effects: microsoftUnlinked}
	f.svc.AddEmailProofListener(l)
	v := f.register(t, "ada@example.com", "UserPass123!")
	requester := f.login(t, "ada@example.com", "UserPass123!")
	email := "ada.new@example.com"
	if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(requester), identityport.UpdateProfileCommand{Email: &email, CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	f.sessions.revoked = 2
	out := f.verifyToken(t, f.mail.token(t, email, mail.TemplateEmailChangeConfirmation))
	want := identityport.EmailProof{User: v.ID, Email: email, Keep: requester.Session.Session.ID, Via: "email_change"}
	if l.last(t) != want {
		t.Fatalf("proof %+v, want %+v", l.last(t), want)
	}
	if !out.Changed || out.SessionsRevoked != 3 || len(out.Unlinked) != 1 {
		t.Fatalf("result %+v: the other sessions and the unlinked identity's count", out)
	}
}

func TestResetPassword_ProvesTheAddressAndReportsTheIdentitiesUnlinked(t *testing.T) {
	f := newFixture(t)
	l := &proofListener{effects: identityport.ProofEffects{Unlinked: microsoftUnlinked.Unlinked}}
	f.svc.AddEmailProofListener(l)
	u := f.addPasswordless(t, "ada@example.com")
	token := f.forgot(t, "ada@example.com")
	f.sessions.revoked = 2
	out, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: "Brand new pass 1"})
	if err != nil {
		t.Fatal(err)
	}
	if want := (identityport.EmailProof{User: u.ID(), Email: "ada@example.com", Via: "password_reset"}); l.last(t) != want {
		t.Fatalf("proof %+v, want %+v", l.last(t), want)
	}
	if out.SessionsRevoked != 2 || !reflect.DeepEqual(out.Unlinked, microsoftUnlinked.Unlinked) {
		t.Fatalf("result %+v", out)
	}
}

func TestMarkEmailVerified_AnOperatorsWordIsAProofToo(t *testing.T) {
	f := newFixture(t)
	l := &proofListener{}
	f.svc.AddEmailProofListener(l)
	u := f.addPasswordless(t, "ada@example.com")
	if err := f.svc.MarkEmailVerified(context.Background(), u.ID()); err != nil {
		t.Fatal(err)
	}
	if want := (identityport.EmailProof{User: u.ID(), Email: "ada@example.com", Via: "operator"}); l.last(t) != want {
		t.Fatalf("proof %+v, want %+v", l.last(t), want)
	}
}

func TestVerifyEmail_OnSQLiteAFailingProofListenerLeavesTheEmailUnverifiedAndTheLinkUsable(t *testing.T) {
	s := newSQLiteAccounts(t)
	l := &proofListener{fail: errors.New("identities could not be unlinked")}
	s.svc.AddEmailProofListener(l)
	v := s.register(t, "ada@example.com", "UserPass123!")
	token := s.mailToken(t, v.ID)
	if _, err := s.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token}); err == nil {
		t.Fatal("a failing listener must fail the verification")
	}
	if u, err := s.users.Get(context.Background(), v.ID); err != nil || u.EmailVerified() {
		t.Fatalf("the verification must roll back: %v", err)
	}
	l.fail = nil
	s.now = s.now.Add(time.Minute)
	if out, err := s.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token}); err != nil || out.UserID != v.ID {
		t.Fatalf("the link must still work: %+v, %v", out, err)
	}
	if l.last(t).User != v.ID {
		t.Fatal("the listener was not told")
	}
}
