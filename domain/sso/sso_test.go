package sso

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

var now = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)

func ptr[T any](v T) *T { return &v }

func TestDomain_VerifiesOnlyWithItsOwnTokenAndStaysVerified(t *testing.T) {
	org := shared.OrganizationID(uuid.New())
	d, err := AddDomain(uuid.New(), org, "Corp.Example", "0123456789abcdef0123456789abcdef", now)
	if err != nil {
		t.Fatal(err)
	}
	if d.Name() != "corp.example" || d.ChallengeName() != "_authy-challenge.corp.example" {
		t.Fatalf("%+v", d.State())
	}
	if err := d.Verify([]string{"authy-domain-verification=other", "authy-domain-verification=0123456789abcdef0123456789abcde"}, now); !errors.Is(err, ErrChallengeNotFound) || d.Verified() {
		t.Fatalf("another token: %v", err)
	}
	if err := d.Verify([]string{"v=spf1", " " + d.ChallengeValue() + " "}, now.Add(time.Minute)); err != nil || !d.Verified() || !d.VerifiedAt().Equal(now.Add(time.Minute)) {
		t.Fatalf("own token: %v %+v", err, d.State())
	}
	if err := d.Verify(nil, now.Add(time.Hour)); err != nil || !d.VerifiedAt().Equal(now.Add(time.Minute)) {
		t.Fatalf("verified again: %v", err)
	}
	for _, bad := range []string{"*.corp.example", "10.0.0.1", "corp", "corp.example."} {
		if _, err := AddDomain(uuid.New(), org, bad, "0123456789abcdef0123456789abcdef", now); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%q accepted", bad)
		}
	}
}

func newConnection(t *testing.T) *Connection {
	t.Helper()
	c, err := NewConnection(uuid.New(), shared.OrganizationID(uuid.New()), KindOIDC, ConnectionSpec{
		Name: ptr("Corp"), Domains: &[]string{"b.example", "A.example"}, Issuer: ptr("https://idp.example/"), ClientID: ptr("id"), SealedSecret: ptr("sealed"),
	}, URLPolicy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConnection_KeepsSortedDomainsCoversExactlyThemAndRefusesHTTPIssuers(t *testing.T) {
	c := newConnection(t)
	if got := c.Domains(); len(got) != 2 || got[0] != "a.example" || c.OIDC().Issuer != "https://idp.example" || c.DefaultRole() != RoleMember {
		t.Fatalf("%+v", c.State())
	}
	if !c.Covers("x@a.example") || c.Covers("x@sub.a.example") || c.Covers("x@a.example.evil") {
		t.Fatal("covers the wrong addresses")
	}
	if c.MethodName() != "sso-oidc:"+c.ID().String() {
		t.Fatal(c.MethodName())
	}
	if _, err := c.Change(ConnectionSpec{Issuer: ptr("http://idp.example")}, URLPolicy{}, now); shared.KindOf(err) != shared.KindInvalid || c.OIDC().Issuer != "https://idp.example" {
		t.Fatalf("http issuer: %v", err)
	}
	if _, err := c.Change(ConnectionSpec{Issuer: ptr("http://127.0.0.1:9/x")}, URLPolicy{AllowHTTP: true}, now); err != nil {
		t.Fatalf("http issuer where allowed: %v", err)
	}
	changed, err := c.Change(ConnectionSpec{Enforce: ptr(true), Name: ptr("Corp"), DefaultRole: ptr("admin")}, URLPolicy{}, now.Add(time.Hour))
	if err != nil || len(changed) != 2 || !c.Enforce() || !c.UpdatedAt().Equal(now.Add(time.Hour)) {
		t.Fatalf("changed %v %v", changed, err)
	}
	for name, spec := range map[string]ConnectionSpec{
		"owner role":      {DefaultRole: ptr("owner")},
		"no domains":      {Domains: &[]string{}},
		"repeated domain": {Domains: &[]string{"a.example", "A.EXAMPLE"}},
		"wildcard":        {Domains: &[]string{"*.a.example"}},
		"issuer query":    {Issuer: ptr("https://idp.example/?x=1")},
		"empty secret":    {SealedSecret: ptr("")},
	} {
		if _, err := c.Change(spec, URLPolicy{}, now); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("%s accepted", name)
		}
	}
	if _, err := NewConnection(uuid.New(), shared.OrganizationID(uuid.New()), KindSAML, ConnectionSpec{}, URLPolicy{}, now); !errors.Is(err, ErrKindUnavailable) {
		t.Fatalf("saml: %v", err)
	}
}
