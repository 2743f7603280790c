package federation

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

var now = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func mustProvider(t *testing.T, s string) ProviderName {
	t.Helper()
	p, err := ParseProviderName(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestParseProviderName_AcceptsOnlyLowerCaseNamesWithDigitsAndHyphens(t *testing.T) {
	for _, ok := range []string{"google", "acme-sso", "a1"} {
		if _, err := ParseProviderName(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Google", "1acme", "acme-", "ac_me", "a b", "acme/x", "abcdefghijklmnopqrstuvwxyz0123456"} {
		if _, err := ParseProviderName(bad); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestMethodName_QualifiesByKind(t *testing.T) {
	if got := MethodName(KindOIDC, mustProvider(t, "acme")); got != "oidc:acme" {
		t.Fatal(got)
	}
	if got := MethodName(KindGitHub, mustProvider(t, "github")); got != "social:github" {
		t.Fatal(got)
	}
}

func newFlow(t *testing.T) *Flow {
	t.Helper()
	f, err := StartFlow(FlowSpec{
		StateHash: "s", BindingHash: "b", Provider: mustProvider(t, "google"), Nonce: "n", Verifier: "v",
		ReturnTo: "/account", Delivery: shared.DeliverCookie,
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFlowCheck_RefusesAnotherProviderALateCallbackAndAnotherBrowser(t *testing.T) {
	f := newFlow(t)
	if err := f.Check(mustProvider(t, "google"), "b", now.Add(FlowLifetime-time.Second)); err != nil {
		t.Fatalf("the flow's own browser in time: %v", err)
	}
	cases := []struct {
		name     string
		provider string
		binding  string
		at       time.Time
		want     error
	}{
		{"another provider", "github", "b", now, ErrStateInvalid},
		{"expired", "google", "b", now.Add(FlowLifetime), ErrStateExpired},
		{"another browser", "google", "x", now, ErrBrowserMismatch},
		{"no browser binding", "google", "", now, ErrBrowserMismatch},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if err := f.Check(mustProvider(t, c.provider), c.binding, c.at); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestStartFlow_ALinkFlowMustDeliverByCookie(t *testing.T) {
	_, err := StartFlow(FlowSpec{
		StateHash: "s", BindingHash: "b", Provider: mustProvider(t, "google"), Nonce: "n", Verifier: "v",
		Delivery: shared.DeliverCode, LinkTo: shared.UserID(uuid.New()),
	}, now)
	if shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("got %v", err)
	}
	if _, err := StartFlow(FlowSpec{Provider: mustProvider(t, "google"), Delivery: shared.DeliverCookie}, now); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a flow without state, binding, nonce and verifier: %v", err)
	}
}

func TestExternalIdentity_SignedInFollowsTheProvidersProfile(t *testing.T) {
	user := shared.UserID(uuid.New())
	id, err := LinkIdentity(uuid.New(), user, mustProvider(t, "github"),
		Profile{Subject: " 42 ", Email: "a@example.com", EmailVerified: true, Name: "A"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if id.Subject() != "42" || !id.EmailVerified() {
		t.Fatalf("linked as %+v", id.State())
	}
	later := now.Add(time.Hour)
	if err := id.SignedIn(Profile{Subject: "42", Email: "b@example.com", Name: "B"}, later); err != nil {
		t.Fatal(err)
	}
	if id.Email() != "b@example.com" || id.EmailVerified() || id.Name() != "B" || !id.UpdatedAt().Equal(later) || !id.LastSignInAt().Equal(later) {
		t.Fatalf("after sign-in %+v", id.State())
	}
	if err := id.SignedIn(Profile{Subject: "43"}, later); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("another subject: %v", err)
	}
}

func TestLinkIdentity_DropsAnUnusableEmailAndRefusesAnUnusableSubject(t *testing.T) {
	id, err := LinkIdentity(uuid.New(), shared.UserID(uuid.New()), mustProvider(t, "acme"),
		Profile{Subject: "s", Email: "not-an-address", EmailVerified: true, Name: "x\u202ey"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if id.Email() != "" || id.EmailVerified() || id.Name() != "" {
		t.Fatalf("kept %+v", id.State())
	}
	for _, subject := range []string{"", "  ", "a\nb", string(make([]byte, 256))} {
		if _, err := LinkIdentity(uuid.New(), shared.UserID(uuid.New()), mustProvider(t, "acme"), Profile{Subject: subject}, now); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("subject %q accepted", subject)
		}
	}
}

func TestLoginCode_ExpiresAfterSixtySeconds(t *testing.T) {
	c, err := IssueLoginCode("h", shared.UserID(uuid.New()), "social:google", []string{"fed"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Check(now.Add(59 * time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := c.Check(now.Add(60 * time.Second)); !errors.Is(err, ErrLoginCodeInvalid) {
		t.Fatalf("got %v", err)
	}
}
