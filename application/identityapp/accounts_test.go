package identityapp_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var se *shared.Error
	if !errors.As(err, &se) || se.Code() != code {
		t.Fatalf("want %s, got %v", code, err)
	}
}

// noTokenIn fails when an audit record carries a link token.
func noTokenIn(t *testing.T, f *fixture, secrets ...string) {
	t.Helper()
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	for _, e := range f.audit.events {
		for k, v := range e.Details {
			for _, s := range secrets {
				if s != "" && (strings.Contains(k, s) || strings.Contains(toString(v), s)) {
					t.Fatalf("audit record %s carries a link token in %s", e.Action, k)
				}
			}
		}
	}
}

func toString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return ""
}

func (f *fixture) stored(t *testing.T, id shared.UserID) *identity.User {
	t.Helper()
	u, err := f.store.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) verifyToken(t *testing.T, token string) identityport.EmailConfirmed {
	t.Helper()
	out, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return out
}

// addPasswordless stores an account without a password, as an external
// sign-in will create one.
func (f *fixture) addPasswordless(t *testing.T, email string) *identity.User {
	t.Helper()
	name, _ := identity.ParseName("No Password")
	u, err := identity.NewUser(shared.UserID(uuid.New()), mustEmail(t, email), name, identity.PasswordHash{}, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u
}

// sessionOf starts a session for u directly, as a sign-in other than the
// password would.
func (f *fixture) sessionOf(t *testing.T, u shared.UserID) sessionsport.Principal {
	t.Helper()
	method, err := sessionsport.ParseAuthMethod("social:github", []string{"ext"})
	if err != nil {
		t.Fatal(err)
	}
	s, err := f.sessions.Start(context.Background(), u, method)
	if err != nil {
		t.Fatal(err)
	}
	v := s.Session
	return sessionsport.Principal{UserID: u, SessionID: v.ID, ExpiresAt: v.ExpiresAt, Method: v.Method, AuthTime: v.AuthTime}
}

func TestRegister_MailsASingleUseVerificationLinkValidFor24Hours(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	mails := f.mail.to("ada@example.com", mail.TemplateEmailVerification)
	if len(mails) != 1 || len(f.mail.all()) != 1 {
		t.Fatalf("want one verification mail, got %d of %d", len(mails), len(f.mail.all()))
	}
	d := mails[0].Data.(mailport.EmailVerification)
	if d.Token == "" || d.Name != "Test User" || !d.ExpiresAt.Equal(t0.Add(24*time.Hour)) || !mails[0].DiscardAfter.Equal(d.ExpiresAt) {
		t.Fatalf("mail data %+v, discard after %v", d, mails[0].DiscardAfter)
	}
	stored, err := f.store.Tokens().Find(context.Background(), f.links.Hash(d.Token))
	if err != nil {
		t.Fatalf("the token must be stored by its hash: %v", err)
	}
	if stored.User() != v.ID || stored.Purpose() != identity.PurposeVerifyEmail || stored.Email().String() != "ada@example.com" {
		t.Fatalf("stored token %+v", stored.State())
	}
	noTokenIn(t, f, d.Token)
}

func TestRegister_AMailThatCannotBeQueuedRollsTheAccountBack(t *testing.T) {
	f := newFixture(t)
	f.mail.fail = shared.Unavailable("mail.down", "outbox unavailable")
	_, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: "ada@example.com", Password: "UserPass123!", Name: "Ada"})
	if shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("want the outbox's error, got %v", err)
	}
	if _, err := f.store.FindByEmail(context.Background(), mustEmail(t, "ada@example.com")); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("the account must not exist without its verification mail: %v", err)
	}
}

