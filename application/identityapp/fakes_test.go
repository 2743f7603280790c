package identityapp_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

// fakeHasher is a cheap, deterministic stand-in for the argon2id adapter
// (which has its own tests): "current$<sha256>" hashes are current,
// "legacy$<sha256>" ones verify but ask for a rehash. It counts the work so
// tests can compare the unknown-email and wrong-password paths.
type fakeHasher struct {
	mu       sync.Mutex
	hashes   int
	verifies int
	dummies  int
	busy     bool
}

func digest(plain string) string {
	s := sha256.Sum256([]byte(plain))
	return hex.EncodeToString(s[:])
}

func (h *fakeHasher) Hash(_ context.Context, plain string) (identity.PasswordHash, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.busy {
		return identity.PasswordHash{}, identityport.ErrHasherBusy
	}
	h.hashes++
	return identity.PasswordHashFromEncoded("current$" + digest(plain)), nil
}

func (h *fakeHasher) Verify(_ context.Context, plain string, hash identity.PasswordHash) (bool, bool, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.verifies++
	scheme, d, _ := strings.Cut(hash.Encoded(), "$")
	if d != digest(plain) {
		return false, false, nil
	}
	return true, scheme == "legacy", nil
}

func (h *fakeHasher) VerifyDummy(context.Context, string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.dummies++
	return nil
}

func (h *fakeHasher) work() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.verifies + h.dummies
}

type fakePolicy struct{}

func (fakePolicy) Check(plain string) []string {
	if strings.EqualFold(plain, "password123") {
		return []string{"is too common"}
	}
	return nil
}

type startCall struct {
	User   shared.UserID
	Method sessionsport.AuthMethod
}

type revokeCall struct {
	User   shared.UserID
	Keep   uuid.UUID
	Reason string
}

// fakeSessions records what identity asks of the sessions context.
type fakeSessions struct {
	sessionsport.Service
	mu      sync.Mutex
	starts  []startCall
	revokes []revokeCall
	revoked int
	fail    error
	now     func() time.Time
}

func (f *fakeSessions) Start(_ context.Context, user shared.UserID, method sessionsport.AuthMethod) (sessionsport.IssuedSession, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return sessionsport.IssuedSession{}, f.fail
	}
	f.starts = append(f.starts, startCall{User: user, Method: method})
	now := f.now()
	return sessionsport.IssuedSession{
		Token: "token-" + uuid.NewString(),
		Session: sessionsport.SessionView{
			ID: uuid.New(), UserID: user, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(15 * time.Minute), AbsoluteExpiresAt: now.Add(8 * time.Hour), Current: true,
			Method: method, AuthTime: now,
		},
	}, nil
}

func (f *fakeSessions) RevokeAllOf(_ context.Context, user shared.UserID, keep uuid.UUID, reason string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.revokes = append(f.revokes, revokeCall{User: user, Keep: keep, Reason: reason})
	return f.revoked, nil
}

// fakeAudit records events.
type fakeAudit struct {
	mu     sync.Mutex
	events []auditport.Event
}

func (a *fakeAudit) Record(_ context.Context, events ...auditport.Event) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.events = append(a.events, events...)
	return nil
}

func (a *fakeAudit) actions() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]string, 0, len(a.events))
	for _, e := range a.events {
		out = append(out, e.Action)
	}
	return out
}

func (a *fakeAudit) last(t *testing.T) auditport.Event {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) == 0 {
		t.Fatal("no audit event recorded")
	}
	return a.events[len(a.events)-1]
}

// fakeMeter counts metrics by name and outcome.
type fakeMeter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *fakeMeter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[string(metric)+":"+outcome] += n
}

func (m *fakeMeter) get(metric platformport.Metric, outcome string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[string(metric)+":"+outcome]
}

// fakeLinks makes predictable link tokens ("link-1", "link-2", …) hashed
// with SHA-256 like the real adapter.
type fakeLinks struct {
	mu sync.Mutex
	n  int
}

func (l *fakeLinks) New() (string, identity.TokenHash, error) {
	l.mu.Lock()
	l.n++
	secret := fmt.Sprintf("link-%d", l.n)
	l.mu.Unlock()
	return secret, l.Hash(secret), nil
}

func (*fakeLinks) Hash(token string) identity.TokenHash {
	sum := sha256.Sum256([]byte(token))
	h, _ := identity.NewTokenHash(sum[:])
	return h
}

// fakeMail records enqueued mail (the unit-of-work rollback of a mail is
// the outbox's business, tested in the SQLite application tests); fail
// makes Enqueue fail.
type fakeMail struct {
	mu    sync.Mutex
	mails []mailport.Mail
	fail  error
}

