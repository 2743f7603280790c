package identityapp_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

func asShared(err error, target **shared.Error) bool { return errors.As(err, target) }

func TestNew_RefusesMissingDependencies(t *testing.T) {
	_, err := identityapp.New(identityapp.Deps{})
	if err == nil || !strings.Contains(err.Error(), "missing dependency") {
		t.Fatalf("want a missing-dependency error, got %v", err)
	}
}

func TestRegister_CreatesTheUserAuditsAndNeverReturnsAHash(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "  Bob@Acme-Corp.com ", "UserPass123!")
	if v.Email != "bob@acme-corp.com" || v.Name != "Test User" || v.ID.IsZero() || !v.CreatedAt.Equal(t0) {
		t.Fatalf("unexpected view %+v", v)
	}
	stored, err := f.store.Get(context.Background(), v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(stored.PasswordHash().Encoded(), "current$") {
		t.Fatal("the password must be stored hashed through the port")
	}
	if got := f.audit.actions(); !reflect.DeepEqual(got, []string{"auth.register", "auth.email.verification_sent"}) {
		t.Fatalf("audit actions %v", got)
	}
	ev := f.audit.events[0]
	if ev.Action != "auth.register" || ev.ActorType != auditport.ActorUser || ev.TargetID != v.ID.String() || !ev.OccurredAt.Equal(t0) {
		t.Fatalf("unexpected audit event %+v", ev)
	}
	if v.EmailVerified || !v.EmailVerifiedAt.IsZero() {
		t.Fatal("a new account's email is unverified")
	}
	if f.meter.get(platformport.MetricRegistrations, "succeeded") != 1 {
		t.Fatal("registration not metered")
	}
}

func TestRegister_DuplicateEmailIgnoringCaseIsAConflict(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	_, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: " BOB@ACME-CORP.COM", Password: "Another pass 1", Name: "Bob"})
	if !errors.Is(err, identity.ErrEmailTaken) || shared.KindOf(err) != shared.KindConflict {
		t.Fatalf("want ErrEmailTaken, got %v", err)
	}
	if f.hasher.hashes != 1 {
		t.Fatalf("a known duplicate must not cost a hash (hashes=%d)", f.hasher.hashes)
	}
	if f.meter.get(platformport.MetricRegistrations, "failed") != 1 {
		t.Fatal("failed registration not metered")
	}
}

func TestRegister_ValidationNamesEveryField(t *testing.T) {
	tests := []struct {
		name   string
		cmd    identityport.RegisterCommand
		fields map[string][]string
	}{
		{"all missing", identityport.RegisterCommand{}, map[string][]string{
			"email": {"is required"}, "name": {"is required"}, "password": {"is required"}}},
		{"short password", identityport.RegisterCommand{Email: "a@b.co", Name: "A", Password: "short"}, map[string][]string{
			"password": {"must be at least 8 characters"}}},
		{"common password", identityport.RegisterCommand{Email: "a@b.co", Name: "A", Password: "Password123"}, map[string][]string{
			"password": {"is too common"}}},
		{"password is the email", identityport.RegisterCommand{Email: "alice@b.co", Name: "A", Password: "ALICE@b.co"}, map[string][]string{
			"password": {"must not be your email address"}}},
		{"bad email", identityport.RegisterCommand{Email: "not-an-email", Name: "A", Password: "UserPass123!"}, map[string][]string{
			"email": {"must be a valid email address"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, err := f.svc.Register(ctxFrom("192.0.2.10"), tt.cmd)
			if got := fieldsOf(t, err); !reflect.DeepEqual(got, tt.fields) {
				t.Fatalf("fields = %v, want %v", got, tt.fields)
			}
			if f.hasher.hashes != 0 || len(f.audit.actions()) != 0 {
				t.Fatal("an invalid registration must not hash or audit")
			}
		})
	}
}

type recordingListener struct {
	got []identityport.UserSummary
	err error
}

func (l *recordingListener) UserRegistered(_ context.Context, u identityport.UserSummary) error {
	l.got = append(l.got, u)
	return l.err
}

func TestRegister_CallsEveryListenerAndRollsBackWhenOneFails(t *testing.T) {
	f := newFixture(t)
	first, second := &recordingListener{}, &recordingListener{}
	f.svc.AddRegistrationListener(first)
	f.svc.AddRegistrationListener(second)
	v := f.register(t, "carol@example.com", "UserPass123!")
	if len(first.got) != 1 || len(second.got) != 1 || first.got[0].ID != v.ID || first.got[0].Email != "carol@example.com" {
		t.Fatalf("listeners not called with the new user: %+v %+v", first.got, second.got)
	}

	second.err = shared.Conflict("organizations.broken", "listener refused")
	_, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: "dave@example.com", Password: "UserPass123!", Name: "Dave"})
	if !errors.Is(err, second.err) {
		t.Fatalf("want the listener's error, got %v", err)
	}
	if _, err := f.store.FindByEmail(context.Background(), mustEmail(t, "dave@example.com")); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatal("a registration whose listener failed must roll back")
	}
}

