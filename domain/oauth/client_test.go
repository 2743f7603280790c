package oauth_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
)

var (
	now   = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	org   = shared.OrganizationID(uuid.MustParse("5f0c3d7e-1111-4a7b-9c1d-2e3f4a5b6c7d"))
	actor = shared.UserID(uuid.MustParse("7a1b2c3d-2222-4e5f-8a9b-0c1d2e3f4a5b"))
)

func clientID(t *testing.T, s string) oauth.ClientID {
	t.Helper()
	id, reason := oauth.ParseClientID(s)
	if reason != "" {
		t.Fatal(reason)
	}
	return id
}

func webSpec() oauth.ClientSpec {
	return oauth.ClientSpec{
		Name:         "Acme Portal",
		RedirectURIs: []string{"https://portal.example.com/callback"},
		GrantTypes:   []string{"authorization_code", "refresh_token"},
	}
}

func newClient(t *testing.T, spec oauth.ClientSpec) *oauth.Client {
	t.Helper()
	secret := oauth.NewSecretHash("hash-1")
	if spec.TokenEndpointAuthMethod == "none" {
		secret = oauth.SecretHash{}
	}
	c, err := oauth.NewClient(clientID(t, "acme-portal-001"), org, spec, secret, actor, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func fields(t *testing.T, err error) map[string][]string {
	t.Helper()
	var e *shared.Error
	if !errors.As(err, &e) || e.Kind() != shared.KindInvalid {
		t.Fatalf("error %v, want a validation error", err)
	}
	return e.Fields()
}

func TestNewClient_AppliesDefaultsAndRecordsItsCreation(t *testing.T) {
	c := newClient(t, webSpec())
	if c.AuthMethod() != oauth.AuthClientSecretBasic || c.AccessTokenFormat() != oauth.TokenOpaque || c.IDTokenAlg() != oauth.AlgRS256 {
		t.Fatalf("defaults: %v %v %v", c.AuthMethod(), c.AccessTokenFormat(), c.IDTokenAlg())
	}
	if want := []string{"openid", "profile", "email", "offline_access"}; !slices.Equal(c.Scopes(), want) {
		t.Fatalf("scopes %v, want %v", c.Scopes(), want)
	}
	ev := c.PullEvents()
	if len(ev) != 1 {
		t.Fatalf("events %v", ev)
	}
	if e, ok := ev[0].(oauth.ClientCreated); !ok || e.Meta().Actor != actor || e.Name != "Acme Portal" {
		t.Fatalf("event %#v", ev[0])
	}
}

func TestNewClient_RefusesEveryInvalidFieldAtOnce(t *testing.T) {
	spec := oauth.ClientSpec{
		Name:                    "  ",
		RedirectURIs:            []string{"http://evil.example/cb"},
		GrantTypes:              []string{"password"},
		TokenEndpointAuthMethod: "private_key_jwt",
		Scopes:                  []string{"a b"},
		AccessTokenFormat:       "paseto",
		// none would make ID tokens unsigned; HS256 would sign with a
		// secret the client holds too.
		IDTokenSignedResponseAlg: "none",
	}
	_, err := oauth.NewClient(clientID(t, "abc"), org, spec, oauth.NewSecretHash("h"), actor, now)
	f := fields(t, err)
	for _, field := range []string{"name", "redirect_uris", "grant_types", "token_endpoint_auth_method", "scopes", "access_token_format", "id_token_signed_response_alg"} {
		if len(f[field]) == 0 {
			t.Errorf("no reason for %s in %v", field, f)
		}
	}
}

func TestNewClient_EnforcesTheGrantRules(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spec  oauth.ClientSpec
		field string
	}{
		{"no grant", oauth.ClientSpec{Name: "x", GrantTypes: []string{}}, "grant_types"},
		{"refresh without code", oauth.ClientSpec{Name: "x", GrantTypes: []string{"refresh_token", "client_credentials"}}, "grant_types"},
		{"code without redirect", oauth.ClientSpec{Name: "x", GrantTypes: []string{"authorization_code"}}, "redirect_uris"},
		{"public client credentials", oauth.ClientSpec{Name: "x", GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "none"}, "grant_types"},
		{"too many redirect URIs", oauth.ClientSpec{Name: "x", GrantTypes: []string{"authorization_code"},
			RedirectURIs: slices.Repeat([]string{"https://a.example/cb"}, 21)}, "redirect_uris"},
		{"bad post-logout URI", oauth.ClientSpec{Name: "x", GrantTypes: []string{"client_credentials"},
			PostLogoutRedirectURIs: []string{"https://a.example/#x"}}, "post_logout_redirect_uris"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			secret := oauth.NewSecretHash("h")
			if tc.spec.TokenEndpointAuthMethod == "none" {
				secret = oauth.SecretHash{}
			}
			_, err := oauth.NewClient(clientID(t, "abc"), org, tc.spec, secret, actor, now)
			if f := fields(t, err); len(f[tc.field]) == 0 {
				t.Fatalf("no reason for %s in %v", tc.field, f)
			}
		})
	}
}

func TestNewClient_APublicClientHasNoSecretAndAConfidentialOneHasOne(t *testing.T) {
	public := webSpec()
	public.TokenEndpointAuthMethod = "none"
	if _, err := oauth.NewClient(clientID(t, "abc"), org, public, oauth.NewSecretHash("h"), actor, now); err == nil {
		t.Fatal("a public client was given a secret")
	}
	if _, err := oauth.NewClient(clientID(t, "abc"), org, webSpec(), oauth.SecretHash{}, actor, now); err == nil {
		t.Fatal("a confidential client was registered without a secret")
	}
}

