package federationapp_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/federationpg"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/application/federationapp"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/tests/testenv"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

// fakeUpstream answers codes with the profiles or errors a test queued.
type fakeUpstream struct {
	name    federation.ProviderName
	kind    federation.ProviderKind
	mu      sync.Mutex
	answers map[string]answer
	seen    []federationport.ExchangeRequest
}

type answer struct {
	profile federation.Profile
	err     error
}

func newUpstream(t *testing.T, name string, kind federation.ProviderKind) *fakeUpstream {
	t.Helper()
	n, err := federation.ParseProviderName(name)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeUpstream{name: n, kind: kind, answers: map[string]answer{}}
}

func (u *fakeUpstream) Name() federation.ProviderName { return u.name }
func (u *fakeUpstream) DisplayName() string           { return "Fake " + u.name.String() }
func (u *fakeUpstream) Kind() federation.ProviderKind { return u.kind }

func (u *fakeUpstream) AuthCodeURL(_ context.Context, r federationport.AuthRequest) (string, string, error) {
	return "https://idp.example/authorize?state=" + url.QueryEscape(r.State), "session-" + u.name.String(), nil
}

func (u *fakeUpstream) Exchange(_ context.Context, r federationport.ExchangeRequest) (federation.Profile, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.seen = append(u.seen, r)
	a, ok := u.answers[r.Code]
	if !ok {
		return federation.Profile{}, fmt.Errorf("unknown code: %w", federation.ErrProviderError)
	}
	return a.profile, a.err
}

func (u *fakeUpstream) answer(code string, p federation.Profile, err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.answers[code] = answer{p, err}
}

// accounts is identity's port over the real user store (so rollbacks are
// observable): it opens accounts, finds them and tells about passwords.
type accounts struct {
	users *identitypg.Store
	now   func() time.Time
}

func (a accounts) CreateExternalUser(ctx context.Context, cmd identityport.ExternalUserCommand) (identityport.UserSummary, error) {
	email, reason := identity.ParseEmail(cmd.Email)
	if reason != "" {
		return identityport.UserSummary{}, shared.Invalid("identity.invalid_input", reason, nil)
	}
	name, _ := identity.ParseName("External")
	u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHash{}, a.now())
	if err != nil {
		return identityport.UserSummary{}, err
	}
	if cmd.EmailVerified {
		_ = u.VerifyEmail(email, a.now())
	}
	if err := a.users.Add(ctx, u); err != nil {
		return identityport.UserSummary{}, err
	}
	return summary(u), nil
}

func (a accounts) HasPassword(ctx context.Context, id shared.UserID) (bool, error) {
	u, err := a.users.Get(ctx, id)
	if err != nil {
		return false, err
	}
	return u.HasPassword(), nil
}

func (a accounts) FindByEmail(ctx context.Context, raw string) (identityport.UserSummary, error) {
	email, _ := identity.ParseEmail(raw)
	u, err := a.users.FindByEmail(ctx, email)
	if err != nil {
		return identityport.UserSummary{}, err
	}
	return summary(u), nil
}

func (a accounts) GetMany(ctx context.Context, ids []shared.UserID) (map[shared.UserID]identityport.UserSummary, error) {
	list, err := a.users.GetMany(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := map[shared.UserID]identityport.UserSummary{}
	for _, u := range list {
		out[u.ID()] = summary(u)
	}
	return out, nil
}

func summary(u *identity.User) identityport.UserSummary {
	return identityport.UserSummary{ID: u.ID(), Email: u.Email().String(), Name: u.Name().String(), EmailVerified: u.EmailVerified()}
}

// sessions records the sessions started and the revocations by method
// (answering each with revoked).
type sessions struct {
	sessionsport.Service
	mu      sync.Mutex
	started []sessionsport.AuthMethod
	revokes []methodRevoke
	revoked int
	fail    error
}

type methodRevoke struct {
	User    shared.UserID
	Methods []string
	Keep    uuid.UUID
	Reason  string
}

func (s *sessions) RevokeMethodsOf(_ context.Context, user shared.UserID, methods []string, keep uuid.UUID, reason string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.revokes = append(s.revokes, methodRevoke{User: user, Methods: methods, Keep: keep, Reason: reason})
	return s.revoked, nil
}

func (s *sessions) Start(_ context.Context, user shared.UserID, m sessionsport.AuthMethod) (sessionsport.IssuedSession, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return sessionsport.IssuedSession{}, s.fail
	}
	s.started = append(s.started, m)
	return sessionsport.IssuedSession{Token: "token-" + uuid.NewString(), Session: sessionsport.SessionView{ID: uuid.New(), UserID: user, Method: m}}, nil
}

