package mfaapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/pgstore/mfapg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/mfaapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

// The use cases run on the real stores of a throwaway SQLite database,
// with the real code makers, a clock the test moves and fakes that record
// what mfa asks of sessions, identity, mail and audit.

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Advance(d time.Duration) { c.mu.Lock(); c.now = c.now.Add(d); c.mu.Unlock() }

type sessions struct {
	sessionsport.Service
	mu      sync.Mutex
	started []sessionsport.AuthMethod
}

func (s *sessions) Start(_ context.Context, user shared.UserID, m sessionsport.AuthMethod) (sessionsport.IssuedSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = append(s.started, m)
	return sessionsport.IssuedSession{Token: "token", Session: sessionsport.SessionView{ID: uuid.New(), UserID: user, Method: m}}, nil
}

type accounts struct{}

func (accounts) Me(_ context.Context, p sessionsport.Principal) (identityport.UserView, error) {
	return identityport.UserView{}, nil
}

type directory struct{ emails map[shared.UserID]string }

func (d directory) FindByEmail(context.Context, string) (identityport.UserSummary, error) {
	return identityport.UserSummary{}, errors.New("not used")
}

func (d directory) GetMany(_ context.Context, ids []shared.UserID) (map[shared.UserID]identityport.UserSummary, error) {
	out := map[shared.UserID]identityport.UserSummary{}
	for _, id := range ids {
		if e, ok := d.emails[id]; ok {
			out[id] = identityport.UserSummary{ID: id, Email: e}
		}
	}
	return out, nil
}

type mails struct {
	mu   sync.Mutex
	sent []mailport.Mail
}

func (m *mails) Enqueue(_ context.Context, mail mailport.Mail) (mailport.Queued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, mail)
	return mailport.Queued{}, nil
}

type recorder struct {
	mu      sync.Mutex
	actions []string
}

func (r *recorder) Record(_ context.Context, events ...auditport.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		r.actions = append(r.actions, e.Action)
	}
	return nil
}

func (r *recorder) count(action string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, a := range r.actions {
		if a == action {
			n++
		}
	}
	return n
}

type env struct {
	svc      *mfaapp.Service
	clock    *clock
	sessions *sessions
	mails    *mails
	rec      *recorder
	user     shared.UserID
	p        sessionsport.Principal
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	// 1 s into a 30-second step, so the test knows which step "now" is in.
	c := &clock{now: time.Date(2026, 12, 2, 9, 0, 1, 0, time.UTC)}
	id := shared.UserID(uuid.New())
	email, _ := identity.ParseEmail("mfa-" + uuid.NewString() + "@example.com")
	name, _ := identity.ParseName("Mia")
	u, err := identity.NewUser(id, email, name, identity.PasswordHash{}, c.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := identitypg.New(db).Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	ring, err := security.NewKeyring("test", "an encryption key for the mfa application tests")
	if err != nil {
		t.Fatal(err)
	}
	signer, err := security.NewSigner("a signing key for the mfa application tests 0123456789")
	if err != nil {
		t.Fatal(err)
	}
	store := mfapg.New(db)
	e := &env{clock: c, sessions: &sessions{}, mails: &mails{}, rec: &recorder{}, user: id}
	e.svc, err = mfaapp.New(mfaapp.Deps{
		UnitOfWork: db, Factors: store.Factors(), RecoveryCodes: store.RecoveryCodes(), Challenges: store.Challenges(), StepUps: store.StepUps(),
		Sealer: ring, TOTP: security.TOTPCodes{}, Digests: security.RecoveryCodes{Signer: signer}, ChallengeTokens: security.MFAChallenges{},
		Directory: directory{emails: map[shared.UserID]string{id: email.String()}}, Accounts: accounts{}, Sessions: e.sessions,
		Mail: e.mails, Recorder: e.rec, Clock: platformport.ClockFunc(c.Now), Limiter: platformmem.NewRateLimiter(c),
		KnownClients: platformmem.NewRecentSet(c),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.p = sessionsport.Principal{UserID: id, SessionID: uuid.New(), Method: sessionsport.MethodPassword, AuthTime: c.Now()}
	return e
}

func (e *env) code(t *testing.T, secret string) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, e.clock.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

// enrol starts and confirms a TOTP authenticator and returns its secret
// and the recovery codes.
func (e *env) enrol(t *testing.T) (string, []string) {
	t.Helper()
	ctx := context.Background()
	en, err := e.svc.StartTOTP(ctx, e.p)
	if err != nil {
		t.Fatal(err)
	}
	if has, err := e.svc.HasFactor(ctx, e.user); err != nil || has {
		t.Fatalf("a pending factor counts: %v %v", has, err)
	}
	if _, err := e.svc.ConfirmTOTP(ctx, e.p, en.FactorID, "000000"); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("a wrong first code: %v", err)
	}
	done, err := e.svc.ConfirmTOTP(ctx, e.p, en.FactorID, e.code(t, en.Secret))
	if err != nil || len(done.RecoveryCodes) != mfa.RecoveryCodeCount {
		t.Fatalf("confirm: %+v %v", done, err)
	}
	if has, err := e.svc.HasFactor(ctx, e.user); err != nil || !has {
		t.Fatalf("a confirmed factor does not count: %v %v", has, err)
	}
	return en.Secret, done.RecoveryCodes
}

func (e *env) challenge(t *testing.T) string {
	t.Helper()
	ch, err := e.svc.ChallengeLogin(context.Background(), e.user, sessionsport.MethodPassword)
	if err != nil || ch == nil || ch.Token == "" {
		t.Fatalf("challenge: %+v %v", ch, err)
	}
	return ch.Token
}

func TestChallengeLogin_AnAccountWithoutAFactorGetsNone(t *testing.T) {
	e := newEnv(t)
	ch, err := e.svc.ChallengeLogin(context.Background(), e.user, sessionsport.MethodPassword)
	if err != nil || ch != nil {
		t.Fatalf("challenge of an account without a factor: %+v %v", ch, err)
	}
}

func TestCompleteLogin_ACodeIsAcceptedOnceAndTheSessionSaysOTP(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.enrol(t)
	token := e.challenge(t)
	// The confirmation's own step cannot sign in again.
	if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: token, Proof: mfaport.Proof{TOTP: e.code(t, secret)}}); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("a replayed code: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	got, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: token, Proof: mfaport.Proof{TOTP: e.code(t, secret)}})
	if err != nil || got.Session.Token == "" {
		t.Fatalf("complete: %+v %v", got, err)
	}
	if len(e.sessions.started) != 1 || e.sessions.started[0].Name() != "password" || len(e.sessions.started[0].AMR()) != 3 {
		t.Fatalf("sessions started %v", e.sessions.started)
	}
	// The challenge is single use.
	if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: token, Proof: mfaport.Proof{TOTP: e.code(t, secret)}}); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("a used challenge: %v", err)
	}
	if e.rec.count(mfaapp.ActionLoginSucceeded) != 1 {
		t.Fatalf("audit %v", e.rec.actions)
	}
}