func TestRegister_RateLimitedPerIP(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.RegisterPerIP = platformport.Limit{Max: 2, Window: time.Hour}
	})
	for i := 0; i < 2; i++ {
		f.register(t, uuid.NewString()[:8]+"@example.com", "UserPass123!")
	}
	_, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: "third@example.com", Password: "UserPass123!", Name: "T"})
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || se.RetryAfter() <= 0 {
		t.Fatalf("want a rate limit with a retry delay, got %v", err)
	}
	if f.meter.get(platformport.MetricRateLimited, "register") != 1 {
		t.Fatal("rate limit not metered")
	}
	if _, err := f.svc.Register(ctxFrom("192.0.2.99"), identityport.RegisterCommand{Email: "third@example.com", Password: "UserPass123!", Name: "T"}); err != nil {
		t.Fatalf("another IP has its own budget: %v", err)
	}
}

func TestLogin_StartsASessionAndAuditsIt(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, " BOB@acme-corp.com", "UserPass123!")
	if res.User.ID != v.ID || res.Session.Token == "" || len(f.sessions.starts) != 1 || f.sessions.starts[0].User != v.ID {
		t.Fatalf("unexpected login result %+v / starts %+v", res, f.sessions.starts)
	}
	ev := f.audit.last(t)
	if ev.Action != "auth.login.succeeded" || ev.ActorID != v.ID.String() || ev.Details["session_id"] != res.Session.Session.ID.String() {
		t.Fatalf("unexpected audit event %+v", ev)
	}
	if f.meter.get(platformport.MetricLogins, "succeeded") != 1 {
		t.Fatal("login not metered")
	}
}

func TestLogin_UnknownEmailAnswersLikeWrongPassword(t *testing.T) {
	f := newFixture(t)
	v := f.register(t, "bob@acme-corp.com", "UserPass123!")
	before := f.hasher.work()
	_, errUnknown := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "nobody@acme-corp.com", Password: "UserPass123!"})
	workUnknown := f.hasher.work() - before
	unknownEvent := f.audit.last(t)

	before = f.hasher.work()
	_, errWrong := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "Wrong pass 99"})
	workWrong := f.hasher.work() - before
	wrongEvent := f.audit.last(t)

	for _, err := range []error{errUnknown, errWrong} {
		var se *shared.Error
		if !errors.As(err, &se) || se.Code() != "identity.invalid_credentials" || se.Kind() != shared.KindUnauthenticated {
			t.Fatalf("want the invalid-credentials error, got %v", err)
		}
	}
	if errUnknown.Error() != errWrong.Error() {
		t.Fatalf("the two failures must be indistinguishable: %q vs %q", errUnknown, errWrong)
	}
	if workUnknown != 1 || workWrong != 1 || f.hasher.dummies != 1 {
		t.Fatalf("both paths must verify exactly once (unknown=%d wrong=%d dummies=%d)", workUnknown, workWrong, f.hasher.dummies)
	}
	if unknownEvent.Action != "auth.login.failed" || unknownEvent.Details["reason"] != "unknown_email" || unknownEvent.TargetID != "" || unknownEvent.ActorType != auditport.ActorAnonymous {
		t.Fatalf("unexpected unknown-email event %+v", unknownEvent)
	}
	if wrongEvent.Details["reason"] != "wrong_password" || wrongEvent.TargetID != v.ID.String() {
		t.Fatalf("unexpected wrong-password event %+v", wrongEvent)
	}
	for _, ev := range []auditport.Event{unknownEvent, wrongEvent} {
		for k, val := range ev.Details {
			if s, ok := val.(string); ok && (strings.Contains(s, "UserPass123!") || strings.Contains(s, "Wrong pass 99") || strings.Contains(s, "@")) {
				t.Fatalf("audit details leak credentials: %s=%v", k, val)
			}
		}
	}
	if f.meter.get(platformport.MetricLogins, "failed") != 2 || len(f.sessions.starts) != 0 {
		t.Fatal("failures must be metered and start no session")
	}
}