func TestVerifyEmail_VerifiesTheAccountOnceAndAuditsWithoutTheToken(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	token := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	f.now = t0.Add(time.Hour)
	out := f.verifyToken(t, token)
	if out.UserID != v.ID || out.Email != "ada@example.com" || out.Changed {
		t.Fatalf("result %+v", out)
	}
	u := f.stored(t, v.ID)
	if !u.EmailVerified() || !u.EmailVerifiedAt().Equal(f.now) {
		t.Fatal("the email must be verified at the time of the click")
	}
	me, err := f.svc.Me(context.Background(), sessionsport.Principal{UserID: v.ID})
	if err != nil || !me.EmailVerified || !me.EmailVerifiedAt.Equal(f.now) {
		t.Fatalf("Me = %+v, %v", me, err)
	}
	if ev := f.audit.last(t); ev.Action != "auth.email.verified" || ev.TargetID != v.ID.String() {
		t.Fatalf("audit %+v", ev)
	}
	_, err = f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token})
	if !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("a second use: want ErrTokenUsed, got %v", err)
	}
	noTokenIn(t, f, token)
}

func TestVerifyEmail_ForgedExpiredAndMalformedTokensAreRefusedWithStableCodes(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	token := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	tests := []struct {
		name  string
		token string
		at    time.Time
		code  string
	}{
		{"forged", "forged-token-that-was-never-issued", t0, "identity.token_invalid"},
		{"too long to be one", strings.Repeat("a", 300), t0, "identity.token_invalid"},
		{"empty", "", t0, "identity.invalid_input"},
		{"expired at the deadline", token, t0.Add(24 * time.Hour), "identity.token_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = tt.at
			_, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: tt.token})
			wantCode(t, err, tt.code)
			if f.stored(t, v.ID).EmailVerified() {
				t.Fatal("a refused token must not verify")
			}
		})
	}
	f.now = t0.Add(24*time.Hour - time.Second)
	f.verifyToken(t, token)
}

func TestVerifyEmail_RefusesAPasswordResetToken(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	if err := f.svc.ForgotPassword(ctxFrom("192.0.2.50"), identityport.ForgotPasswordCommand{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	f.svc.DrainPasswordResets(context.Background())
	reset := f.mail.token(t, "ada@example.com", mail.TemplatePasswordReset)
	_, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: reset})
	wantCode(t, err, "identity.token_invalid")
	if f.stored(t, v.ID).EmailVerified() {
		t.Fatal("a reset token must not verify through this door")
	}
	if _, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: reset, NewPassword: "Brand new pass 1"}); err != nil {
		t.Fatalf("the refused attempt must not spend the reset token: %v", err)
	}
}

func TestResendVerification_ReplacesTheEarlierLinkAndRefusesAVerifiedEmail(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	first := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	res := f.login(t, "ada@example.com", "UserPass123!")
	sent, err := f.svc.ResendVerification(ctxFrom("192.0.2.20"), principal(res))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Email != "ada@example.com" || !sent.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("sent %+v", sent)
	}
	second := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	if second == first {
		t.Fatal("a resend must mail a new token")
	}
	if ev := f.audit.last(t); ev.Action != "auth.email.verification_sent" || ev.Details["reason"] != "resend" {
		t.Fatalf("audit %+v", ev)
	}
	_, err = f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: first})
	wantCode(t, err, "identity.token_used")
	f.verifyToken(t, second)
	_, err = f.svc.ResendVerification(ctxFrom("192.0.2.20"), principal(res))
	wantCode(t, err, "identity.email_already_verified")
	if shared.KindOf(err) != shared.KindConflict {
		t.Fatalf("kind %v", shared.KindOf(err))
	}
}

func TestResendVerification_IsLimitedPerUserAndPerClient(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.VerificationResendPerUser = platformport.Limit{Max: 2, Window: time.Hour}
		d.Limits.VerificationResendPerClient = platformport.Limit{Max: 3, Window: time.Hour}
	})
	f.register(t, "ada@example.com", "UserPass123!")
	f.register(t, "bob@example.com", "UserPass123!")
	ada := f.login(t, "ada@example.com", "UserPass123!")
	bob := f.login(t, "bob@example.com", "UserPass123!")
	for i := 0; i < 2; i++ {
		if _, err := f.svc.ResendVerification(ctxFrom("203.0.113.5"), principal(ada)); err != nil {
			t.Fatal(err)
		}
	}
	mails := len(f.mail.all())
	wantRateLimited(t, func() error { _, err := f.svc.ResendVerification(ctxFrom("198.51.100.7"), principal(ada)); return err }(), "the user's third")
	if _, err := f.svc.ResendVerification(ctxFrom("203.0.113.5"), principal(bob)); err != nil {
		t.Fatal(err)
	}
	wantRateLimited(t, func() error { _, err := f.svc.ResendVerification(ctxFrom("203.0.113.5"), principal(bob)); return err }(), "the client's fourth")
	if len(f.mail.all()) != mails+1 {
		t.Fatal("refused requests must mail no one")
	}
}