func TestCompleteLogin_WrongCodesSpendTheChallengeAndStartNoSession(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.enrol(t)
	token := e.challenge(t)
	e.clock.Advance(30 * time.Second)
	for i := 0; i < mfa.MaxChallengeFailures; i++ {
		if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: token, Proof: mfaport.Proof{TOTP: "000000"}}); !errors.Is(err, mfa.ErrInvalidCode) {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: token, Proof: mfaport.Proof{TOTP: e.code(t, secret)}}); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("the right code on a spent challenge: %v", err)
	}
	if len(e.sessions.started) != 0 {
		t.Fatalf("sessions started %v", e.sessions.started)
	}
	// An expired challenge is refused too.
	other := e.challenge(t)
	e.clock.Advance(mfa.ChallengeTTL + time.Second)
	if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: other, Proof: mfaport.Proof{TOTP: e.code(t, secret)}}); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("an expired challenge: %v", err)
	}
}

func TestCompleteLogin_ARecoveryCodeSignsInOnceAndIsMailed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	_, codes := e.enrol(t)
	got, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: e.challenge(t), Proof: mfaport.Proof{RecoveryCode: codes[3]}})
	if err != nil || got.RecoveryCodesLeft == nil || *got.RecoveryCodesLeft != mfa.RecoveryCodeCount-1 {
		t.Fatalf("complete: %+v %v", got, err)
	}
	if _, err := e.svc.CompleteLogin(ctx, mfaport.CompleteLoginCommand{Challenge: e.challenge(t), Proof: mfaport.Proof{RecoveryCode: codes[3]}}); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("a used recovery code: %v", err)
	}
	if len(e.mails.sent) != 1 || e.rec.count(mfaapp.ActionRecoveryCodeUsed) != 1 {
		t.Fatalf("mails %d, audit %v", len(e.mails.sent), e.rec.actions)
	}
}

func TestRequireRecent_AFactorCheckOpensTheStepUpWindowForFiveMinutes(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret, _ := e.enrol(t)
	e.clock.Advance(10 * time.Minute)
	if err := e.svc.RequireRecent(ctx, e.p, false); !errors.Is(err, mfa.ErrStepUpRequired) {
		t.Fatalf("an old sign-in: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	if _, err := e.svc.VerifyFactor(ctx, e.p, mfaport.Proof{TOTP: e.code(t, secret)}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RequireRecent(ctx, e.p, false); err != nil {
		t.Fatalf("just after a check: %v", err)
	}
	e.clock.Advance(5*time.Minute + time.Second)
	if err := e.svc.RequireRecent(ctx, e.p, false); !errors.Is(err, mfa.ErrStepUpRequired) {
		t.Fatalf("a stale check: %v", err)
	}
}