func TestLogin_MissingFieldsAreValidationErrors(t *testing.T) {
	f := newFixture(t)
	_, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: " "})
	got := fieldsOf(t, err)
	if len(got["email"]) == 0 || len(got["password"]) == 0 {
		t.Fatalf("fields = %v", got)
	}
}

func TestLogin_FailuresFromEveryClientRefuseUnknownClientsEvenWithTheRightPassword(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 3, Window: 15 * time.Minute}
		d.Limits.LoginPerIP = platformport.Limit{Max: 100, Window: time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	for i := 0; i < 3; i++ {
		if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "guess"}); !errors.Is(err, identity.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	work, records := f.hasher.work(), len(f.audit.actions())
	// The account never signed in from this client, so even the right
	// password is refused while the account-wide budget is spent, without
	// costing a hash or an audit record of its own.
	_, err := f.svc.Login(ctxFrom("198.51.100.7"), identityport.LoginCommand{Email: "BOB@acme-corp.com", Password: "UserPass123!"})
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || se.RetryAfter() <= 0 || se.RetryAfter() > 15*time.Minute {
		t.Fatalf("want a rate limit, got %v", err)
	}
	if f.hasher.work() != work || len(f.audit.actions()) != records {
		t.Fatal("a refused attempt must cost no hash and no audit write")
	}
	if f.meter.get(platformport.MetricRateLimited, "login") != 1 {
		t.Fatal("rate limit not metered")
	}
	f.now = f.now.Add(16 * time.Minute)
	f.login(t, "bob@acme-corp.com", "UserPass123!")
}

func TestLogin_UnknownEmailsSpendTheirOwnBudgetToo(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 2, Window: 15 * time.Minute}
	})
	for i := 0; i < 2; i++ {
		_, _ = f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "ghost@example.com", Password: "whatever1"})
	}
	_, err := f.svc.Login(ctxFrom("192.0.2.21"), identityport.LoginCommand{Email: "ghost@example.com", Password: "whatever1"})
	if shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("an unknown email must be limited like a known one, got %v", err)
	}
}

func TestLogin_SuccessClearsTheFailureCount(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 2, Window: 15 * time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	_, _ = f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "guess123"})
	f.login(t, "bob@acme-corp.com", "UserPass123!")
	_, _ = f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "guess123"})
	f.login(t, "bob@acme-corp.com", "UserPass123!")
}

func TestLogin_RateLimitedPerIP(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginPerIP = platformport.Limit{Max: 2, Window: time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	f.login(t, "bob@acme-corp.com", "UserPass123!")
	f.login(t, "bob@acme-corp.com", "UserPass123!")
	_, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"})
	if shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("want a rate limit, got %v", err)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.30"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"}); err != nil {
		t.Fatalf("another IP has its own budget: %v", err)
	}
}

func TestLogin_LegacyHashIsUpgradedAtTheNextSuccessfulLogin(t *testing.T) {
	f := newFixture(t)
	email := mustEmail(t, "legacy@example.com")
	name, _ := identity.ParseName("Legacy")
	u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHashFromEncoded("legacy$"+digest("OldPass 2019")), t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "legacy@example.com", Password: "nope nope"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("wrong password: %v", err)
	}
	stored, _ := f.store.Get(context.Background(), u.ID())
	if !strings.HasPrefix(stored.PasswordHash().Encoded(), "legacy$") {
		t.Fatal("a failed login must not touch the hash")
	}
	f.login(t, "legacy@example.com", "OldPass 2019")
	stored, _ = f.store.Get(context.Background(), u.ID())
	if !strings.HasPrefix(stored.PasswordHash().Encoded(), "current$") {
		t.Fatalf("hash not upgraded: %s", stored.PasswordHash().Encoded())
	}
	if f.audit.last(t).Details["password_rehashed"] != true {
		t.Fatal("the upgrade should be visible in the login's audit record")
	}
	f.login(t, "legacy@example.com", "OldPass 2019")
}

