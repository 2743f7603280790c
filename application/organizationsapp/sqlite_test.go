package organizationsapp_test

import (
	"errors"
	"testing"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/application/organizationsapp"
	"github.com/secuird/authy/ports/organizationsport"
)

// count returns the rows of table.
func (e *env) count(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	if err := e.db.Gorm().Table(table).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// withAuditStore records in the audit store of the env's own database.
func withAuditStore(d *organizationsapp.Deps) {
	db := d.UnitOfWork.(*pgstore.DB)
	d.Recorder = auditapp.NewRecorder(auditpg.New(db), db, d.Clock, nil)
}

func TestAddMember_OnSQLiteAnInvitationWhoseMailFailsLeavesNeitherItNorItsAuditRecord(t *testing.T) {
	e := newEnv(t, withAuditStore)
	tm := newTeam(t, e)
	invitations, records := e.count(t, "organization_invitations"), e.count(t, "audit_logs")
	e.notifier.fail = errors.New("mail outbox refused")
	u := e.dir.Add("new@example.com", "New")
	if _, err := e.svc.AddMember(ctx, organizationsport.AddMemberCommand{Actor: tm.owner.ID, Organization: tm.org.ID, Email: u.Email}); err == nil {
		t.Fatal("an invitation whose mail cannot be queued must fail")
	}
	if n := e.count(t, "organization_invitations"); n != invitations {
		t.Fatalf("%d invitations stored, want %d: the invitation must roll back with its mail", n, invitations)
	}
	if n := e.count(t, "audit_logs"); n != records {
		t.Fatalf("%d audit records, want %d: organization.invitation_sent must roll back with the invitation", n, records)
	}
}
