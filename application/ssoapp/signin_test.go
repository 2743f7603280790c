package ssoapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/pgstore/ssopg"
	"github.com/secuird/authy/application/ssoapp"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/ssoport"
	"github.com/secuird/authy/tests/testenv"
)

// These run the sign-in on the real stores of one SQLite file (accounts,
// flows, identities, connections): whatever step after the account opens
// fails, the transaction leaves nothing behind.

var t0 = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

type idp struct{ profile ssoport.Profile }

func (p *idp) Discover(context.Context, ssoport.OIDCConfig) error { return nil }
func (p *idp) AuthCodeURL(_ context.Context, _ ssoport.OIDCConfig, r ssoport.AuthRequest) (string, error) {
	return "https://idp.example/authorize?state=" + url.QueryEscape(r.State), nil
}
func (p *idp) Exchange(_ context.Context, _ ssoport.OIDCConfig, code string, r ssoport.AuthRequest) (ssoport.Profile, error) {
	if code != "good" || r.Nonce == "" || r.Verifier == "" {
		return ssoport.Profile{}, sso.ErrProviderError
	}
	return p.profile, nil
}

type accounts struct{ users *identitypg.Store }

func (a accounts) CreateProvisionedUser(ctx context.Context, cmd identityport.ExternalUserCommand) (identityport.UserSummary, error) {
	email, _ := identity.ParseEmail(cmd.Email)
	name, _ := identity.ParseName("Provisioned")
	u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, identity.PasswordHash{}, t0)
	if err != nil {
		return identityport.UserSummary{}, err
	}
	if cmd.EmailVerified {
		_ = u.VerifyEmail(email, t0)
	}
	if err := a.users.Add(ctx, u); err != nil {
		return identityport.UserSummary{}, err
	}
	return summary(u), nil
}

func (a accounts) RefreshProvisionedName(ctx context.Context, user shared.UserID, raw string) error {
	name, _ := identity.ParseName(raw)
	_, err := a.users.Update(ctx, user, func(u *identity.User) error {
		_, err := u.UpdateProfile(identity.ProfileChange{Name: &name}, t0)
		return err
	})
	return err
}