// countingStore counts every call the use cases make on the repositories
// and the unit of work, to compare the work of two paths.
type countingStore struct {
	identityport.UserRepository
	tokens identityport.TokenRepository
	uow    platformport.UnitOfWork
	mu     sync.Mutex
	calls  int
}

func (c *countingStore) hit() {
	c.mu.Lock()
	c.calls++
	c.mu.Unlock()
}

func (c *countingStore) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

func (c *countingStore) Add(ctx context.Context, u *identity.User) error {
	c.hit()
	return c.UserRepository.Add(ctx, u)
}

func (c *countingStore) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	c.hit()
	return c.UserRepository.Get(ctx, id)
}

func (c *countingStore) FindByEmail(ctx context.Context, e identity.Email) (*identity.User, error) {
	c.hit()
	return c.UserRepository.FindByEmail(ctx, e)
}

func (c *countingStore) Update(ctx context.Context, id shared.UserID, fn func(*identity.User) error) (*identity.User, error) {
	c.hit()
	return c.UserRepository.Update(ctx, id, fn)
}

func (c *countingStore) Transaction(ctx context.Context, fn func(context.Context) error) error {
	c.hit()
	return c.uow.Transaction(ctx, fn)
}

func (c *countingStore) AfterCommit(ctx context.Context, f func(context.Context)) {
	c.hit()
	c.uow.AfterCommit(ctx, f)
}

type countingTokens struct {
	identityport.TokenRepository
	c *countingStore
}

func (t countingTokens) Add(ctx context.Context, tk *identity.Token) error {
	t.c.hit()
	return t.TokenRepository.Add(ctx, tk)
}

func (t countingTokens) Find(ctx context.Context, h identity.TokenHash) (*identity.Token, error) {
	t.c.hit()
	return t.TokenRepository.Find(ctx, h)
}

func TestForgotPassword_AnswersKnownAndUnknownAddressesAfterTheSameWork(t *testing.T) {
	var store *countingStore
	f := newFixture(t, func(d *identityapp.Deps) {
		store = &countingStore{UserRepository: d.Users, uow: d.UoW}
		d.Users, d.UoW, d.Tokens = store, store, countingTokens{d.Tokens, store}
	})
	f.register(t, "ada@example.com", "UserPass123!")
	work := func(email string) (calls, hashes, mails, audits int, err error) {
		c0, h0, m0, a0 := store.count(), f.hasher.work()+f.hasher.hashes, len(f.mail.all()), len(f.audit.actions())
		err = f.svc.ForgotPassword(ctxFrom("198.51.100.23"), identityport.ForgotPasswordCommand{Email: email})
		return store.count() - c0, f.hasher.work() + f.hasher.hashes - h0, len(f.mail.all()) - m0, len(f.audit.actions()) - a0, err
	}
	kc, kh, km, ka, kerr := work("ada@example.com")
	uc, uh, um, ua, uerr := work("nobody@example.com")
	if kerr != nil || uerr != nil {
		t.Fatalf("both must be accepted: %v, %v", kerr, uerr)
	}
	known, unknown := []int{kc, kh, km, ka}, []int{uc, uh, um, ua}
	if !reflect.DeepEqual(known, unknown) {
		t.Fatalf("store calls, hashes, mails, audit records: known %v, unknown %v", known, unknown)
	}
	if kc != 0 || km != 0 {
		t.Fatalf("the answer must not wait for the store or the outbox (calls %d, mails %d)", kc, km)
	}

	if n := f.svc.DrainPasswordResets(context.Background()); n != 2 {
		t.Fatalf("drained %d requests, want 2", n)
	}
	resets := f.mail.to("ada@example.com", mail.TemplatePasswordReset)
	if len(resets) != 1 || len(f.mail.to("nobody@example.com", mail.TemplatePasswordReset)) != 0 {
		t.Fatalf("the link goes to the known address only: %d", len(resets))
	}
	d := resets[0].Data.(mailport.PasswordReset)
	if !d.ExpiresAt.Equal(t0.Add(30*time.Minute)) || !resets[0].DiscardAfter.Equal(d.ExpiresAt) {
		t.Fatalf("reset mail %+v", d)
	}
	var requested []auditport.Event
	for _, e := range f.audit.events {
		if e.Action == "auth.password.reset_requested" {
			requested = append(requested, e)
		}
	}
	if len(requested) != 2 || requested[0].TargetID == "" || requested[1].TargetID != "" || requested[1].Details["account"] == nil {
		t.Fatalf("reset requests audited %+v", requested)
	}
	noTokenIn(t, f, d.Token, "nobody@example.com")
}

