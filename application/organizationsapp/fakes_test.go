package organizationsapp_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/organizationsmem"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/platformport"
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

type env struct {
	svc   *organizationsapp.Service
	store *organizationsmem.Store
	dir   *identityporttest.Directory
	rec   *auditporttest.Recorder
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{store: organizationsmem.New(), dir: identityporttest.NewDirectory(), rec: &auditporttest.Recorder{}}
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