func (m *fakeMail) Enqueue(_ context.Context, msg mailport.Mail) (mailport.Queued, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return mailport.Queued{}, m.fail
	}
	m.mails = append(m.mails, msg)
	return mailport.Queued{ID: uuid.NewString()}, nil
}

func (m *fakeMail) all() []mailport.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]mailport.Mail(nil), m.mails...)
}

// to returns the mail of template tpl sent to addr, in order.
func (m *fakeMail) to(addr string, tpl mail.Template) []mailport.Mail {
	var out []mailport.Mail
	for _, x := range m.all() {
		if x.To.String() == addr && x.Data.Template() == tpl {
			out = append(out, x)
		}
	}
	return out
}

// token returns the link token of the last mail of template tpl to addr.
func (m *fakeMail) token(t *testing.T, addr string, tpl mail.Template) string {
	t.Helper()
	mails := m.to(addr, tpl)
	if len(mails) == 0 {
		t.Fatalf("no %s mail to %s among %d", tpl, addr, len(m.all()))
	}
	switch d := mails[len(mails)-1].Data.(type) {
	case mailport.EmailVerification:
		return d.Token
	case mailport.PasswordReset:
		return d.Token
	case mailport.EmailChangeConfirmation:
		return d.Token
	}
	t.Fatalf("a %s mail carries no token", tpl)
	return ""
}

// fixture is the service on the real user and token stores of a throwaway
// SQLite database (so a unit of work's rollback is the database's), with
// fakes for the other contexts.
type fixture struct {
	svc      *identityapp.Service
	db       *pgstore.DB
	store    *identitypg.Store
	mail     *fakeMail
	links    *fakeLinks
	hasher   *fakeHasher
	sessions *fakeSessions
	audit    *fakeAudit
	meter    *fakeMeter
	limiter  *platformmem.RateLimiter
	known    *platformmem.RecentSet
	refusals *platformmem.Tally
	now      time.Time
}

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T, mutate ...func(*identityapp.Deps)) *fixture {
	t.Helper()
	return newFixtureOn(t, testenv.SQLite(t), mutate...)
}

// newFixtureOn is newFixture on db, which other stores of a test share.
func newFixtureOn(t *testing.T, db *pgstore.DB, mutate ...func(*identityapp.Deps)) *fixture {
	t.Helper()
	f := &fixture{
		db: db, store: identitypg.New(db), hasher: &fakeHasher{}, audit: &fakeAudit{}, meter: &fakeMeter{}, now: t0,
		links: &fakeLinks{},
	}
	f.mail = &fakeMail{}
	clock := platformport.ClockFunc(func() time.Time { return f.now })
	f.sessions = &fakeSessions{now: clock.Now}
	f.limiter = platformmem.NewRateLimiter(clock)
	f.known = platformmem.NewRecentSet(clock)
	f.refusals = platformmem.NewTally(clock)
	d := identityapp.Deps{
		Users: f.store, Tokens: f.store.Tokens(), UoW: db, LinkTokens: f.links, Mail: f.mail, Hasher: f.hasher, Policy: fakePolicy{}, Sessions: f.sessions,
		Audit: f.audit, Limiter: f.limiter, KnownClients: f.known, Refusals: f.refusals, Meter: f.meter, Clock: clock,
		Attempts: platformmem.NewGate(f.limiter, f.known, f.refusals),
		Log:      slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mutate {
		m(&d)
	}
	svc, err := identityapp.New(d)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func ctxFrom(ip string) context.Context {
	return shared.WithRequestMeta(context.Background(), shared.RequestMeta{RequestID: uuid.NewString(), ClientIP: ip, UserAgent: "test"})
}

func (f *fixture) register(t *testing.T, email, password string) identityport.UserView {
	t.Helper()
	v, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: email, Password: password, Name: "Test User"})
	if err != nil {
		t.Fatalf("register %s: %v", email, err)
	}
	return v
}

func (f *fixture) login(t *testing.T, email, password string) identityport.LoginResult {
	t.Helper()
	res, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: email, Password: password})
	if err != nil {
		t.Fatalf("login %s: %v", email, err)
	}
	return res
}

func principal(res identityport.LoginResult) sessionsport.Principal {
	v := res.Session.Session
	return sessionsport.Principal{UserID: res.User.ID, SessionID: v.ID, ExpiresAt: v.ExpiresAt, Method: v.Method, AuthTime: v.AuthTime}
}

func fieldsOf(t *testing.T, err error) map[string][]string {
	t.Helper()
	var se *shared.Error
	if !asShared(err, &se) || se.Kind() != shared.KindInvalid {
		t.Fatalf("want a validation error, got %v", err)
	}
	return se.Fields()
}
