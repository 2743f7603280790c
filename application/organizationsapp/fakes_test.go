package organizationsapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/organizationspg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

// lastEvent returns the newest recorded event with action.
func lastEvent(t *testing.T, rec *auditporttest.Recorder, action string) auditport.Event {
	t.Helper()
	events := rec.Events()
	for i := len(events) - 1; i >= 0; i-- {
		if events[i].Action == action {
			return events[i]
		}
	}
	t.Fatalf("no %s event among %v", action, rec.Actions())
	return auditport.Event{}
}

var t0 = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

// clock is a fixed clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Second) // distinct, ordered timestamps
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// notifier records the invitations it is told about, or fails.
type notifier struct {
	mu      sync.Mutex
	notices []organizationsport.InvitationNotice
	fail    error
}

func (n *notifier) InvitationSent(_ context.Context, notice organizationsport.InvitationNotice) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.fail != nil {
		return n.fail
	}
	n.notices = append(n.notices, notice)
	return nil
}

// token returns the link token of the invitation id.
func (n *notifier) token(t *testing.T, id uuid.UUID) string {
	t.Helper()
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, x := range n.notices {
		if x.Invitation == id {
			return x.Token
		}
	}
	t.Fatalf("no notice for invitation %s", id)
	return ""
}

// limiter is a rate limiter that fails when told to.
type limiter struct {
	platformport.RateLimiter
	fail error
}

func (l *limiter) Take(ctx context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	if l.fail != nil {
		return platformport.Decision{}, l.fail
	}
	return l.RateLimiter.Take(ctx, key, limit)
}

// meter counts what it is told.
type meter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *meter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[string(metric)+"/"+outcome] += n
}

func (m *meter) count(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key]
}

// directory is the identity directory fake whose users also exist in the
// database, because memberships and invitations reference users(id).
type directory struct {
	*identityporttest.Directory
	t  *testing.T
	db *pgstore.DB
}

// Add registers a user with a new id and a verified email.
func (d *directory) Add(email, name string) identityport.UserSummary {
	return d.Put(identityport.UserSummary{ID: shared.UserID(uuid.New()), Email: email, Name: name, EmailVerified: true})
}

// AddUnverified registers a user whose email is not verified.
func (d *directory) AddUnverified(email, name string) identityport.UserSummary {
	return d.Put(identityport.UserSummary{ID: shared.UserID(uuid.New()), Email: email, Name: name})
}

// Put registers u as given, storing its users row the first time.
func (d *directory) Put(u identityport.UserSummary) identityport.UserSummary {
	d.t.Helper()
	testenv.StoreUser(d.t, d.db, uuid.UUID(u.ID))
	return d.Directory.Put(u)
}

// env is the service on the real organization store of a throwaway SQLite
// database, with the audit recorder, directory and notifier faked.
type env struct {
	svc      *organizationsapp.Service
	db       *pgstore.DB
	store    *organizationspg.Store
	dir      *directory
	rec      *auditporttest.Recorder
	clock    *clock
	notifier *notifier
	limiter  *limiter
	meter    *meter
}

// ttl is the invitation lifetime of the tests.
const ttl = 72 * time.Hour

func newEnv(t *testing.T, opts ...func(*organizationsapp.Deps)) *env {
	t.Helper()
	c := &clock{now: t0}
	db := testenv.SQLite(t)
	e := &env{
		db: db, store: organizationspg.New(db), dir: &directory{Directory: identityporttest.NewDirectory(), t: t, db: db}, rec: &auditporttest.Recorder{},
		clock: c, notifier: &notifier{}, limiter: &limiter{RateLimiter: platformmem.NewRateLimiter(c)}, meter: &meter{},
	}
	d := organizationsapp.Deps{
		UnitOfWork: db, Organizations: e.store, Directory: e.dir, Recorder: e.rec, Clock: c,
		Tokens: security.InvitationTokens{}, Limiter: e.limiter, Notifier: e.notifier, InvitationTTL: ttl, Meter: e.meter,
	}
	for _, o := range opts {
		o(&d)
	}
	svc, err := organizationsapp.New(d)
	if err != nil {
		t.Fatal(err)
	}
	e.svc = svc
	return e
}

func wantErr(t *testing.T, got, want error) {
	t.Helper()
	if want == nil && got != nil || want != nil && !errors.Is(got, want) {
		t.Fatalf("error = %v, want %v", got, want)
	}
}

// invite sends an invitation and fails the test on error.
func (e *env) invite(t *testing.T, actor shared.UserID, org shared.OrganizationID, email, role string) organizationsport.InvitationView {
	t.Helper()
	v, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: actor, Organization: org, Email: email, Role: role})
	if err != nil {
		t.Fatalf("invite %s: %v", email, err)
	}
	return v
}

// join invites u and has them accept.
func (e *env) join(t *testing.T, inviter shared.UserID, org shared.OrganizationID, u identityport.UserSummary, role string) {
	t.Helper()
	v := e.invite(t, inviter, org, u.Email, role)
	if _, err := e.svc.AcceptInvitation(ctx, u.ID, v.ID); err != nil {
		t.Fatalf("%s accepts: %v", u.Email, err)
	}
}