func TestParseClientID_RefusesCharactersThatNeedEncoding(t *testing.T) {
	for _, s := range []string{"ab", strings.Repeat("a", 65), "a:b", "a b", "a/b", "é-client", "a%20b"} {
		if _, reason := oauth.ParseClientID(s); reason == "" {
			t.Errorf("%q accepted", s)
		}
	}
	if _, reason := oauth.ParseClientID("acme-portal_001.v2~x"); reason != "" {
		t.Fatal(reason)
	}
}

func TestClientUpdate_ChangesOnlyWhatDiffersAndNeverTurnsPublic(t *testing.T) {
	c := newClient(t, webSpec())
	c.PullEvents()
	same := "Acme Portal"
	if changed, err := c.Update(actor, oauth.ClientChanges{Name: &same}, now); err != nil || changed {
		t.Fatalf("no-op update: changed=%v err=%v", changed, err)
	}
	name, rs := "Portal", true
	changed, err := c.Update(actor, oauth.ClientChanges{Name: &name, ResourceServer: &rs}, now.Add(time.Minute))
	if err != nil || !changed || c.Name() != "Portal" || !c.ResourceServer() {
		t.Fatalf("update: changed=%v err=%v name=%q", changed, err, c.Name())
	}
	ev := c.PullEvents()
	if e, ok := ev[0].(oauth.ClientChanged); !ok || !slices.Equal(e.Fields, []string{"name", "resource_server"}) {
		t.Fatalf("event %#v", ev)
	}
	es := "ES256"
	if changed, err := c.Update(actor, oauth.ClientChanges{IDTokenSignedResponseAlg: &es}, now); err != nil || !changed || c.IDTokenAlg() != oauth.AlgES256 {
		t.Fatalf("ID token algorithm: changed=%v err=%v alg=%v", changed, err, c.IDTokenAlg())
	}
	hs := "HS256"
	if _, err := c.Update(actor, oauth.ClientChanges{IDTokenSignedResponseAlg: &hs}, now); len(fields(t, err)["id_token_signed_response_alg"]) == 0 || c.IDTokenAlg() != oauth.AlgES256 {
		t.Fatalf("HS256 accepted: %v", err)
	}
	none := "none"
	if _, err := c.Update(actor, oauth.ClientChanges{TokenEndpointAuthMethod: &none}, now); len(fields(t, err)["token_endpoint_auth_method"]) == 0 {
		t.Fatalf("switched to public: %v", err)
	}
	bad := []string{"http://evil.example/cb"}
	if _, err := c.Update(actor, oauth.ClientChanges{RedirectURIs: &bad}, now); err == nil {
		t.Fatal("invalid redirect URI accepted on update")
	}
	if c.RedirectURIs()[0].String() != "https://portal.example.com/callback" {
		t.Fatal("a refused update changed the client")
	}
}

func TestClientRotateSecret_KeepsThePreviousSecretForTheGracePeriodOnly(t *testing.T) {
	c := newClient(t, webSpec())
	if err := c.RotateSecret(actor, oauth.NewSecretHash("hash-2"), time.Hour, now); err != nil {
		t.Fatal(err)
	}
	if got := c.AcceptedSecrets(now.Add(59 * time.Minute)); len(got) != 2 || got[0].String() != "hash-2" || got[1].String() != "hash-1" {
		t.Fatalf("within grace: %v", got)
	}
	if got := c.AcceptedSecrets(now.Add(time.Hour)); len(got) != 1 || got[0].String() != "hash-2" {
		t.Fatalf("after grace: %v", got)
	}
	// A second rotation during the grace period ends the first one's.
	if err := c.RotateSecret(actor, oauth.NewSecretHash("hash-3"), time.Hour, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	got := c.AcceptedSecrets(now.Add(2 * time.Minute))
	if len(got) != 2 || got[0].String() != "hash-3" || got[1].String() != "hash-2" {
		t.Fatalf("after a second rotation: %v", got)
	}
	if err := c.RotateSecret(actor, oauth.NewSecretHash("hash-4"), 0, now); err != nil || len(c.AcceptedSecrets(now)) != 1 {
		t.Fatalf("no grace: %v %v", err, c.AcceptedSecrets(now))
	}
}

func TestClientRotateSecret_RefusesAPublicClient(t *testing.T) {
	spec := webSpec()
	spec.TokenEndpointAuthMethod = "none"
	c := newClient(t, spec)
	if err := c.RotateSecret(actor, oauth.NewSecretHash("h"), time.Hour, now); !errors.Is(err, oauth.ErrPublicClientSecret) {
		t.Fatalf("err %v", err)
	}
	if c.AcceptedSecrets(now) != nil {
		t.Fatal("a public client accepts a secret")
	}
}

func TestClientAllowsRedirect_OnlyRegisteredURIs(t *testing.T) {
	spec := webSpec()
	spec.RedirectURIs = []string{"https://portal.example.com/callback", "http://127.0.0.1:3000/callback"}
	c := newClient(t, spec)
	for uri, want := range map[string]bool{
		"https://portal.example.com/callback":  true,
		"http://127.0.0.1:49152/callback":      true,
		"https://portal.example.com/callback2": false,
		"https://evil.example/callback":        false,
	} {
		if got := c.AllowsRedirect(uri); got != want {
			t.Errorf("%s: %v, want %v", uri, got, want)
		}
	}
}
