package identityapp_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

// readCountingUsers counts every read of the user repository.
type readCountingUsers struct {
	identityport.UserRepository
	mu    sync.Mutex
	reads int
}

func (c *readCountingUsers) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.reads
}

func (c *readCountingUsers) read() {
	c.mu.Lock()
	c.reads++
	c.mu.Unlock()
}

func (c *readCountingUsers) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	c.read()
	return c.UserRepository.Get(ctx, id)
}

func (c *readCountingUsers) FindByEmail(ctx context.Context, e identity.Email) (*identity.User, error) {
	c.read()
	return c.UserRepository.FindByEmail(ctx, e)
}

func (c *readCountingUsers) GetMany(ctx context.Context, ids []shared.UserID) ([]*identity.User, error) {
	c.read()
	return c.UserRepository.GetMany(ctx, ids)
}

func loginFrom(f *fixture, ip, email, password string) error {
	_, err := f.svc.Login(ctxFrom(ip), identityport.LoginCommand{Email: email, Password: password})
	return err
}

func wantRateLimited(t *testing.T, err error, what string) {
	t.Helper()
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || se.RetryAfter() <= 0 {
		t.Fatalf("%s: want 429 with a retry delay, got %v", what, err)
	}
}

func refusalRecords(f *fixture, action string) []auditport.Event {
	f.audit.mu.Lock()
	defer f.audit.mu.Unlock()
	var out []auditport.Event
	for _, e := range f.audit.events {
		if e.Action == action {
			out = append(out, e)
		}
	}
	return out
}