func TestForgotPassword_IsLimitedPerClientAndPerAccountAlikeForUnknownAddresses(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.PasswordForgotPerAccount = platformport.Limit{Max: 2, Window: time.Hour}
		d.Limits.PasswordForgotPerClient = platformport.Limit{Max: 4, Window: time.Hour}
	})
	f.register(t, "ada@example.com", "UserPass123!")
	for _, email := range []string{"ada@example.com", "nobody@example.com"} {
		for i := 0; i < 2; i++ {
			if err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: email}); err != nil {
				t.Fatal(err)
			}
		}
		err := f.svc.ForgotPassword(ctxFrom("203.0.113.1"), identityport.ForgotPasswordCommand{Email: email})
		wantRateLimited(t, err, "the account's third, from another client, for "+email)
	}
	err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: "third@example.com"})
	wantRateLimited(t, err, "the client's fifth")
	if n := f.svc.DrainPasswordResets(context.Background()); n != 4 {
		t.Fatalf("only accepted requests are queued: %d", n)
	}
}

func TestForgotPassword_RefusesAnInvalidAddressAndAFullQueue(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) { d.ResetQueue = 1 })
	err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: "not an address"})
	if got := fieldsOf(t, err); len(got["email"]) == 0 {
		t.Fatalf("fields %v", got)
	}
	if err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: "a@example.com"}); err != nil {
		t.Fatal(err)
	}
	err = f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: "b@example.com"})
	if shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("a full queue: want 503, got %v", err)
	}
}

func TestRunPasswordResets_HandlesRequestsUntilStoppedAndDrainsWhatIsLeft(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.svc.RunPasswordResets(ctx) }()
	if err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: "ada@example.com"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.mail.to("ada@example.com", mail.TemplatePasswordReset)) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the background step never mailed the link")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) forgot(t *testing.T, email string) string {
	t.Helper()
	if err := f.svc.ForgotPassword(ctxFrom("198.51.100.1"), identityport.ForgotPasswordCommand{Email: email}); err != nil {
		t.Fatal(err)
	}
	f.svc.DrainPasswordResets(context.Background())
	return f.mail.token(t, email, mail.TemplatePasswordReset)
}

func TestResetPassword_SetsThePasswordVerifiesTheEmailAndEndsEverySession(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	f.login(t, "ada@example.com", "UserPass123!")
	token := f.forgot(t, "ada@example.com")
	f.sessions.revoked = 3
	f.now = t0.Add(10 * time.Minute)
	out, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: "Brand new pass 1"})
	if err != nil {
		t.Fatal(err)
	}
	if out.SessionsRevoked != 3 {
		t.Fatalf("result %+v", out)
	}
	want := []revokeCall{{User: v.ID, Keep: uuid.Nil, Reason: "password_reset"}}
	if !reflect.DeepEqual(f.sessions.revokes, want) {
		t.Fatalf("revokes %+v, want %+v", f.sessions.revokes, want)
	}
	u := f.stored(t, v.ID)
	if !u.EmailVerified() || !u.EmailVerifiedAt().Equal(f.now) {
		t.Fatal("a reset proves the mailbox and verifies the email")
	}
	ev := f.audit.last(t)
	if ev.Action != "auth.password.reset_completed" || ev.Details["sessions_revoked"] != 3 || ev.Details["email_verified"] != true {
		t.Fatalf("audit %+v", ev)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "ada@example.com", Password: "UserPass123!"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("the old password must no longer work: %v", err)
	}
	f.login(t, "ada@example.com", "Brand new pass 1")
	_, err = f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: "Another new pass 2"})
	wantCode(t, err, "identity.token_used")
	noTokenIn(t, f, token)
}

