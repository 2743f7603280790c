package oauthapp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

const (
	keyA = "application test encryption key A, 32+ bytes"
	keyB = "application test encryption key B, 32+ bytes"
)

// recorder keeps the audit events it is given.
type recorder struct {
	mu     sync.Mutex
	events []auditport.Event
}

func (r *recorder) Record(_ context.Context, events ...auditport.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
	return nil
}

func (r *recorder) Events() []auditport.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]auditport.Event(nil), r.events...)
}

func (r *recorder) Actions() []string {
	var out []string
	for _, e := range r.Events() {
		out = append(out, e.Action)
	}
	return out
}

// access is the organizations context's answer, by hand.
type access struct {
	mu    sync.Mutex
	roles map[[2]string]string
}

func (a *access) MemberRole(_ context.Context, org shared.OrganizationID, user shared.UserID) (string, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r, ok := a.roles[[2]string{org.String(), user.String()}]; ok {
		return r, nil
	}
	return "", shared.NotFound("organizations.not_found", "organization not found")
}

func (a *access) set(org shared.OrganizationID, user shared.UserID, role string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.roles[[2]string{org.String(), user.String()}] = role
}

// hasher stands in for argon2id: "slow:" and the secret reversed.
type hasher struct{ calls int }

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}

func (h *hasher) Hash(_ context.Context, plain string) (string, error) {
	return "slow:" + reverse(plain), nil
}

func (h *hasher) Verify(_ context.Context, plain, hash string) (bool, error) {
	h.calls++
	rest, ok := strings.CutPrefix(hash, "slow:")
	return ok && rest == reverse(plain), nil
}

type fixture struct {
	db      *pgstore.DB
	clock   *platformporttest.Clock
	rec     *recorder
	access  *access
	hasher  *hasher
	keys    *oauthapp.KeyManager
	svc     *oauthapp.Service
	tokens  *oauthpg.Tokens
	org     shared.OrganizationID
	owner   shared.UserID
	admin   shared.UserID
	member  shared.UserID
	outside shared.UserID
}

func keyring(t *testing.T, current string, retired ...string) *security.Keyring {
	t.Helper()
	k, err := security.NewKeyring("encryption", current, retired...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func newKeyManager(t *testing.T, db *pgstore.DB, clock *platformporttest.Clock, ring *security.Keyring) *oauthapp.KeyManager {
	t.Helper()
	km, err := oauthapp.NewKeyManager(oauthpg.NewKeys(db), ring, clock, oauthapp.KeyConfig{
		RotateEvery: 90 * 24 * time.Hour, PublishLead: 10 * time.Minute,
		SigningVerifyFor: time.Hour, TokenVerifyFor: 30 * 24 * time.Hour, Reload: time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	return km
}

func newService(t *testing.T, f *fixture, keys *oauthapp.KeyManager) *oauthapp.Service {
	t.Helper()
	clients := oauthpg.NewClients(f.db)
	svc, err := oauthapp.New(oauthapp.Deps{
		Clients: clients, UnitOfWork: f.db, Access: f.access, Recorder: f.rec, Clock: f.clock,
		Keys: keys, Hasher: f.hasher, Janitor: f.tokens, SecretGrace: time.Hour, ClientCache: 2 * time.Second,
		Limiter:      platformmem.NewRateLimiter(f.clock),
		CleanupBatch: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	f := &fixture{
		db: db, clock: platformporttest.NewClock(t0), rec: &recorder{},
		access: &access{roles: map[[2]string]string{}}, hasher: &hasher{},
		tokens: oauthpg.NewTokens(db, oauthpg.Lifetimes{AccessToken: time.Hour, RefreshToken: 30 * 24 * time.Hour, AuthorizeCode: time.Minute}, nil),
		org:    shared.OrganizationID(uuid.New()),
		owner:  shared.UserID(uuid.New()), admin: shared.UserID(uuid.New()),
		member: shared.UserID(uuid.New()), outside: shared.UserID(uuid.New()),
	}
	if err := db.Gorm().Exec(`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
		f.org.String(), "Acme", "acme-"+uuid.NewString()[:8], t0, t0).Error; err != nil {
		t.Fatal(err)
	}
	f.access.set(f.org, f.owner, "owner")
	f.access.set(f.org, f.admin, "admin")
	f.access.set(f.org, f.member, "member")
	f.keys = newKeyManager(t, db, f.clock, keyring(t, keyA))
	if _, err := f.keys.Ensure(context.Background()); err != nil {
		t.Fatal(err)
	}
	f.svc = newService(t, f, f.keys)
	return f
}

func isKind(t *testing.T, err error, kind shared.Kind) {
	t.Helper()
	if shared.KindOf(err) != kind {
		t.Fatalf("error %v (kind %v), want kind %v", err, shared.KindOf(err), kind)
	}
}

func wantErr(t *testing.T, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error %v, want %v", err, target)
	}
}
