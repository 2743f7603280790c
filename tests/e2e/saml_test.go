//go:build integration

package e2e

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/upstream/samlsso/samlssotest"
	"github.com/secuird/authy/tests/apitest"
)

type samlConnectionView struct {
	ID          string  `json:"id"`
	Type        string  `json:"type"`
	RedirectURI *string `json:"redirect_uri"`
	SAML        *struct {
		SPEntityID        string  `json:"sp_entity_id"`
		ACSURL            string  `json:"acs_url"`
		SPMetadataURL     string  `json:"sp_metadata_url"`
		SPCertificate     string  `json:"sp_certificate"`
		IdPEntityID       string  `json:"idp_entity_id"`
		IdPMetadataURL    *string `json:"idp_metadata_url"`
		AllowIdPInitiated bool    `json:"allow_idp_initiated"`
	} `json:"saml"`
}

// certBase64 is a PEM certificate's DER in base64, as metadata carries it.
func certBase64(t *testing.T, p string) string {
	t.Helper()
	b, _ := pem.Decode([]byte(p))
	if b == nil {
		t.Fatalf("not PEM: %q", p)
	}
	return base64.StdEncoding.EncodeToString(b.Bytes)
}

// An owner adds a SAML connection by the identity provider's metadata URL
// or document; Authy's certificate authority issues the service provider's
// certificate, published in public metadata that a real identity provider
// (crewjam's samlidp) imports; rotating it republishes the metadata; and
// unusable metadata, fields of the other type and other organizations are
// refused.
func TestSAMLConnections_MetadataInAndOutAndACertificateFromAuthysCA(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, _ := ssoServer(t, backend)
			idp := samlssotest.Start(t)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			base := "/api/v1/organizations/" + org.ID + "/sso-connections"
			domain := verifiedDomain(t, srv, dns, org.ID, owner)

			var c samlConnectionView
			expect(t, srv.Do(t, "POST", base, map[string]any{"type": "saml", "name": "Corp SAML", "domains": []string{domain},
				"idp_metadata_url": idp.MetadataURL()}, owner.token), http.StatusCreated).Decode(t, &c)
			s := c.SAML
			if c.Type != "saml" || c.RedirectURI != nil || s == nil || s.IdPEntityID != idp.MetadataURL() ||
				s.SPEntityID != srv.URL+"/api/v1/sso/saml/"+c.ID+"/metadata" || s.ACSURL != srv.URL+"/api/v1/sso/saml/"+c.ID+"/acs" ||
				s.IdPMetadataURL == nil || *s.IdPMetadataURL != idp.MetadataURL() || s.AllowIdPInitiated {
				t.Fatalf("created %+v %+v", c, s)
			}
			md := srv.Do(t, "GET", "/api/v1/sso/saml/"+c.ID+"/metadata", nil, "")
			body := string(md.Body)
			if md.Status != 200 || !strings.Contains(md.Header.Get("Content-Type"), "samlmetadata+xml") ||
				!strings.Contains(body, `entityID="`+s.SPEntityID+`"`) || !strings.Contains(body, s.ACSURL) ||
				!strings.Contains(body, certBase64(t, s.SPCertificate)) {
				t.Fatalf("metadata %d %s\n%s", md.Status, md.Header.Get("Content-Type"), body)
			}
			idp.AddServiceProvider("authy", body)

			var tested struct {
				OK      bool   `json:"ok"`
				Problem string `json:"problem"`
			}
			expect(t, srv.Do(t, "POST", base+"/"+c.ID+"/test", nil, owner.token), http.StatusOK).Decode(t, &tested)
			if !tested.OK {
				t.Fatalf("test %+v", tested)
			}

			var rotated samlConnectionView
			expect(t, srv.Do(t, "POST", base+"/"+c.ID+"/certificate", nil, owner.token), http.StatusOK).Decode(t, &rotated)
			if rotated.SAML == nil || rotated.SAML.SPCertificate == s.SPCertificate {
				t.Fatal("the rotation kept the certificate")
			}
			md = srv.Do(t, "GET", "/api/v1/sso/saml/"+c.ID+"/metadata", nil, "")
			if !strings.Contains(string(md.Body), certBase64(t, rotated.SAML.SPCertificate)) || strings.Contains(string(md.Body), certBase64(t, s.SPCertificate)) {
				t.Fatal("the metadata does not carry the new certificate alone")
			}

			// The document inline, on a second verified domain.
			other := verifiedDomain(t, srv, dns, org.ID, owner)
			var inline samlConnectionView
			expect(t, srv.Do(t, "POST", base, map[string]any{"type": "saml", "name": "Inline", "domains": []string{other},
				"idp_metadata_xml": idp.Metadata(), "allow_idp_initiated": true}, owner.token), http.StatusCreated).Decode(t, &inline)
			if inline.SAML == nil || inline.SAML.IdPMetadataURL != nil || !inline.SAML.AllowIdPInitiated || inline.SAML.SPCertificate == s.SPCertificate {
				t.Fatalf("inline %+v", inline.SAML)
			}

			third := verifiedDomain(t, srv, dns, org.ID, owner)
			saml := func(extra map[string]any) map[string]any {
				m := map[string]any{"type": "saml", "name": "X", "domains": []string{third}}
				for k, v := range extra {
					m[k] = v
				}
				return m
			}
			for name, tc := range map[string]struct {
				body  map[string]any
				field string
			}{
				"no metadata":         {saml(nil), "idp_metadata_url"},
				"both":                {saml(map[string]any{"idp_metadata_url": idp.MetadataURL(), "idp_metadata_xml": idp.Metadata()}), "idp_metadata_url"},
				"not metadata":        {saml(map[string]any{"idp_metadata_xml": "<html>hello</html>"}), "idp_metadata_xml"},
				"an SP's metadata":    {saml(map[string]any{"idp_metadata_xml": body}), "idp_metadata_xml"},
				"metadata URL 404":    {saml(map[string]any{"idp_metadata_url": idp.URL + "/nothing"}), "idp_metadata_url"},
				"ftp URL":             {saml(map[string]any{"idp_metadata_url": "ftp://idp.example/md"}), "idp_metadata_url"},
				"an OIDC field":       {saml(map[string]any{"idp_metadata_url": idp.MetadataURL(), "issuer": "https://idp.example"}), "issuer"},
				"a SAML field (oidc)": {map[string]any{"type": "oidc", "name": "X", "domains": []string{third}, "allow_idp_initiated": true, "issuer": "https://idp.example", "client_id": "a", "client_secret": "b"}, "allow_idp_initiated"},
			} {
				res := srv.Do(t, "POST", base, tc.body, owner.token)
				if res.Status != http.StatusBadRequest || res.Env.Error == nil || res.Env.Error.Details[tc.field] == nil {
					t.Errorf("%s: %d %s", name, res.Status, res.Body)
				}
			}
			var list []samlConnectionView
			expect(t, srv.Do(t, "GET", base, nil, owner.token), http.StatusOK).Decode(t, &list)
			if len(list) != 2 {
				t.Fatalf("a refused request created a connection: %d", len(list))
			}

			// Metadata of what is no SAML connection, a rotation by another
			// organization's owner.
			for _, id := range []string{"00000000-0000-4000-8000-000000000000", "not-a-uuid"} {
				wantCode(t, srv.Do(t, "GET", "/api/v1/sso/saml/"+id+"/metadata", nil, ""), http.StatusNotFound, "sso.connection_not_found")
			}
			stranger := signUp(t, srv, "stranger")
			strangerOrg := createOrg(t, srv, stranger, map[string]any{"name": "Elsewhere"})
			if res := srv.Do(t, "POST", "/api/v1/organizations/"+strangerOrg.ID+"/sso-connections/"+c.ID+"/certificate", nil, stranger.token); res.Status != http.StatusNotFound {
				t.Fatalf("another organization rotated it: %d %s", res.Status, res.Body)
			}
			audit := srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?limit=100", nil, owner.token)
			if !strings.Contains(string(audit.Body), `"organization.sso_connection.certificate_rotated"`) {
				t.Error("the rotation is not audited")
			}
		})
	}
}