func TestResetPassword_RefusesForgedExpiredAndWrongPurposeTokensWithoutHashing(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	verification := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	token := f.forgot(t, "ada@example.com")
	tests := []struct {
		name, token string
		at          time.Time
		code        string
	}{
		{"forged", "never-issued", t0, "identity.token_invalid"},
		{"a verification token", verification, t0, "identity.token_invalid"},
		{"expired after 30 minutes", token, t0.Add(30 * time.Minute), "identity.token_expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.now = tt.at
			hashes := f.hasher.hashes
			_, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: tt.token, NewPassword: "Brand new pass 1"})
			wantCode(t, err, tt.code)
			if f.hasher.hashes != hashes {
				t.Fatal("a refused token must cost no hash")
			}
		})
	}
}

func TestResetPassword_AppliesThePasswordPolicyAndKeepsTheToken(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	token := f.forgot(t, "ada@example.com")
	for _, bad := range []string{"short", "password123", "ADA@example.com", ""} {
		_, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: bad})
		if got := fieldsOf(t, err); len(got["new_password"]) == 0 {
			t.Fatalf("%q: fields %v", bad, got)
		}
	}
	if _, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: "Brand new pass 1"}); err != nil {
		t.Fatalf("a refused password must not spend the token: %v", err)
	}
}

func TestResetPassword_ANewerLinkRetiresTheEarlierOne(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	first := f.forgot(t, "ada@example.com")
	second := f.forgot(t, "ada@example.com")
	_, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: first, NewPassword: "Brand new pass 1"})
	wantCode(t, err, "identity.token_used")
	if _, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: second, NewPassword: "Brand new pass 1"}); err != nil {
		t.Fatal(err)
	}
}

func TestResetPassword_ALinkMailedBeforeAnEmailChangeNoLongerWorks(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	reset := f.forgot(t, "ada@example.com")
	newEmail := "ada.new@example.com"
	if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &newEmail, CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	f.verifyToken(t, f.mail.token(t, newEmail, mail.TemplateEmailChangeConfirmation))
	_, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: reset, NewPassword: "Brand new pass 1"})
	if !errors.Is(err, identity.ErrTokenUsed) && !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("whoever reads the old mailbox must not take the account over: %v", err)
	}
	f.login(t, newEmail, "UserPass123!")
}

func TestResetPassword_IsLimitedPerClient(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LinkTokensPerClient = platformport.Limit{Max: 2, Window: time.Hour}
	})
	for i := 0; i < 2; i++ {
		_, err := f.svc.ResetPassword(ctxFrom("203.0.113.3"), identityport.ResetPasswordCommand{Token: "guess", NewPassword: "Brand new pass 1"})
		wantCode(t, err, "identity.token_invalid")
	}
	_, err := f.svc.ResetPassword(ctxFrom("203.0.113.3"), identityport.ResetPasswordCommand{Token: "guess", NewPassword: "Brand new pass 1"})
	wantRateLimited(t, err, "the third token")
	_, err = f.svc.VerifyEmail(ctxFrom("203.0.113.3"), identityport.VerifyEmailCommand{Token: "guess"})
	wantRateLimited(t, err, "verification shares the budget")
}