type recorder struct {
	mu     sync.Mutex
	events []auditport.Event
	// refuse names actions whose records the store refuses, as a full
	// disk or a lost connection would: the call records nothing.
	refuse map[string]bool
}

func (r *recorder) Record(_ context.Context, events ...auditport.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, e := range events {
		if r.refuse[e.Action] {
			return errors.New("audit store refused " + e.Action)
		}
	}
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) actions() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, e := range r.events {
		out = append(out, e.Action)
	}
	return out
}

func (r *recorder) last(action string) auditport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.events) - 1; i >= 0; i-- {
		if r.events[i].Action == action {
			return r.events[i]
		}
	}
	return auditport.Event{}
}

type fixture struct {
	svc      *federationapp.Service
	db       *pgstore.DB
	users    *identitypg.Store
	store    *federationpg.Store
	google   *fakeUpstream
	acme     *fakeUpstream
	sessions *sessions
	audit    *recorder
	now      time.Time
	ctx      context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	f := &fixture{
		db: db, users: identitypg.New(db), store: federationpg.New(db), sessions: &sessions{}, audit: &recorder{}, now: t0,
		google: newUpstream(t, "google", federation.KindGoogle), acme: newUpstream(t, "acme", federation.KindOIDC),
		ctx: shared.WithRequestMeta(context.Background(), shared.RequestMeta{RequestID: uuid.NewString(), ClientIP: "192.0.2.1"}),
	}
	clock := platformport.ClockFunc(func() time.Time { return f.now })
	acc := accounts{users: f.users, now: clock.Now}
	svc, err := federationapp.New(federationapp.Deps{
		Providers:  []federationport.Upstream{f.google, f.acme},
		Identities: f.store, Flows: f.store.Flows(), Codes: f.store.LoginCodes(), UoW: f.db,
		Accounts: acc, Directory: acc, Sessions: f.sessions, Revoker: f.sessions, Audit: f.audit, Clock: clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

// addUser stores an account with a password or not, verified or not.
func (f *fixture) addUser(t *testing.T, email string, verified, password bool) shared.UserID {
	t.Helper()
	e, _ := identity.ParseEmail(email)
	name, _ := identity.ParseName("Existing")
	var hash identity.PasswordHash
	if password {
		hash = identity.PasswordHashFromEncoded("argon2id$stub")
	}
	u, err := identity.NewUser(shared.UserID(uuid.New()), e, name, hash, f.now)
	if err != nil {
		t.Fatal(err)
	}
	if verified {
		_ = u.VerifyEmail(e, f.now)
	}
	if err := f.users.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	return u.ID()
}

// begin starts a sign-in at provider from the browser holding binding and
// returns the state the provider would send back.
func (f *fixture) begin(t *testing.T, provider, binding string, d shared.Delivery) string {
	t.Helper()
	b, err := f.svc.BeginSignIn(f.ctx, federationport.BeginCommand{Provider: provider, ReturnTo: "/account", Delivery: d, Binding: binding})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(b.AuthorizationURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

func (f *fixture) callback(provider, state, code, binding string) (federationport.Completion, error) {
	return f.svc.Complete(f.ctx, federationport.CallbackCommand{Provider: provider, State: state, Code: code, Binding: binding})
}

func (f *fixture) identitiesOf(t *testing.T, user shared.UserID) []*federation.ExternalIdentity {
	t.Helper()
	list, err := f.store.ListByUser(context.Background(), user, false)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func stateOf(t *testing.T, authURL string) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("state")
}

// Directory is identity's port the fixture's service looks users up with.
func (f *fixture) directory() accounts {
	return accounts{users: f.users, now: func() time.Time { return f.now }}
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("got %v, want %v", err, want)
	}
}
