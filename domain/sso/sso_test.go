package sso

import (
	"errors"
	"strings"
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
	if _, err := c.Change(ConnectionSpec{AllowIdPInitiated: ptr(true)}, URLPolicy{}, now); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("a SAML field on an OpenID Connect connection: %v", err)
	}
	if err := c.RotateCertificate(SPCertificate{Certificate: "pem", SealedKey: "sealed"}, now); !errors.Is(err, ErrNotSAML) {
		t.Fatalf("certificate of an OpenID Connect connection: %v", err)
	}
}

func TestSAMLConnection_NeedsMetadataAndACertificateAndRefusesOIDCFields(t *testing.T) {
	org := shared.OrganizationID(uuid.New())
	md := &IdPMetadata{XML: "<EntityDescriptor/>", EntityID: "https://idp.example/metadata"}
	cert := &SPCertificate{Certificate: "-----BEGIN CERTIFICATE-----", SealedKey: "sealed"}
	spec := ConnectionSpec{Name: ptr("Okta"), Domains: &[]string{"corp.example"}, Metadata: md, Certificate: cert}
	if _, err := NewConnection(uuid.New(), org, KindSAML, ConnectionSpec{Name: ptr("Okta"), Domains: &[]string{"corp.example"}, Certificate: cert}, URLPolicy{}, now); len(fieldsOf(t, err)["idp_metadata_url"]) == 0 {
		t.Fatalf("no metadata: %v", err)
	}
	if _, err := NewConnection(uuid.New(), org, KindSAML, ConnectionSpec{Name: ptr("Okta"), Domains: &[]string{"corp.example"}, Metadata: md}, URLPolicy{}, now); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("no certificate: %v", err)
	}
	withIssuer := spec
	withIssuer.Issuer = ptr("https://idp.example")
	if _, err := NewConnection(uuid.New(), org, KindSAML, withIssuer, URLPolicy{}, now); len(fieldsOf(t, err)["issuer"]) == 0 {
		t.Fatalf("issuer on SAML: %v", err)
	}
	c, err := NewConnection(uuid.New(), org, KindSAML, spec, URLPolicy{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if c.SAML().IdPEntityID != "https://idp.example/metadata" || c.SAML().Certificate == "" || c.MethodName() != "saml:"+c.ID().String() {
		t.Fatalf("%+v %s", c.SAML(), c.MethodName())
	}
	changed, err := c.Change(ConnectionSpec{AllowIdPInitiated: ptr(true), Metadata: &IdPMetadata{URL: "https://idp.example/md", XML: "<x/>", EntityID: "e2"}}, URLPolicy{}, now)
	if err != nil || len(changed) != 2 || !c.SAML().AllowIdPInitiated || c.SAML().MetadataURL != "https://idp.example/md" {
		t.Fatalf("changed %v %v %+v", changed, err, c.SAML())
	}
	if _, err := c.Change(ConnectionSpec{Metadata: &IdPMetadata{URL: "http://idp.example/md", XML: "<x/>", EntityID: "e3"}}, URLPolicy{}, now); shared.KindOf(err) != shared.KindInvalid || c.SAML().IdPEntityID != "e2" {
		t.Fatalf("an http metadata URL: %v", err)
	}
	if err := c.RotateCertificate(SPCertificate{Certificate: "pem2", SealedKey: "sealed2"}, now.Add(time.Hour)); err != nil || c.SAML().Certificate != "pem2" || !c.SAML().CertificateRotatedAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("rotate: %v %+v", err, c.SAML())
	}
}

func fieldsOf(t *testing.T, err error) map[string][]string {
	t.Helper()
	var e *shared.Error
	if !errors.As(err, &e) || e.Kind() != shared.KindInvalid {
		t.Fatalf("error %v, want a validation error", err)
	}
	return e.Fields()
}
func TestFlow_IsBoundToItsConnectionBrowserAndLifetime(t *testing.T) {
	conn := uuid.New()
	hash := func(c byte) string { return strings.Repeat(string(c), 64) }
	f, err := StartFlow(FlowSpec{StateHash: hash('a'), BindingHash: hash('b'), Connection: conn, Nonce: "n", Verifier: "v",
		Delivery: shared.DeliverCookie}, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		conn    uuid.UUID
		binding string
		at      time.Time
		want    error
	}{
		"the right browser in time":  {conn, hash('b'), now.Add(FlowLifetime - time.Second), nil},
		"another connection":         {uuid.New(), hash('b'), now, ErrStateInvalid},
		"another browser":            {conn, hash('c'), now, ErrBrowserMismatch},
		"no binding cookie":          {conn, "", now, ErrBrowserMismatch},
		"at the end of its lifetime": {conn, hash('b'), now.Add(FlowLifetime), ErrStateExpired},
	} {
		if err := f.Check(c.conn, c.binding, c.at); !errors.Is(err, c.want) && !(err == nil && c.want == nil) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if _, err := StartFlow(FlowSpec{StateHash: "short", BindingHash: hash('b'), Connection: conn, Nonce: "n", Verifier: "v",
		Delivery: shared.DeliverCookie}, now); err == nil {
		t.Error("a flow with a short state hash")
	}
}

func TestConnection_VouchesMFAOnlyForItsOwnMultiFactorSessionsWhileItSaysSo(t *testing.T) {
	c := newConnection(t)
	mfa := []string{"fed", "mfa"}
	if c.IdPEnforcesMFA() || c.VouchesMFA(c.MethodName(), mfa) {
		t.Fatal("a new connection vouches for MFA")
	}
	changed, err := c.Change(ConnectionSpec{IdPEnforcesMFA: ptr(true)}, URLPolicy{}, now)
	if err != nil || len(changed) != 1 || changed[0] != "idp_enforces_mfa" || !c.IdPEnforcesMFA() {
		t.Fatalf("changed %v %v", changed, err)
	}
	if !c.VouchesMFA(c.MethodName(), mfa) {
		t.Fatal("its own multi-factor session is not vouched for")
	}
	other := newConnection(t)
	for name, m := range map[string]struct {
		method string
		amr    []string
	}{
		"started before the flag": {c.MethodName(), []string{"fed"}},
		"another connection":      {other.MethodName(), mfa},
		"a password sign-in":      {"password", []string{"pwd", "otp", "mfa"}},
		"the old method name":     {"sso_oidc:" + c.ID().String(), mfa},
	} {
		if c.VouchesMFA(m.method, m.amr) {
			t.Errorf("%s is vouched for", name)
		}
	}
	if _, err := c.Change(ConnectionSpec{Enabled: ptr(false)}, URLPolicy{}, now); err != nil || c.VouchesMFA(c.MethodName(), mfa) {
		t.Fatalf("a disabled connection vouches: %v", err)
	}
}

func TestConnectionOfMethod_ReadsOnlyAConnectionsMethodNames(t *testing.T) {
	c := newConnection(t)
	if id, ok := ConnectionOfMethod(c.MethodName()); !ok || id != c.ID() {
		t.Fatalf("%q: %v %v", c.MethodName(), id, ok)
	}
	id := uuid.New()
	if got, ok := ConnectionOfMethod("saml:" + id.String()); !ok || got != id {
		t.Fatal("saml")
	}
	for _, bad := range []string{"password", "social:github", "sso-oidc:", "sso-oidc:not-a-uuid", "saml:" + strings.ToUpper(id.String()),
		"sso-oidc:" + uuid.Nil.String(), "oidc:" + id.String(), "sso-oidc:{" + id.String() + "}"} {
		if _, ok := ConnectionOfMethod(bad); ok {
			t.Errorf("%q read as a connection", bad)
		}
	}
}
