package identityapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/tests/testenv"
)

// sqliteAccounts runs the service on the real stores of one SQLite file:
// users, tokens and the mail outbox join one transaction, so a rollback
// across them is observable.
type sqliteAccounts struct {
	*fixture
	users  *identitypg.Store
	outbox *mailpg.Outbox
	failOn *failingAudit
}

// failingAudit records like fakeAudit but fails the action it is told to,
// inside the unit of work that records it.
type failingAudit struct {
	fakeAudit
	mu     sync.Mutex
	action string
}

func (a *failingAudit) Record(ctx context.Context, events ...auditport.Event) error {
	a.mu.Lock()
	fail := a.action
	a.mu.Unlock()
	for _, e := range events {
		if fail != "" && e.Action == fail {
			return errors.New("audit store refused")
		}
	}
	return a.fakeAudit.Record(ctx, events...)
}

func newSQLiteAccounts(t *testing.T) *sqliteAccounts {
	t.Helper()
	db := testenv.SQLite(t)
	kr, err := security.NewKeyring("encryption", "an encryption key of at least thirty-two bytes")
	if err != nil {
		t.Fatal(err)
	}
	s := &sqliteAccounts{users: identitypg.New(db), outbox: mailpg.New(db), failOn: &failingAudit{}}
	s.fixture = newFixtureOn(t, db, func(d *identityapp.Deps) {
		mail, err := mailapp.NewService(mailapp.Deps{Outbox: s.outbox, Sealer: kr, UnitOfWork: db, Clock: d.Clock})
		if err != nil {
			t.Fatal(err)
		}
		d.Users, d.Tokens, d.Mail, d.Audit = s.users, s.users.Tokens(), mail, s.failOn
	})
	return s
}

func (s *sqliteAccounts) queued(t *testing.T) int {
	t.Helper()
	b, err := s.outbox.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Pending
}

func TestRegister_OnSQLiteTheAccountAndItsVerificationMailCommitTogether(t *testing.T) {
	s := newSQLiteAccounts(t)
	s.register(t, "ada@example.com", "UserPass123!")
	if n := s.queued(t); n != 1 {
		t.Fatalf("%d mails queued, want the verification", n)
	}
	s.failOn.action = "auth.email.verification_sent"
	_, err := s.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: "bob@example.com", Password: "UserPass123!", Name: "Bob"})
	if err == nil {
		t.Fatal("the failing audit must fail the registration")
	}
	if _, err := s.users.FindByEmail(context.Background(), mustEmail(t, "bob@example.com")); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("the account must roll back: %v", err)
	}
	if n := s.queued(t); n != 1 {
		t.Fatalf("%d mails queued: the rolled-back registration's mail must go with it", n)
	}
}

func TestUpdateProfile_OnSQLiteAnEmailChangeQueuesItsTwoMailsOrNone(t *testing.T) {
	s := newSQLiteAccounts(t)
	s.register(t, "ada@example.com", "UserPass123!")
	res := s.login(t, "ada@example.com", "UserPass123!")
	name, email := "Ada L", "ada.new@example.com"
	s.failOn.action = "user.email.change_requested"
	_, err := s.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Name: &name, Email: &email, CurrentPassword: "UserPass123!"})
	if err == nil {
		t.Fatal("the failing audit must fail the change")
	}
	u, err := s.users.Get(context.Background(), res.User.ID)
	if err != nil || u.Name().String() != "Test User" || s.queued(t) != 1 {
		t.Fatalf("a failed change must leave the name and queue nothing: %v, %d queued", err, s.queued(t))
	}
	s.failOn.action = ""
	if _, err := s.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Name: &name, Email: &email, CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	if n := s.queued(t); n != 3 {
		t.Fatalf("%d mails queued, want the verification, the confirmation and the notice", n)
	}
}

func TestVerifyEmail_OnSQLiteTwoRacingUsesOfOneTokenVerifyOnce(t *testing.T) {
	s := newSQLiteAccounts(t)
	v := s.register(t, "ada@example.com", "UserPass123!")
	token := s.mailToken(t, v.ID)
	const n = 6
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.svc.VerifyEmail(ctxFrom("192.0.2.40"), identityport.VerifyEmailCommand{Token: token})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	ok, used := 0, 0
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, identity.ErrTokenUsed):
			used++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if ok != 1 || used != n-1 {
		t.Fatalf("%d verified, %d used; want 1 and %d", ok, used, n-1)
	}
	verified := 0
	for _, a := range s.failOn.actions() {
		if a == "auth.email.verified" {
			verified++
		}
	}
	if verified != 1 {
		t.Fatalf("%d verifications audited, want 1", verified)
	}
}

// mailToken issues a verification token for user the way Resend does and
// returns it: the outbox seals the mail's data, so the test reads no link
// from it.
func (s *sqliteAccounts) mailToken(t *testing.T, user shared.UserID) string {
	t.Helper()
	secret, hash, err := s.links.New()
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.users.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := identity.NewToken(uuid.New(), user, identity.PurposeVerifyEmail, hash, u.Email(), uuid.Nil, s.now)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.users.Tokens().Add(context.Background(), tk); err != nil {
		t.Fatal(err)
	}
	return secret
}

func TestRegister_OnSQLiteAMailThatCannotBeQueuedTakesTheAccountAndItsAuditRecordBack(t *testing.T) {
	db := testenv.SQLite(t)
	f := newFixtureOn(t, db, func(d *identityapp.Deps) {
		d.Audit = auditapp.NewRecorder(auditpg.New(db), db, d.Clock, nil)
	})
	f.register(t, "ada@example.com", "UserPass123!")
	records := func() int64 {
		t.Helper()
		var n int64
		if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs`).Scan(&n).Error; err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := records()
	if before == 0 {
		t.Fatal("the registration that committed must have written its audit records")
	}
	f.mail.fail = errors.New("mail outbox refused")
	if _, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: "bob@example.com", Password: "UserPass123!", Name: "Bob"}); err == nil {
		t.Fatal("a verification mail that cannot be queued must fail the registration")
	}
	if _, err := f.store.FindByEmail(context.Background(), mustEmail(t, "bob@example.com")); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("the account must roll back with its mail: %v", err)
	}
	if n := records(); n != before {
		t.Fatalf("%d audit records, want %d: user.registered must roll back with the account", n, before)
	}
}