func TestUpdateProfile_AnEmailChangeSwitchesOnlyOnceConfirmedAndEndsOtherSessions(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	requester := f.login(t, "ada@example.com", "UserPass123!")
	f.login(t, "ada@example.com", "UserPass123!")
	f.now = t0.Add(time.Minute)
	newEmail, name := "Ada.Lovelace@Example.com", "Ada Lovelace"
	out, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(requester), identityport.UpdateProfileCommand{
		Email: &newEmail, Name: &name, CurrentPassword: "UserPass123!",
	})
	if err != nil {
		t.Fatal(err)
	}
	if out.PendingEmail != "ada.lovelace@example.com" || !out.PendingExpiresAt.Equal(f.now.Add(24*time.Hour)) ||
		out.User.Email != "ada@example.com" || out.User.Name != "Ada Lovelace" {
		t.Fatalf("result %+v", out)
	}
	if got := f.stored(t, v.ID).Email().String(); got != "ada@example.com" {
		t.Fatalf("the email switched before the confirmation: %s", got)
	}
	if ev := f.audit.last(t); ev.Action != "user.email.change_requested" {
		t.Fatalf("audit %+v", ev)
	}
	f.login(t, "ada@example.com", "UserPass123!")
	notice := f.mail.to("ada@example.com", mail.TemplateEmailChangeNotice)
	if len(notice) != 1 || notice[0].Data.(mailport.EmailChangeNotice).NewEmail != "ada.lovelace@example.com" {
		t.Fatalf("the old address must be told: %+v", notice)
	}
	confirm := f.mail.token(t, "ada.lovelace@example.com", mail.TemplateEmailChangeConfirmation)

	f.sessions.revoked = 2
	f.now = t0.Add(time.Hour)
	got := f.verifyToken(t, confirm)
	if !got.Changed || got.Email != "ada.lovelace@example.com" || got.SessionsRevoked != 2 {
		t.Fatalf("result %+v", got)
	}
	u := f.stored(t, v.ID)
	if u.Email().String() != "ada.lovelace@example.com" || !u.EmailVerifiedAt().Equal(f.now) {
		t.Fatal("the confirmed address must be the account's, verified")
	}
	if want := (revokeCall{User: v.ID, Keep: requester.Session.Session.ID, Reason: "email_changed"}); !reflect.DeepEqual(f.sessions.revokes, []revokeCall{want}) {
		t.Fatalf("revokes %+v, want %+v", f.sessions.revokes, want)
	}
	if ev := f.audit.last(t); ev.Action != "user.email.changed" || ev.Details["sessions_revoked"] != 2 {
		t.Fatalf("audit %+v", ev)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "ada@example.com", Password: "UserPass123!"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("the old address must no longer sign in: %v", err)
	}
	f.login(t, "ada.lovelace@example.com", "UserPass123!")
	_, err = f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: confirm})
	wantCode(t, err, "identity.token_used")
	noTokenIn(t, f, confirm)
}

func TestUpdateProfile_AnEmailChangeNeedsTheCurrentPassword(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	newEmail := "new@example.com"
	mails := len(f.mail.all())
	_, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &newEmail})
	if got := fieldsOf(t, err); len(got["current_password"]) == 0 {
		t.Fatalf("fields %v", got)
	}
	_, err = f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &newEmail, CurrentPassword: "not it"})
	wantCode(t, err, "identity.wrong_password")
	if len(f.mail.all()) != mails {
		t.Fatal("a refused change must mail no one")
	}
}

func TestUpdateProfile_AnswersAnAddressWithAnAccountLikeAFreeOneAndTheConfirmationFails(t *testing.T) {
	f := newFixture(t)
	f.register(t, "taken@example.com", "UserPass123!")
	v := f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	answers := map[string]identityport.ProfileUpdated{}
	for _, email := range []string{"taken@example.com", "free@example.com"} {
		out, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &email, CurrentPassword: "UserPass123!"})
		if err != nil {
			t.Fatalf("%s: %v", email, err)
		}
		out.PendingEmail = ""
		answers[email] = out
	}
	if !reflect.DeepEqual(answers["taken@example.com"], answers["free@example.com"]) {
		t.Fatalf("the answers differ: %+v", answers)
	}
	late := "late@example.com"
	if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &late, CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	// Someone registers the address before the link is opened.
	f.register(t, late, "UserPass123!")
	token := f.mail.token(t, late, mail.TemplateEmailChangeConfirmation)
	_, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token})
	if !errors.Is(err, identity.ErrEmailTaken) {
		t.Fatalf("an address another account has must not be taken over: %v", err)
	}
	if got := f.stored(t, v.ID).Email().String(); got != "ada@example.com" {
		t.Fatalf("email %s", got)
	}
}