func TestLogin_BusyHasherPostponesTheUpgradeButNotTheLogin(t *testing.T) {
	f := newFixture(t)
	email := mustEmail(t, "legacy2@example.com")
	name, _ := identity.ParseName("Legacy")
	u, _ := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHashFromEncoded("legacy$"+digest("OldPass 2019")), t0)
	_ = f.store.Add(context.Background(), u)
	f.hasher.busy = true
	f.login(t, "legacy2@example.com", "OldPass 2019")
	stored, _ := f.store.Get(context.Background(), u.ID())
	if !strings.HasPrefix(stored.PasswordHash().Encoded(), "legacy$") {
		t.Fatal("the hash must stay as it was when the upgrade could not be computed")
	}
}

func TestLogin_SessionFailureRollsBackAndAuditsNothing(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	f.sessions.fail = shared.Unavailable("sessions.store_down", "down")
	n := len(f.audit.actions())
	_, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"})
	if shared.KindOf(err) != shared.KindUnavailable {
		t.Fatalf("want the sessions error, got %v", err)
	}
	if len(f.audit.actions()) != n {
		t.Fatal("no success may be audited when the session did not start")
	}
}

func TestMe_ReturnsThePrincipalsAccount(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	v, err := f.svc.Me(context.Background(), principal(res))
	if err != nil || v.ID != res.User.ID || v.Email != "bob@acme-corp.com" {
		t.Fatalf("Me = %+v, %v", v, err)
	}
	if _, err := f.svc.Me(context.Background(), sessionsport.Principal{UserID: shared.UserID(uuid.New())}); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("unknown principal: %v", err)
	}
}

func TestUpdateProfile_ChangesTheNameAtOnceAndAuditsTheField(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	f.now = t0.Add(time.Hour)
	name := "Robert"
	out, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Name: &name})
	if err != nil {
		t.Fatal(err)
	}
	if v := out.User; v.Name != "Robert" || v.Email != "bob@acme-corp.com" || !v.UpdatedAt.Equal(f.now) || out.PendingEmail != "" {
		t.Fatalf("unexpected result %+v", out)
	}
	ev := f.audit.last(t)
	if ev.Action != "user.profile.updated" || !reflect.DeepEqual(ev.Details["fields"], []string{"name"}) {
		t.Fatalf("unexpected audit event %+v", ev)
	}
	n := len(f.audit.actions())
	if _, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Name: &name}); err != nil {
		t.Fatal(err)
	}
	if len(f.audit.actions()) != n {
		t.Fatal("a change to the same value must not be audited")
	}
}

func TestUpdateProfile_RefusesInvalidValuesAndTakesOwnEmailAsNoChange(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@example.com", "UserPass123!")
	res := f.login(t, "bob@example.com", "UserPass123!")
	own := "BOB@example.com"
	mails := len(f.mail.all())
	out, err := f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &own})
	if err != nil || out.PendingEmail != "" || len(f.mail.all()) != mails {
		t.Fatalf("another spelling of one's own email changes nothing and mails no one: %+v %v", out, err)
	}
	bad, empty := "nope", " "
	_, err = f.svc.UpdateProfile(ctxFrom("192.0.2.20"), principal(res), identityport.UpdateProfileCommand{Email: &bad, Name: &empty})
	got := fieldsOf(t, err)
	if len(got["email"]) == 0 || len(got["name"]) == 0 {
		t.Fatalf("fields = %v", got)
	}
}