// samlConnectionFor creates a SAML connection of org over idp's metadata
// and registers its service provider at idp.
func samlConnectionFor(t *testing.T, srv *apitest.Server, idp *samlssotest.IdP, org string, owner orgAccount, domain string, extra map[string]any) samlConnectionView {
	t.Helper()
	body := map[string]any{"type": "saml", "name": "Corp SAML", "domains": []string{domain}, "idp_metadata_url": idp.MetadataURL()}
	for k, v := range extra {
		body[k] = v
	}
	var c samlConnectionView
	expect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org+"/sso-connections", body, owner.token), http.StatusCreated).Decode(t, &c)
	idp.AddServiceProvider("sp-"+c.ID, string(srv.Do(t, "GET", "/api/v1/sso/saml/"+c.ID+"/metadata", nil, "").Body))
	return c
}

// post sends the identity provider's form to the assertion consumer
// service from b.
func (b *pageBrowser) post(t *testing.T, p samlssotest.Posted) pageAnswer {
	t.Helper()
	form := url.Values{"SAMLResponse": {p.SAMLResponse}}
	if p.RelayState != "" {
		form.Set("RelayState", p.RelayState)
	}
	return b.send(t, "POST", pathOf(t, p.ACS), form)
}

// SP-initiated SAML sign-in against a real identity provider (crewjam's
// samlidp): the first sign-in opens the account (address verified) and
// the membership with the connection's role; the session records
// saml:<connection>. A replayed, tampered, SHA-1-signed, unsolicited,
// another browser's or another connection's response, and an address
// outside the connection's domains, are refused and create nothing.
func TestSAMLSignIn_JustInTimeAndEveryForgedResponseRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, _ := ssoServer(t, backend)
			idp := samlssotest.Start(t)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			c := samlConnectionFor(t, srv, idp, org.ID, owner, domain, map[string]any{"default_role": "admin"})
			jane := "jane@" + domain
			idp.AddUser("jane", "jane-pass", jane, "Jane Doe")
			idp.AddUser("mallory", "mallory-pass", "mallory@elsewhere.example", "Mallory")

			b := newPageBrowser(t, srv)
			start := func(b *pageBrowser) string {
				t.Helper()
				a := b.ssoStart(t, c.ID, "")
				loc := a.header.Get("Location")
				if !strings.HasPrefix(loc, idp.URL+"/sso?") || !strings.Contains(loc, "SAMLRequest=") || !strings.Contains(loc, "RelayState=") {
					t.Fatalf("start did not send the browser to the identity provider: %s", loc)
				}
				return loc
			}
			posted := idp.SignIn(start(b), "jane", "jane-pass")
			if posted.ACS != srv.URL+"/api/v1/sso/saml/"+c.ID+"/acs" {
				t.Fatalf("the identity provider posts to %s", posted.ACS)
			}
			done := b.post(t, posted)
			wantRedirect(t, done, "/account")
			if b.session() == "" {
				t.Fatal("no session after the SAML sign-in")
			}
			var me meView
			expect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, b.session()), http.StatusOK).Decode(t, &me)
			if me.Email != jane || !me.EmailVerified || me.Name != "Jane Doe" {
				t.Fatalf("me %+v", me)
			}
			if role := roleOfUser(membersOf(t, srv, org.ID, owner), me.ID); role != "admin" {
				t.Fatalf("the provisioned member's role %q", role)
			}
			sess := expect(t, srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session()), http.StatusOK)
			if !strings.Contains(string(sess.Body), "saml:"+c.ID) {
				t.Fatalf("the session does not record the connection: %s", sess.Body)
			}

			// A later sign-in takes the name the provider asserts now.
			idp.AddUser("jane", "jane-pass", jane, "Jane Roe")
			later := newPageBrowser(t, srv)
			wantRedirect(t, later.post(t, idp.SignIn(start(later), "jane", "jane-pass")), "/account")
			var again meView
			expect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, later.session()), http.StatusOK).Decode(t, &again)
			if again.ID != me.ID || again.Name != "Jane Roe" {
				t.Fatalf("after a later sign-in: %+v", again)
			}

			// The same response again: the relay state is spent.
			wantRedirect(t, b.post(t, posted), "/login?error=sso.state_invalid")
			// Under a new flow's relay state, the old response answers
			// another request.
			fresh := idp.SignIn(start(b), "jane", "jane-pass")
			wantRedirect(t, b.post(t, samlssotest.Posted{ACS: posted.ACS, SAMLResponse: posted.SAMLResponse, RelayState: fresh.RelayState}), "/login?error=sso.token_invalid")
			// Tampered: a signed attribute of the response changed after
			// signing (its assertion is encrypted to the service provider,
			// so the address cannot be read, let alone edited).
			fresh = idp.SignIn(start(b), "jane", "jane-pass")
			raw, _ := base64.StdEncoding.DecodeString(fresh.SAMLResponse)
			instant := regexp.MustCompile(`IssueInstant="[^"]*(\d)Z"`).FindStringSubmatchIndex(string(raw))
			if instant == nil || !strings.Contains(string(raw), "EncryptedAssertion") {
				t.Fatalf("an unexpected response:\n%.2000s", raw)
			}
			digit := raw[instant[2]]
			forged := string(raw[:instant[2]]) + string('0'+(digit-'0'+1)%10) + string(raw[instant[3]:])
			wantRedirect(t, b.post(t, samlssotest.Posted{ACS: fresh.ACS, SAMLResponse: base64.StdEncoding.EncodeToString([]byte(forged)), RelayState: fresh.RelayState}), "/login?error=sso.token_invalid")
			// Another browser cannot finish this browser's flow.
			fresh = idp.SignIn(start(b), "jane", "jane-pass")
			wantRedirect(t, newPageBrowser(t, srv).post(t, fresh), "/login?error=sso.browser_mismatch")
			// Unsolicited responses are off for this connection.
			fresh = idp.SignIn(start(b), "jane", "jane-pass")
			wantRedirect(t, b.post(t, samlssotest.Posted{ACS: fresh.ACS, SAMLResponse: fresh.SAMLResponse}), "/login?error=sso.state_invalid")
			// An address outside the connection's domains.
			wantRedirect(t, b.post(t, idp.SignIn(start(b), "mallory", "mallory-pass")), "/login?error=sso.email_outside_domains")
			// Another connection's response, at this connection's ACS.
			other := verifiedDomain(t, srv, dns, org.ID, owner)
			c2 := samlConnectionFor(t, srv, idp, org.ID, owner, other, nil)
			idp.AddUser("jane2", "jane2-pass", "jane@"+other, "Jane Two")
			fresh = idp.SignIn(start(b), "jane", "jane-pass")
			b2 := newPageBrowser(t, srv)
			relay2 := b2.ssoStart(t, c2.ID, "").header.Get("Location")
			u2, _ := url.Parse(relay2)
			wantRedirect(t, b2.post(t, samlssotest.Posted{ACS: srv.URL + "/api/v1/sso/saml/" + c2.ID + "/acs", SAMLResponse: fresh.SAMLResponse,
				RelayState: u2.Query().Get("RelayState")}), "/login?error=sso.token_invalid")
			// Unsolicited responses where the connection allows them: once.
			expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID+"/sso-connections/"+c2.ID, map[string]any{"allow_idp_initiated": true}, owner.token), http.StatusOK)
			portal := idp.Unsolicited(srv.URL+"/api/v1/sso/saml/"+c2.ID+"/metadata", "jane2", "jane2-pass")
			if portal.RelayState != "" {
				t.Fatalf("an IdP-initiated response with relay state %q", portal.RelayState)
			}
			b3 := newPageBrowser(t, srv)
			wantRedirect(t, b3.post(t, portal), "/account")
			wantRedirect(t, newPageBrowser(t, srv).post(t, portal), "/login?error=sso.token_invalid")
			// SHA-1 signatures are refused.
			idp.SignWithSHA1()
			wantRedirect(t, b.post(t, idp.SignIn(start(b), "jane", "jane-pass")), "/login?error=sso.token_invalid")

			if n := len(membersOf(t, srv, org.ID, owner)); n != 3 {
				t.Fatalf("a refused response changed the members: %d", n)
			}
			audit := string(srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?limit=100", nil, owner.token).Body)
			for _, action := range []string{"auth.sso.user_provisioned", "auth.sso.succeeded", "auth.sso.failed"} {
				if !strings.Contains(audit, `"`+action+`"`) {
					t.Errorf("no %s in the audit log", action)
				}
			}
		})
	}
}