func TestUpdateProfile_ANewerEmailChangeRetiresTheEarlierLink(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	for _, email := range []string{"one@example.com", "two@example.com"} {
		if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &email, CurrentPassword: "UserPass123!"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: f.mail.token(t, "one@example.com", mail.TemplateEmailChangeConfirmation)})
	wantCode(t, err, "identity.token_used")
	if out := f.verifyToken(t, f.mail.token(t, "two@example.com", mail.TemplateEmailChangeConfirmation)); out.Email != "two@example.com" {
		t.Fatalf("result %+v", out)
	}
}

func TestVerifyEmail_AVerificationLinkOfTheOldAddressDoesNotVerifyTheNewOne(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	old := f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification)
	res := f.login(t, "ada@example.com", "UserPass123!")
	newEmail := "new@example.com"
	if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &newEmail, CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	f.verifyToken(t, f.mail.token(t, newEmail, mail.TemplateEmailChangeConfirmation))
	verifiedAt := f.stored(t, v.ID).EmailVerifiedAt()
	f.now = t0.Add(time.Hour)
	if _, err := f.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: old}); err == nil {
		t.Fatal("the old address's verification link must not work any more")
	}
	if !f.stored(t, v.ID).EmailVerifiedAt().Equal(verifiedAt) {
		t.Fatal("verification time moved")
	}
}

func TestLogin_AnAccountWithoutAPasswordAnswersLikeAWrongPasswordAfterTheSameWork(t *testing.T) {
	f := newFixture(t)
	f.register(t, "ada@example.com", "UserPass123!")
	f.addPasswordless(t, "sso@example.com")
	work := func(email string) (int, error) {
		before := f.hasher.work()
		_, err := f.svc.Login(ctxFrom("192.0.2.60"), identityport.LoginCommand{Email: email, Password: "UserPass123!x"})
		return f.hasher.work() - before, err
	}
	wrong, errWrong := work("ada@example.com")
	none, errNone := work("sso@example.com")
	if !errors.Is(errNone, identity.ErrInvalidCredentials) || !errors.Is(errWrong, identity.ErrInvalidCredentials) {
		t.Fatalf("want the one 401: %v, %v", errNone, errWrong)
	}
	if wrong != 1 || none != 1 {
		t.Fatalf("verifications: wrong password %d, no password %d; want one each", wrong, none)
	}
	if ev := f.audit.last(t); ev.Action != "auth.login.failed" || ev.Details["reason"] != "no_password" {
		t.Fatalf("audit %+v", ev)
	}
	// Not even an empty-looking hash matches: no password signs in.
	for _, pw := range []string{"", " ", "x"} {
		if _, err := f.svc.Login(ctxFrom("192.0.2.61"), identityport.LoginCommand{Email: "sso@example.com", Password: pw}); err == nil {
			t.Fatalf("password %q signed in to an account without one", pw)
		}
	}
}

func TestChangePassword_WithoutAPasswordPointsToTheResetFlow(t *testing.T) {
	f := newFixture(t)
	u := f.addPasswordless(t, "sso@example.com")
	_, err := f.svc.ChangePassword(ctxFrom("192.0.2.20"), f.sessionOf(t, u.ID()), identityport.ChangePasswordCommand{
		CurrentPassword: "anything at all", NewPassword: "Brand new pass 1",
	})
	wantCode(t, err, "identity.no_password")
	if shared.KindOf(err) != shared.KindConflict {
		t.Fatalf("kind %v", shared.KindOf(err))
	}
}