func (a accounts) RefreshProvisionedEmail(ctx context.Context, cmd identityport.ProvisionedEmailCommand) (bool, error) {
	email, _ := identity.ParseEmail(cmd.Email)
	changed := false
	_, err := a.users.Update(ctx, cmd.User, func(u *identity.User) error {
		changed = !u.Email().Equal(email)
		return u.ChangeEmail(email, t0)
	})
	return changed, err
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

type members struct {
	fail   error
	joined map[shared.UserID]string
}

func (m *members) JoinThroughSSO(_ context.Context, _ shared.OrganizationID, user shared.UserID, role string) error {
	if m.fail != nil {
		return m.fail
	}
	m.joined[user] = role
	return nil
}

type sessions struct {
	sessionsport.Service
	fail    error
	started []sessionsport.AuthMethod
}

func (s *sessions) Start(_ context.Context, user shared.UserID, m sessionsport.AuthMethod) (sessionsport.IssuedSession, error) {
	if s.fail != nil {
		return sessionsport.IssuedSession{}, s.fail
	}
	s.started = append(s.started, m)
	return sessionsport.IssuedSession{Token: "t", Session: sessionsport.SessionView{ID: uuid.New(), UserID: user, Method: m}}, nil
}

type codes struct{}

func (codes) IssueLoginCode(context.Context, shared.UserID, string, []string) (string, error) {
	return "code", nil
}

type recorder struct {
	refuse string
	events []auditport.Event
}

func (r *recorder) Record(_ context.Context, events ...auditport.Event) error {
	for _, e := range events {
		if e.Action == r.refuse {
			return errors.New("audit store refused " + e.Action)
		}
	}
	r.events = append(r.events, events...)
	return nil
}

type sealer struct{}

func (sealer) Seal(_ context.Context, p, _ []byte) (string, error) { return "sealed:" + string(p), nil }
func (sealer) Open(_ context.Context, s string, _ []byte) ([]byte, error) {
	return []byte(s[len("sealed:"):]), nil
}

type admitAll struct{}

func (admitAll) Take(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{Allowed: true}, nil
}
func (admitAll) Peek(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{Allowed: true}, nil
}
func (admitAll) Reset(context.Context, string) error { return nil }

type noDNS struct{}

func (noDNS) LookupTXT(context.Context, string) ([]string, error) { return nil, nil }

type noAccess struct{}

func (noAccess) MemberRole(context.Context, shared.OrganizationID, shared.UserID) (string, error) {
	return "", sso.ErrOrganizationNotFound
}

type fixture struct {
	svc      *ssoapp.Service
	users    *identitypg.Store
	store    *ssopg.Store
	idp      *idp
	members  *members
	sessions *sessions
	audit    *recorder
	conn     *sso.Connection
	ctx      context.Context
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	ctx := shared.WithRequestMeta(context.Background(), shared.RequestMeta{RequestID: uuid.NewString(), ClientIP: "192.0.2.1"})
	org := shared.OrganizationID(uuid.New())
	if err := db.Gorm().Exec(`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, 'Corp', ?, ?, ?)`,
		uuid.UUID(org).String(), "corp-"+testenv.Unique(), t0, t0).Error; err != nil {
		t.Fatal(err)
	}
	store := ssopg.New(db)
	d, err := sso.AddDomain(uuid.New(), org, "corp.example", "0123456789abcdef0123456789abcdef", t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Domains().Add(ctx, d); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Domains().Update(ctx, org, "corp.example", func(d *sso.Domain) error {
		return d.Verify([]string{d.ChallengeValue()}, t0)
	}); err != nil {
		t.Fatal(err)
	}
	name, domains, role, issuer, client, secret := "Corp IdP", []string{"corp.example"}, "admin", "https://idp.example", "client", "sealed:s"
	c, err := sso.NewConnection(uuid.New(), org, sso.KindOIDC, sso.ConnectionSpec{Name: &name, Domains: &domains, DefaultRole: &role,
		Issuer: &issuer, ClientID: &client, SealedSecret: &secret}, sso.URLPolicy{}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Connections().Add(ctx, c); err != nil {
		t.Fatal(err)
	}
	f := &fixture{users: identitypg.New(db), store: store, idp: &idp{}, members: &members{joined: map[shared.UserID]string{}},
		sessions: &sessions{}, audit: &recorder{}, conn: c, ctx: ctx}
	acc := accounts{users: f.users}
	f.svc, err = ssoapp.New(ssoapp.Deps{
		UoW: db, Domains: store.Domains(), Connections: store.Connections(), Resolver: noDNS{}, OIDC: f.idp,
		Flows: store.Flows(), Identities: store.Identities(), Directory: acc, Accounts: acc, Members: f.members,
		Sessions: f.sessions, LoginCodes: codes{}, Access: noAccess{}, Audit: f.audit,
		Clock: platformport.ClockFunc(func() time.Time { return t0 }), Limiter: admitAll{}, Sealer: sealer{},
		PublicURL: "https://authy.example", Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func (f *fixture) signIn(t *testing.T, p ssoport.Profile) (ssoport.Completion, error) {
	t.Helper()
	f.idp.profile = p
	b, err := f.svc.BeginSignIn(f.ctx, ssoport.BeginCommand{Connection: f.conn.ID(), Binding: "browser"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(b.AuthorizationURL)
	return f.svc.CompleteSignIn(f.ctx, ssoport.CallbackCommand{Connection: f.conn.ID(), State: u.Query().Get("state"), Code: "good", Binding: "browser"})
}

func (f *fixture) leftNothing(t *testing.T, email, subject string) {
	t.Helper()
	e, _ := identity.ParseEmail(email)
	if _, err := f.users.FindByEmail(context.Background(), e); shared.KindOf(err) != shared.KindNotFound {
		t.Fatalf("the account outlived the refused sign-in: %v", err)
	}
	if _, err := f.store.Identities().Find(context.Background(), f.conn.ID(), subject); !errors.Is(err, sso.ErrIdentityNotFound) {
		t.Fatalf("the identity outlived the refused sign-in: %v", err)
	}
}

func TestCompleteSignIn_JustInTimeOpensAVerifiedAccountLinksItAndJoinsWithTheDefaultRole(t *testing.T) {
	f := newFixture(t)
	res, err := f.signIn(t, ssoport.Profile{Subject: "s-1", Email: "Jane@Corp.example", Name: "Jane"})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || !res.Joined || !res.User.EmailVerified || res.User.Email != "jane@corp.example" || f.members.joined[res.User.ID] != "admin" {
		t.Fatalf("completion %+v, joined %v", res, f.members.joined)
	}
	if len(f.sessions.started) != 1 || f.sessions.started[0].Name() != "sso-oidc:"+f.conn.ID().String() {
		t.Fatalf("sessions %v", f.sessions.started)
	}
	again, err := f.signIn(t, ssoport.Profile{Subject: "s-1", Email: "jane@corp.example", Name: "Jane B"})
	if err != nil || again.Created || again.User.ID != res.User.ID {
		t.Fatalf("second sign-in %+v %v", again, err)
	}
}

func TestCompleteSignIn_AFailureAfterTheAccountOpensRollsEverythingBack(t *testing.T) {
	for name, breakIt := range map[string]func(f *fixture){
		"the membership is refused":          func(f *fixture) { f.members.fail = errors.New("organization store down") },
		"the session cannot start":           func(f *fixture) { f.sessions.fail = errors.New("session store down") },
		"the provisioning record is refused": func(f *fixture) { f.audit.refuse = ssoapp.ActionUserProvisioned },
		"the sign-in record is refused":      func(f *fixture) { f.audit.refuse = ssoapp.ActionSignInSucceeded },
		"the link record is refused":         func(f *fixture) { f.audit.refuse = ssoapp.ActionIdentityLinked },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			breakIt(f)
			if _, err := f.signIn(t, ssoport.Profile{Subject: "s-2", Email: "ada@corp.example"}); err == nil {
				t.Fatal("the sign-in succeeded")
			}
			f.leftNothing(t, "ada@corp.example", "s-2")
		})
	}
}

func TestCompleteSignIn_RefusesAddressesOutsideTheDomainsAndUnverifiedHoldersOfTheAddress(t *testing.T) {
	f := newFixture(t)
	for _, email := range []string{"eve@elsewhere.example", "eve@hr.corp.example", "not-an-address"} {
		if _, err := f.signIn(t, ssoport.Profile{Subject: "s-" + email, Email: email}); !errors.Is(err, sso.ErrEmailOutsideDomains) {
			t.Errorf("%s: %v", email, err)
		}
	}
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-none"}); !errors.Is(err, sso.ErrEmailMissing) {
		t.Errorf("no address: %v", err)
	}
	e, _ := identity.ParseEmail("squat@corp.example")
	n, _ := identity.ParseName("Squatter")
	u, _ := identity.NewUser(shared.UserID(uuid.New()), e, n, identity.PasswordHashFromEncoded("argon2id$stub"), t0)
	if err := f.users.Add(context.Background(), u); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-squat", Email: "squat@corp.example"}); !errors.Is(err, sso.ErrAccountExists) {
		t.Fatalf("an unverified holder: %v", err)
	}
	if _, err := f.store.Identities().Find(context.Background(), f.conn.ID(), "s-squat"); !errors.Is(err, sso.ErrIdentityNotFound) {
		t.Fatal("the squatter's account was linked")
	}
	if len(f.members.joined) != 0 || len(f.sessions.started) != 0 {
		t.Fatalf("refusals joined %v, started %v", f.members.joined, f.sessions.started)
	}
	failed := 0
	for _, e := range f.audit.events {
		if e.Action == ssoapp.ActionSignInFailed {
			failed++
		}
	}
	if failed != 5 {
		t.Fatalf("%d auth.sso.failed records, want 5", failed)
	}
}

func (f *fixture) emailOf(t *testing.T, user shared.UserID) (string, bool) {
	t.Helper()
	u, err := f.users.Get(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return u.Email().String(), u.EmailVerified()
}

func (f *fixture) refusals(reason string) int {
	n := 0
	for _, e := range f.audit.events {
		if e.Action == ssoapp.ActionEmailNotUpdated && e.Details["reason"] == reason {
			n++
		}
	}
	return n
}

func TestCompleteSignIn_ALaterSignInTakesTheAssertedAddressInTheOrganizationsDomains(t *testing.T) {
	f := newFixture(t)
	first, err := f.signIn(t, ssoport.Profile{Subject: "s-jane", Email: "jane@corp.example", Name: "Jane"})
	if err != nil {
		t.Fatal(err)
	}
	later, err := f.signIn(t, ssoport.Profile{Subject: "s-jane", Email: "Jane.Roe@corp.example", Name: "Jane Roe"})
	if err != nil || later.User.ID != first.User.ID || later.User.Email != "jane.roe@corp.example" || !later.User.EmailVerified {
		t.Fatalf("later sign-in %+v %v", later, err)
	}
	if email, verified := f.emailOf(t, first.User.ID); email != "jane.roe@corp.example" || !verified {
		t.Fatalf("stored address %q verified %v", email, verified)
	}
	if f.refusals(reasonEmailTaken) != 0 || f.refusals(reasonAddressNotManaged) != 0 {
		t.Fatal("a refusal was recorded for an address the account could take")
	}
	// The same address again changes nothing and records nothing.
	before := len(f.audit.events)
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-jane", Email: "jane.roe@corp.example", Name: "Jane Roe"}); err != nil {
		t.Fatal(err)
	}
	for _, e := range f.audit.events[before:] {
		if e.Action != ssoapp.ActionSignInSucceeded {
			t.Fatalf("an unchanged sign-in recorded %s", e.Action)
		}
	}
}

// The account-takeover angle: an identity provider asserting, for its
// subject, the address of another account must neither move that address
// nor sign the subject in to that account.
func TestCompleteSignIn_AnotherAccountsAddressIsNotTakenAndTheSubjectKeepsItsOwnAccount(t *testing.T) {
	f := newFixture(t)
	victim, err := f.signIn(t, ssoport.Profile{Subject: "s-victim", Email: "victim@corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	attacker, err := f.signIn(t, ssoport.Profile{Subject: "s-attacker", Email: "attacker@corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := f.signIn(t, ssoport.Profile{Subject: "s-attacker", Email: "VICTIM@corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	if res.User.ID != attacker.User.ID || res.User.Email != "attacker@corp.example" {
		t.Fatalf("the sign-in went to %+v", res.User)
	}
	if email, _ := f.emailOf(t, victim.User.ID); email != "victim@corp.example" {
		t.Fatalf("the victim's address became %q", email)
	}
	if email, _ := f.emailOf(t, attacker.User.ID); email != "attacker@corp.example" {
		t.Fatalf("the attacker's address became %q", email)
	}
	if f.refusals(reasonEmailTaken) != 1 {
		t.Fatalf("%d email_taken records, want 1", f.refusals(reasonEmailTaken))
	}
	for _, e := range f.audit.events {
		if e.Action == ssoapp.ActionEmailNotUpdated {
			for _, v := range e.Details {
				if s, ok := v.(string); ok && strings.Contains(s, "@") {
					t.Fatalf("the refusal record holds an address: %v", e.Details)
				}
			}
		}
	}
}

func TestCompleteSignIn_AnAddressTheAccountMovedOutOfTheOrganizationsDomainsStays(t *testing.T) {
	f := newFixture(t)
	first, err := f.signIn(t, ssoport.Profile{Subject: "s-max", Email: "max@corp.example"})
	if err != nil {
		t.Fatal(err)
	}
	home, _ := identity.ParseEmail("max@home.example")
	if _, err := f.users.Update(context.Background(), first.User.ID, func(u *identity.User) error { return u.ChangeEmail(home, t0) }); err != nil {
		t.Fatal(err)
	}
	res, err := f.signIn(t, ssoport.Profile{Subject: "s-max", Email: "max@corp.example"})
	if err != nil || res.User.ID != first.User.ID {
		t.Fatalf("sign-in %+v %v", res, err)
	}
	if email, _ := f.emailOf(t, first.User.ID); email != "max@home.example" {
		t.Fatalf("the account's own address became %q", email)
	}
	if f.refusals(reasonAddressNotManaged) != 1 {
		t.Fatal("no address_not_managed record")
	}
}

func TestCompleteSignIn_ARefusedEmailRecordThatCannotBeWrittenFailsTheSignIn(t *testing.T) {
	f := newFixture(t)
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-a", Email: "a@corp.example"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-b", Email: "b@corp.example"}); err != nil {
		t.Fatal(err)
	}
	f.audit.refuse = ssoapp.ActionEmailNotUpdated
	started := len(f.sessions.started)
	if _, err := f.signIn(t, ssoport.Profile{Subject: "s-b", Email: "a@corp.example"}); err == nil {
		t.Fatal("signed in without the record")
	}
	if len(f.sessions.started) != started {
		t.Fatal("a session started")
	}
}

const (
	reasonEmailTaken        = "email_taken"
	reasonAddressNotManaged = "address_not_managed"
)
