//go:build integration

package e2e

import (
	"encoding/base64"
	"encoding/pem"
	"net/http"
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