func TestResetPassword_GivesAnAccountWithoutAPasswordOne(t *testing.T) {
	f := newFixture(t)
	u := f.addPasswordless(t, "sso@example.com")
	token := f.forgot(t, "sso@example.com")
	if _, err := f.svc.ResetPassword(ctxFrom("192.0.2.40"), identityport.ResetPasswordCommand{Token: token, NewPassword: "Brand new pass 1"}); err != nil {
		t.Fatal(err)
	}
	if !f.stored(t, u.ID()).HasPassword() {
		t.Fatal("the reset must set a password")
	}
	f.login(t, "sso@example.com", "Brand new pass 1")
}

func TestDeleteAccount_NeedsTheCurrentPassword(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{})
	if got := fieldsOf(t, err); len(got["current_password"]) == 0 {
		t.Fatalf("fields %v", got)
	}
	err = f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "not it"})
	wantCode(t, err, "identity.wrong_password")
	if f.stored(t, v.ID).Deleted() {
		t.Fatal("a refused deletion must delete nothing")
	}
	if err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
}

func TestDeleteAccount_WithoutAPasswordNeedsASignInWithinFiveMinutes(t *testing.T) {
	f := newFixture(t)
	u := f.addPasswordless(t, "sso@example.com")
	p := f.sessionOf(t, u.ID())
	f.now = t0.Add(5*time.Minute + time.Second)
	err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), p, identityport.DeleteAccountCommand{CurrentPassword: "a guess"})
	wantCode(t, err, "identity.reauthentication_required")
	if shared.KindOf(err) != shared.KindForbidden || f.stored(t, u.ID()).Deleted() {
		t.Fatalf("kind %v", shared.KindOf(err))
	}
	fresh := f.sessionOf(t, u.ID())
	f.now = f.now.Add(5 * time.Minute)
	if err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), fresh, identityport.DeleteAccountCommand{}); err != nil {
		t.Fatalf("a sign-in five minutes ago is recent enough: %v", err)
	}
}

func TestUpdateProfile_AnEmailChangeWithoutAPasswordNeedsARecentSignIn(t *testing.T) {
	f := newFixture(t)
	u := f.addPasswordless(t, "sso@example.com")
	p := f.sessionOf(t, u.ID())
	f.now = t0.Add(time.Hour)
	newEmail := "sso.new@example.com"
	_, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), p, identityport.UpdateProfileCommand{Email: &newEmail})
	wantCode(t, err, "identity.reauthentication_required")
	p = f.sessionOf(t, u.ID())
	if out, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), p, identityport.UpdateProfileCommand{Email: &newEmail}); err != nil || out.PendingEmail != newEmail {
		t.Fatalf("result %+v, %v", out, err)
	}
}

func TestDirectory_TellsWhetherTheEmailIsVerified(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "ada@example.com", "UserPass123!")
	got, err := f.svc.GetMany(context.Background(), []shared.UserID{v.ID})
	if err != nil || got[v.ID].EmailVerified {
		t.Fatalf("unverified: %+v, %v", got, err)
	}
	f.verifyToken(t, f.mail.token(t, "ada@example.com", mail.TemplateEmailVerification))
	s, err := f.svc.FindByEmail(context.Background(), "ada@example.com")
	if err != nil || !s.EmailVerified {
		t.Fatalf("verified: %+v, %v", s, err)
	}
}

func TestDeleteAccount_WrongPasswordsSpendThePasswordBudgetAndMissingOnesDoNot(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.PasswordChangePerSession = platformport.Limit{Max: 2, Window: time.Hour}
	})
	f.register(t, "ada@example.com", "UserPass123!")
	res := f.login(t, "ada@example.com", "UserPass123!")
	for i := 0; i < 5; i++ {
		err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{})
		if got := fieldsOf(t, err); len(got["current_password"]) == 0 {
			t.Fatalf("fields %v", got)
		}
	}
	for i := 0; i < 2; i++ {
		err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "a guess"})
		wantCode(t, err, "identity.wrong_password")
	}
	err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "UserPass123!"})
	wantRateLimited(t, err, "the third password checked by one session")
}