func TestLogin_TheOwnersRightPasswordFromTheirUsualClientPassesWhileAnAttackerFailsFromFiftyClients(t *testing.T) {
	f := newFixture(t) // the default limits
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	if err := loginFrom(f, "192.0.2.20", "bob@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(time.Hour)
	failures, refused := 0, 0
	for i := 0; i < 50; i++ {
		ip := fmt.Sprintf("198.51.100.%d", i+1)
		if i%2 == 1 {
			ip = fmt.Sprintf("2001:db8:%x::1", i)
		}
		switch err := loginFrom(f, ip, "bob@acme-corp.com", fmt.Sprintf("guess %d", i)); {
		case errors.Is(err, identity.ErrInvalidCredentials):
			failures++
		case shared.KindOf(err) == shared.KindRateLimited:
			refused++
		default:
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	if failures != 20 || refused != 30 {
		t.Fatalf("failures=%d refused=%d: want the account-wide budget (20) spent, then unknown clients refused", failures, refused)
	}
	if err := loginFrom(f, "192.0.2.20", "BOB@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatalf("the owner's right password from their usual client must pass: %v", err)
	}
	// The attacker, even holding the password, is refused from a new client.
	wantRateLimited(t, loginFrom(f, "203.0.113.66", "bob@acme-corp.com", "UserPass123!"), "an unknown client")
	wantRateLimited(t, loginFrom(f, "2001:db8:1::9", "bob@acme-corp.com", "UserPass123!"), "an attacker's client")
}

func TestLogin_FailuresFromOneClientRefuseThatClientForThatAccountOnly(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginFailuresPerAccountClient = platformport.Limit{Max: 5, Window: 15 * time.Minute}
		d.Limits.LoginPerIP = platformport.Limit{Max: 100, Window: time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	f.register(t, "alice@acme-corp.com", "UserPass123!")
	for i := 0; i < 5; i++ {
		// Addresses of one /64 are one client.
		ip := fmt.Sprintf("2001:db8:5:6::%x", i+1)
		if err := loginFrom(f, ip, "bob@acme-corp.com", "guess"); !errors.Is(err, identity.ErrInvalidCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	work := f.hasher.work()
	wantRateLimited(t, loginFrom(f, "2001:db8:5:6::ff", "bob@acme-corp.com", "UserPass123!"), "the guessing client")
	if f.hasher.work() != work {
		t.Fatal("a refused attempt must not cost a hash")
	}
	if err := loginFrom(f, "2001:db8:5:6::ff", "alice@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatalf("the client's budget on another account is its own: %v", err)
	}
	if err := loginFrom(f, "192.0.2.20", "bob@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatalf("another client of the account is not refused: %v", err)
	}
	f.now = f.now.Add(16 * time.Minute)
	if err := loginFrom(f, "2001:db8:5:6::ff", "bob@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatalf("the window passed: %v", err)
	}
}

func TestLogin_AClientIsKnownToAnAccountOnlyForKnownClientTTL(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 3, Window: 15 * time.Minute}
		d.Limits.KnownClientTTL = 24 * time.Hour
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	if err := loginFrom(f, "192.0.2.20", "bob@acme-corp.com", "UserPass123!"); err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(25 * time.Hour)
	for i := 0; i < 3; i++ {
		_ = loginFrom(f, fmt.Sprintf("198.51.100.%d", i+1), "bob@acme-corp.com", "guess")
	}
	wantRateLimited(t, loginFrom(f, "192.0.2.20", "bob@acme-corp.com", "UserPass123!"), "a client forgotten after its TTL")
}

func TestLogin_ARefusedAttemptReadsNoUserAndWritesOneSummaryRecordPerKeyAndWindow(t *testing.T) {
	users := &readCountingUsers{}
	f := newFixture(t, func(d *identityapp.Deps) {
		users.UserRepository = d.Users
		d.Users = users
		d.Limits.LoginFailuresPerAccountClient = platformport.Limit{Max: 2, Window: 15 * time.Minute}
		d.Limits.LoginPerIP = platformport.Limit{Max: 1000, Window: time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	for i := 0; i < 2; i++ {
		_ = loginFrom(f, "203.0.113.5", "bob@acme-corp.com", "guess")
		_ = loginFrom(f, "203.0.113.5", "nobody@acme-corp.com", "guess")
	}
	reads, records, work := users.count(), len(f.audit.actions()), f.hasher.work()
	for i := 0; i < 30; i++ {
		wantRateLimited(t, loginFrom(f, "203.0.113.5", "bob@acme-corp.com", "UserPass123!"), "a spent pair")
	}
	for i := 0; i < 2; i++ {
		wantRateLimited(t, loginFrom(f, "203.0.113.5", "nobody@acme-corp.com", "guess"), "another spent pair")
	}
	if users.count() != reads || len(f.audit.actions()) != records || f.hasher.work() != work {
		t.Fatalf("refused attempts cost reads=%d audit=%d hashes=%d, want none",
			users.count()-reads, len(f.audit.actions())-records, f.hasher.work()-work)
	}
	if f.meter.get(platformport.MetricRateLimited, "login") != 32 {
		t.Fatalf("every refusal is metered: %d", f.meter.get(platformport.MetricRateLimited, "login"))
	}

	// Nothing is written while the window is open.
	if n, err := f.svc.RecordRefusals(context.Background()); err != nil || n != 0 {
		t.Fatalf("RecordRefusals during the window = %d, %v", n, err)
	}
	f.now = f.now.Add(identityapp.RefusalWindow)
	n, err := f.svc.RecordRefusals(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("RecordRefusals = %d, %v; want one record per limited key", n, err)
	}
	got := map[string]int{}
	for _, ev := range refusalRecords(f, "auth.login.rate_limited") {
		if ev.ActorType != auditport.ActorAnonymous || ev.Details["limit"] != "login_account_client" || ev.Details["client"] != "203.0.113.5" {
			t.Fatalf("unexpected refusal record %+v", ev)
		}
		acct, _ := ev.Details["account"].(string)
		got[acct] = ev.Details["refused"].(int)
		for _, v := range ev.Details {
			if s, ok := v.(string); ok && (s == "UserPass123!" || s == "guess" || strings.Contains(s, "@")) {
				t.Fatalf("a refusal record must carry no credentials: %+v", ev.Details)
			}
		}
	}
	if len(got) != 2 {
		t.Fatalf("want two accounts summarised, got %v", got)
	}
	counts := []int{}
	for _, c := range got {
		counts = append(counts, c)
	}
	if !(counts[0] == 30 && counts[1] == 2 || counts[0] == 2 && counts[1] == 30) {
		t.Fatalf("refused counts = %v, want 30 and 2", got)
	}
	if n, err := f.svc.RecordRefusals(context.Background()); err != nil || n != 0 {
		t.Fatalf("a window is summarised once: %d, %v", n, err)
	}
}

func TestRegister_ARefusedRegistrationReadsNothingAndIsSummarised(t *testing.T) {
	users := &readCountingUsers{}
	f := newFixture(t, func(d *identityapp.Deps) {
		users.UserRepository = d.Users
		d.Users = users
		d.Limits.RegisterPerIP = platformport.Limit{Max: 1, Window: time.Hour}
	})
	f.register(t, "first@example.com", "UserPass123!")
	reads, records := users.count(), len(f.audit.actions())
	for i := 0; i < 7; i++ {
		_, err := f.svc.Register(ctxFrom("192.0.2.10"), identityport.RegisterCommand{Email: fmt.Sprintf("r%d@example.com", i), Password: "UserPass123!", Name: "R"})
		wantRateLimited(t, err, "registration")
	}
	if users.count() != reads || len(f.audit.actions()) != records {
		t.Fatal("a refused registration must read no user and write no audit record")
	}
	f.now = f.now.Add(identityapp.RefusalWindow)
	if n, err := f.svc.RecordRefusals(context.Background()); err != nil || n != 1 {
		t.Fatalf("RecordRefusals = %d, %v", n, err)
	}
	ev := f.audit.last(t)
	if ev.Action != "auth.register.rate_limited" || ev.Details["refused"] != 7 || ev.Details["client"] != "192.0.2.10" || ev.Details["limit"] != "register_client" {
		t.Fatalf("unexpected summary %+v", ev)
	}
}

func TestChangePassword_AStolenSessionThatSpentItsBudgetDoesNotBlockTheOwnersOtherSession(t *testing.T) {
	f := newFixture(t) // the default limits: 5 per session and per user+client, 20 per user
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	owner := f.login(t, "bob@acme-corp.com", "UserPass123!") // from 192.0.2.20
	stolen, err := f.svc.Login(ctxFrom("203.0.113.9"), identityport.LoginCommand{Email: "bob@acme-corp.com", Password: "UserPass123!"})
	if err != nil {
		t.Fatal(err)
	}
	guess := identityport.ChangePasswordCommand{CurrentPassword: "guess guess", NewPassword: "Attacker passphrase 1"}
	for i := 0; i < 5; i++ {
		if _, err := f.svc.ChangePassword(ctxFrom("203.0.113.9"), principal(stolen), guess); shared.KindOf(err) != shared.KindInvalid {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	_, err = f.svc.ChangePassword(ctxFrom("203.0.113.9"), principal(stolen), guess)
	wantRateLimited(t, err, "the stolen session")
	// The same session from another address is still that session.
	_, err = f.svc.ChangePassword(ctxFrom("198.51.100.200"), principal(stolen), guess)
	wantRateLimited(t, err, "the stolen session elsewhere")

	if _, err := f.svc.ChangePassword(ctxFrom("192.0.2.20"), principal(owner), identityport.ChangePasswordCommand{
		CurrentPassword: "UserPass123!", NewPassword: "Owner passphrase 2",
	}); err != nil {
		t.Fatalf("the owner's session on their own client must still change the password: %v", err)
	}
}

func TestChangePassword_OneClientIsLimitedPerUserWhateverTheSession(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.PasswordChangePerSession = platformport.Limit{Max: 2, Window: time.Hour}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	guess := identityport.ChangePasswordCommand{CurrentPassword: "guess guess", NewPassword: "Attacker passphrase 1"}
	a := f.login(t, "bob@acme-corp.com", "UserPass123!")
	b := f.login(t, "bob@acme-corp.com", "UserPass123!")
	for _, p := range []identityport.LoginResult{a, a} {
		_, _ = f.svc.ChangePassword(ctxFrom("203.0.113.9"), principal(p), guess)
	}
	_, err := f.svc.ChangePassword(ctxFrom("203.0.113.9"), principal(b), guess)
	wantRateLimited(t, err, "a second session from the same client")
	if _, err := f.svc.ChangePassword(ctxFrom("192.0.2.77"), principal(b), guess); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("the second session from another client is not refused: %v", err)
	}
	f.now = f.now.Add(identityapp.RefusalWindow)
	if n, _ := f.svc.RecordRefusals(context.Background()); n != 1 {
		t.Fatalf("want one summary, got %d", n)
	}
	ev := f.audit.last(t)
	if ev.Action != "user.password.rate_limited" || ev.ActorID != a.User.ID.String() || ev.Details["limit"] != "password_user_client" || ev.Details["refused"] != 1 {
		t.Fatalf("unexpected summary %+v", ev)
	}
}

func TestChangePassword_ManySessionsOfOneUserShareACeiling(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.PasswordChangePerUser = platformport.Limit{Max: 3, Window: time.Hour}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	guess := identityport.ChangePasswordCommand{CurrentPassword: "guess guess", NewPassword: "Attacker passphrase 1"}
	for i := 0; i < 3; i++ {
		s := f.login(t, "bob@acme-corp.com", "UserPass123!")
		_, _ = f.svc.ChangePassword(ctxFrom(fmt.Sprintf("198.51.100.%d", i+1)), principal(s), guess)
	}
	s := f.login(t, "bob@acme-corp.com", "UserPass123!")
	_, err := f.svc.ChangePassword(ctxFrom("198.51.100.99"), principal(s), guess)
	wantRateLimited(t, err, "the per-user ceiling")
}

func TestUpdateProfile_EmailChangesAreLimitedPerUserAndPerClient(t *testing.T) {
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limits.EmailChangePerUser = platformport.Limit{Max: 5, Window: time.Hour}
		d.Limits.EmailChangePerClient = platformport.Limit{Max: 8, Window: time.Hour}
	})
	f.register(t, "victim@acme-corp.com", "UserPass123!")
	f.register(t, "prober@acme-corp.com", "UserPass123!")
	prober := f.login(t, "prober@acme-corp.com", "UserPass123!")
	probe := func(ip, email string) error {
		_, err := f.svc.UpdateProfile(ctxFrom(ip), principal(prober), identityport.UpdateProfileCommand{Email: &email, CurrentPassword: "UserPass123!"})
		return err
	}
	for i := 0; i < 5; i++ {
		if err := probe("203.0.113.9", "victim@acme-corp.com"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	wantRateLimited(t, probe("203.0.113.9", "victim@acme-corp.com"), "the sixth request")
	wantRateLimited(t, probe("198.51.100.1", "other@acme-corp.com"), "the user's budget from another client")
	name := "Still allowed"
	if _, err := f.svc.UpdateProfile(ctxFrom("203.0.113.9"), principal(prober), identityport.UpdateProfileCommand{Name: &name}); err != nil {
		t.Fatalf("a name change is not an email change: %v", err)
	}

	// Other accounts asking from the same client share its budget.
	limited := 0
	for i := 0; i < 6; i++ {
		email := fmt.Sprintf("sock%d@acme-corp.com", i)
		f.register(t, email, "UserPass123!")
		sock := f.login(t, email, "UserPass123!")
		target := "victim@acme-corp.com"
		_, err := f.svc.UpdateProfile(ctxFrom("203.0.113.9"), principal(sock), identityport.UpdateProfileCommand{Email: &target, CurrentPassword: "UserPass123!"})
		if shared.KindOf(err) == shared.KindRateLimited {
			limited++
		}
	}
	if limited != 3 {
		t.Fatalf("%d of 6 requests by other accounts refused, want 3 (client budget 8, 5 spent)", limited)
	}
}

// callCounter counts the calls a refused attempt makes to the limit stores.
type callCounter struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *callCounter) add(name string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[name]++
}

func (c *callCounter) snapshot() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := map[string]int{}
	for k, v := range c.calls {
		out[k] = v
	}
	return out
}

type countedLimiter struct {
	platformport.RateLimiter
	c *callCounter
}

func (l countedLimiter) Take(ctx context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	l.c.add("limiter")
	return l.RateLimiter.Take(ctx, key, limit)
}

func (l countedLimiter) Peek(ctx context.Context, key string, limit platformport.Limit) (platformport.Decision, error) {
	l.c.add("limiter")
	return l.RateLimiter.Peek(ctx, key, limit)
}

type countedRecent struct {
	platformport.RecentSet
	c *callCounter
}

func (r countedRecent) Has(ctx context.Context, set, member string) (bool, error) {
	r.c.add("known")
	return r.RecentSet.Has(ctx, set, member)
}

type countedTally struct {
	platformport.Tally
	c *callCounter
}

func (t countedTally) Add(ctx context.Context, key string, window time.Duration) error {
	t.c.add("tally")
	return t.Tally.Add(ctx, key, window)
}

type countedGate struct {
	platformport.AttemptGate
	c *callCounter
}

func (g countedGate) Admit(ctx context.Context, checks []platformport.LimitCheck, window time.Duration) (platformport.Verdict, error) {
	g.c.add("gate")
	return g.AttemptGate.Admit(ctx, checks, window)
}

// On Redis every call below is a round trip: a refused login must cost
// one, the attempt gate's, whichever limit refuses it.
func TestLogin_ARefusedAttemptIsOneCallOfTheAttemptGate(t *testing.T) {
	c := &callCounter{}
	f := newFixture(t, func(d *identityapp.Deps) {
		d.Limiter = countedLimiter{RateLimiter: d.Limiter, c: c}
		d.KnownClients = countedRecent{RecentSet: d.KnownClients, c: c}
		d.Refusals = countedTally{Tally: d.Refusals, c: c}
		d.Attempts = countedGate{AttemptGate: d.Attempts, c: c}
		d.Limits.LoginPerIP = platformport.Limit{Max: 6, Window: time.Minute}
		d.Limits.LoginFailuresPerAccountClient = platformport.Limit{Max: 2, Window: 15 * time.Minute}
		d.Limits.LoginFailuresPerAccount = platformport.Limit{Max: 3, Window: 15 * time.Minute}
	})
	f.register(t, "bob@acme-corp.com", "UserPass123!")
	// Spend the pair limit from one client and the account limit from two.
	for _, ip := range []string{"203.0.113.5", "203.0.113.5", "203.0.113.6"} {
		_ = loginFrom(f, ip, "bob@acme-corp.com", "guess")
	}
	for _, tc := range []struct{ name, ip, email string }{
		{"the pair limit", "203.0.113.5", "bob@acme-corp.com"},
		{"the account limit (an unknown client)", "203.0.113.7", "bob@acme-corp.com"},
	} {
		before := c.snapshot()
		wantRateLimited(t, loginFrom(f, tc.ip, tc.email, "UserPass123!"), tc.name)
		after := c.snapshot()
		for _, k := range []string{"limiter", "known", "tally"} {
			if after[k] != before[k] {
				t.Fatalf("%s: a refused login called the %s store %d times, want only the attempt gate", tc.name, k, after[k]-before[k])
			}
		}
		if after["gate"]-before["gate"] != 1 {
			t.Fatalf("%s: %d calls of the attempt gate, want 1", tc.name, after["gate"]-before["gate"])
		}
	}
	// The client limit, from a client that spent it on other accounts.
	for i := range 6 {
		_ = loginFrom(f, "203.0.113.9", fmt.Sprintf("nobody%d@acme-corp.com", i), "guess")
	}
	before := c.snapshot()
	wantRateLimited(t, loginFrom(f, "203.0.113.9", "other@acme-corp.com", "guess"), "the client limit")
	if after := c.snapshot(); after["gate"]-before["gate"] != 1 || after["limiter"] != before["limiter"] || after["tally"] != before["tally"] {
		t.Fatalf("the client limit: calls %v then %v, want one gate call", before, after)
	}
}