func TestChangePassword_RevokesOtherSessionsKeepsTheCurrentAndAudits(t *testing.T) {
	f := newFixture(t)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	f.sessions.revoked = 2
	out, err := f.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "A much better passphrase"})
	if err != nil {
		t.Fatal(err)
	}
	if out.SessionsRevoked != 2 {
		t.Fatalf("SessionsRevoked = %d", out.SessionsRevoked)
	}
	want := []revokeCall{{User: res.User.ID, Keep: res.Session.Session.ID, Reason: "password_changed"}}
	if !reflect.DeepEqual(f.sessions.revokes, want) {
		t.Fatalf("revokes = %+v, want %+v", f.sessions.revokes, want)
	}
	ev := f.audit.last(t)
	if ev.Action != "user.password.changed" || ev.Details["sessions_revoked"] != 2 || ev.ActorID != res.User.ID.String() {
		t.Fatalf("unexpected audit event %+v", ev)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("the old password must no longer work: %v", err)
	}
	f.login(t, "bob@acme-corp.com", "A much better passphrase")
}

func TestChangePassword_RefusesAWrongCurrentPasswordAndBadNewOnes(t *testing.T) {
	tests := []struct {
		name    string
		cmd     identityport.ChangePasswordCommand
		code    string
		fields  []string
		hashing bool
	}{
		{"wrong current", identityport.ChangePasswordCommand{CurrentPassword: "Not it at all", NewPassword: "Fresh passphrase 1"}, "identity.wrong_password", []string{"current_password"}, true},
		{"missing current", identityport.ChangePasswordCommand{NewPassword: "Fresh passphrase 1"}, "identity.invalid_input", []string{"current_password"}, false},
		{"short new", identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "short"}, "identity.invalid_input", []string{"new_password"}, false},
		{"common new", identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "password123"}, "identity.invalid_input", []string{"new_password"}, false},
		{"same as current", identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "UserPass123!"}, "identity.invalid_input", []string{"new_password"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.register(t, "bob@acme-corp.com", "UserPass123!")
			res := f.login(t, "bob@acme-corp.com", "UserPass123!")
			work := f.hasher.work()
			_, err := f.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), tt.cmd)
			var se *shared.Error
			if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || se.Code() != tt.code {
				t.Fatalf("want %s, got %v", tt.code, err)
			}
			for _, field := range tt.fields {
				if len(se.Fields()[field]) == 0 {
					t.Fatalf("no reason for %s in %v", field, se.Fields())
				}
			}
			if (f.hasher.work() > work) != tt.hashing {
				t.Fatal("validation must come before the costly verification")
			}
			if len(f.sessions.revokes) != 0 {
				t.Fatal("a refused change must revoke nothing")
			}
			f.login(t, "bob@acme-corp.com", "UserPass123!")
		})
	}
}

func TestChangePassword_RateLimitedPerUser(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.PasswordChangePerUser = platformport.Limit{Max: 2, Window: time.Hour}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	for i := 0; i < 2; i++ {
		_, _ = f.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), identityport.ChangePasswordCommand{CurrentPassword: "guess guess", NewPassword: "Fresh passphrase 1"})
	}
	work := f.hasher.work()
	_, err := f.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "Fresh passphrase 1"})
	if shared.KindOf(err) != shared.KindRateLimited || f.hasher.work() != work {
		t.Fatalf("want a rate limit without hashing, got %v", err)
	}
	if f.meter.get(platformport.MetricRateLimited, "password") != 1 {
		t.Fatal("rate limit not metered")
	}
}

// raceUsers lets a test change the stored hash between the verification of
// the current password and the update that relies on it.
type raceUsers struct {
	identityport.UserRepository
	between func()
}

func (r *raceUsers) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	u, err := r.UserRepository.Get(ctx, id)
	if r.between != nil {
		b := r.between
		r.between = nil
		b()
	}
	return u, err
}

func TestChangePassword_ConcurrentChangeWithTheSameCurrentPasswordLoses(t *testing.T) {
	f := newFixture(t)
	races := &raceUsers{UserRepository: f.store}
	f2 := newFixtureOn(t, f.db, func(d *identityapp.Deps) { d.Users = races })
	f2.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f2.login(t, "bob@acme-corp.com", "UserPass123!")
	races.between = func() {
		if _, err := f2.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "The first one wins"}); err != nil {
			t.Errorf("first change: %v", err)
		}
	}
	_, err := f2.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(res), identityport.ChangePasswordCommand{CurrentPassword: "UserPass123!", NewPassword: "The second one loses"})
	if !errors.Is(err, identity.ErrPasswordChangedConcurrently) {
		t.Fatalf("want ErrPasswordChangedConcurrently, got %v", err)
	}
	f2.login(t, "bob@acme-corp.com", "The first one wins")
}

