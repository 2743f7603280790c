package sessionsapp_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/auditport"
)

// refusingAudit is an audit store that refuses every record.
type refusingAudit struct{}

func (refusingAudit) Record(context.Context, ...auditport.Event) error {
	return errors.New("audit store refused")
}

func TestRevoke_OnSQLiteARevocationWhoseAuditFailsKeepsTheSessionAndQueuesNoPurge(t *testing.T) {
	f := newFixture(t, func(d *sessionsapp.Deps) { d.Audit = refusingAudit{} })
	user := f.newUser(t)
	a, b := f.start(t, user), f.start(t, user)
	p := f.auth(t, a.Token)
	if err := f.svc.Revoke(ctxFrom("198.51.100.7", "ua"), p, b.Session.ID); err == nil {
		t.Fatal("a revocation whose audit record fails must fail")
	}
	if s := f.stored(t, b.Session.ID); s.Status() != sessions.StatusActive {
		t.Fatalf("the session is %v; the revocation must roll back with its audit record", s.Status())
	}
	if ps, err := f.store.PendingPurges(context.Background(), 10); err != nil || len(ps) != 0 {
		t.Fatalf("purges %v, %v: the cache purge must roll back with the revocation", ps, err)
	}
	f.auth(t, b.Token)
}
