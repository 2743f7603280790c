package organizationsapp_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/memstore/organizationsmem"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

// directory is a fake identityport.Directory.
type directory struct {
	mu    sync.Mutex
	users map[shared.UserID]identityport.UserSummary
}

func (d *directory) add(email, name string) identityport.UserSummary {
	d.mu.Lock()
	defer d.mu.Unlock()
	u := identityport.UserSummary{ID: shared.UserID(uuid.New()), Email: email, Name: name}
	d.users[u.ID] = u
	return u
}

func (d *directory) FindByEmail(_ context.Context, email string) (identityport.UserSummary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, u := range d.users {
		if strings.EqualFold(u.Email, strings.TrimSpace(email)) {
			return u, nil
		}
	}
	return identityport.UserSummary{}, shared.NotFound("identity.user_not_found", "no such user")
}

func (d *directory) GetMany(_ context.Context, ids []shared.UserID) (map[shared.UserID]identityport.UserSummary, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := map[shared.UserID]identityport.UserSummary{}
	for _, id := range ids {
		if u, ok := d.users[id]; ok {
			out[id] = u
		}
	}
	return out, nil
}

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

type env struct {
	svc   *organizationsapp.Service
	store *organizationsmem.Store
	dir   *directory
	rec   *auditporttest.Recorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{store: organizationsmem.New(), dir: &directory{users: map[shared.UserID]identityport.UserSummary{}}, rec: &auditporttest.Recorder{}}
	var c platformport.Clock = &clock{now: t0}
	svc, err := organizationsapp.New(organizationsapp.Deps{
		UnitOfWork: e.store, Organizations: e.store, Directory: e.dir, Recorder: e.rec, Clock: c,
	})
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