type recordingGuard struct {
	calls []shared.UserID
	err   error
}

func (g *recordingGuard) BeforeAccountDeletion(_ context.Context, id shared.UserID) error {
	g.calls = append(g.calls, id)
	return g.err
}

func TestDeleteAccount_RevokesEverySessionAndTheEmailCanNoLongerLogIn(t *testing.T) {
	f := newFixture(t)
	guard := &recordingGuard{}
	f.svc.SetDeletionGuard(guard)
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	f.sessions.revoked = 3
	if err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "UserPass123!"}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(guard.calls, []shared.UserID{res.User.ID}) {
		t.Fatalf("guard calls = %v", guard.calls)
	}
	want := []revokeCall{{User: res.User.ID, Keep: uuid.Nil, Reason: "account_deleted"}}
	if !reflect.DeepEqual(f.sessions.revokes, want) {
		t.Fatalf("revokes = %+v", f.sessions.revokes)
	}
	ev := f.audit.last(t)
	if ev.Action != "user.deleted" || ev.TargetID != res.User.ID.String() || ev.Details["sessions_revoked"] != 3 {
		t.Fatalf("unexpected audit event %+v", ev)
	}
	if _, err := f.svc.Login(ctxFrom("192.0.2.20"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"}); !errors.Is(err, identity.ErrInvalidCredentials) {
		t.Fatalf("a deleted account must not log in: %v", err)
	}
	if _, err := f.svc.Me(context.Background(), principal(res)); !errors.Is(err, identity.ErrUserNotFound) {
		t.Fatalf("a deleted account is not found: %v", err)
	}
	f.register(t, "BOB@acme-corp.com", "UserPass123!")
}

func TestDeleteAccount_GuardRefusalKeepsTheAccount(t *testing.T) {
	f := newFixture(t)
	sole := shared.Conflict("organizations.sole_owner", "transfer ownership first")
	f.svc.SetDeletionGuard(&recordingGuard{err: sole})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	res := f.login(t, "bob@acme-corp.com", "UserPass123!")
	if err := f.svc.DeleteAccount(ctxFrom("192.0.2.20"), principal(res), identityport.DeleteAccountCommand{CurrentPassword: "UserPass123!"}); !errors.Is(err, sole) {
		t.Fatalf("want the guard's conflict, got %v", err)
	}
	if len(f.sessions.revokes) != 0 {
		t.Fatal("a refused deletion revokes nothing")
	}
	f.login(t, "bob@acme-corp.com", "UserPass123!")
}

func TestDirectory_FindsByEmailIgnoringCaseAndGetsMany(t *testing.T) {
	f := newFixture(t)
	a := f.register(t, "alice@example.com", "UserPass123!")
	b := f.register(t, "bob@example.com", "UserPass123!")
	got, err := f.svc.FindByEmail(context.Background(), "  ALICE@example.com ")
	if err != nil || got.ID != a.ID || got.Email != "alice@example.com" {
		t.Fatalf("FindByEmail = %+v, %v", got, err)
	}
	for _, missing := range []string{"nobody@example.com", "not an email"} {
		if _, err := f.svc.FindByEmail(context.Background(), missing); !errors.Is(err, identity.ErrUserNotFound) {
			t.Fatalf("FindByEmail(%q): %v", missing, err)
		}
	}
	many, err := f.svc.GetMany(context.Background(), []shared.UserID{a.ID, b.ID, a.ID, shared.UserID(uuid.New())})
	if err != nil || len(many) != 2 || many[b.ID].Email != "bob@example.com" {
		t.Fatalf("GetMany = %+v, %v", many, err)
	}
	empty, err := f.svc.GetMany(context.Background(), nil)
	if err != nil || len(empty) != 0 {
		t.Fatalf("GetMany(nil) = %v, %v", empty, err)
	}
}

func mustEmail(t *testing.T, s string) identity.Email {
	t.Helper()
	e, reason := identity.ParseEmail(s)
	if reason != "" {
		t.Fatal(reason)
	}
	return e
}
