//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/apitest"
)

// oauthEnv is a seeded server (Acme Corp: alice owner, carol admin, bob
// member) with the owner's token and the organization's id.
type oauthEnv struct {
	srv   *apitest.Server
	owner string
	admin string
	bob   string
	org   string
}

func signInAs(t *testing.T, srv *apitest.Server, email, password string) string {
	t.Helper()
	res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]string{"email": email, "password": password}, "")
	if res.Status != 200 {
		t.Fatalf("sign in %s: %d %s", email, res.Status, res.Body)
	}
	var s struct {
		Token string `json:"token"`
	}
	res.Decode(t, &s)
	return s.Token
}

func newOAuthEnv(t *testing.T, backend apitest.Backend, opts ...apitest.Option) oauthEnv {
	t.Helper()
	srv := apitest.Start(t, backend, append([]apitest.Option{apitest.WithOwnPublicURL()}, opts...)...)
	if err := srv.App.Seed(context.Background(), io.Discard); err != nil {
		t.Fatal(err)
	}
	e := oauthEnv{srv: srv,
		owner: signInAs(t, srv, "alice@acme-corp.com", "OwnerPass123!"),
		admin: signInAs(t, srv, "carol@acme-corp.com", "AdminPass123!"),
		bob:   signInAs(t, srv, "bob@acme-corp.com", "UserPass123!"),
	}
	var orgs []struct {
		ID string `json:"id"`
	}
	srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, e.owner).Decode(t, &orgs)
	e.org = orgs[0].ID
	return e
}

type createdClient struct {
	ClientID     string  `json:"client_id"`
	ClientSecret *string `json:"client_secret"`
	Public       bool    `json:"public"`
}

func (e oauthEnv) clients() string { return "/api/v1/organizations/" + e.org + "/oauth-clients" }

func (e oauthEnv) createClient(t *testing.T, body map[string]any) createdClient {
	t.Helper()
	res := e.srv.Do(t, "POST", e.clients(), body, e.owner)
	if res.Status != 201 {
		t.Fatalf("create client: %d %s", res.Status, res.Body)
	}
	var c createdClient
	res.Decode(t, &c)
	return c
}

func (e oauthEnv) machineClient(t *testing.T, method string, extra map[string]any) (id, secret string) {
	t.Helper()
	body := map[string]any{"name": "worker " + method, "grant_types": []string{"client_credentials"},
		"token_endpoint_auth_method": method, "scopes": []string{"reports:read", "reports:write"}}
	for k, v := range extra {
		body[k] = v
	}
	c := e.createClient(t, body)
	if c.ClientSecret == nil {
		t.Fatal("a confidential client got no secret")
	}
	return c.ClientID, *c.ClientSecret
}

// protocolCall posts a form to a protocol endpoint, with Basic credentials
// when user is set, and returns the status and the decoded JSON body.
func protocolCall(t *testing.T, srv *apitest.Server, path string, form url.Values, user, pass string) (int, http.Header, map[string]any) {
	t.Helper()
	req, err := http.NewRequest("POST", srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := map[string]any{}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s answered %d with a body that is not JSON: %s", path, res.StatusCode, raw)
		}
	}
	if res.StatusCode >= 500 {
		t.Fatalf("%s answered %d: %s", path, res.StatusCode, raw)
	}
	return res.StatusCode, res.Header, out
}

func ccToken(t *testing.T, srv *apitest.Server, id, secret string, style oauth2.AuthStyle, scopes ...string) (*oauth2.Token, error) {
	t.Helper()
	cfg := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: srv.URL + "/oauth2/token", Scopes: scopes, AuthStyle: style}
	return cfg.Token(context.Background())
}

func wantOAuthError(t *testing.T, err error, status int, code string) {
	t.Helper()
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		t.Fatalf("error %v, want %d %s", err, status, code)
	}
	if re.Response.StatusCode != status || re.ErrorCode != code {
		t.Fatalf("answer %d %q, want %d %s: %s", re.Response.StatusCode, re.ErrorCode, status, code, re.Body)
	}
}

func introspect(t *testing.T, srv *apitest.Server, token, id, secret string) map[string]any {
	t.Helper()
	status, _, body := protocolCall(t, srv, "/oauth2/introspect", url.Values{"token": {token}}, id, secret)
	if status != 200 {
		t.Fatalf("introspect: %d %v", status, body)
	}
	return body
}

func TestOAuthClients_OwnersAndAdminsManageMembersAre403OthersAre404(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			c := e.createClient(t, map[string]any{
				"name": "Portal", "grant_types": []string{"authorization_code", "refresh_token"},
				"redirect_uris": []string{"https://portal.example.com/cb", "http://127.0.0.1:8080/cb"},
			})
			if c.ClientSecret == nil || len(*c.ClientSecret) != 43 {
				t.Fatalf("created %+v", c)
			}
			one := e.clients() + "/" + c.ClientID
			if res := e.srv.Do(t, "GET", one, nil, e.admin); res.Status != 200 || strings.Contains(string(res.Body), *c.ClientSecret) {
				t.Fatalf("admin get: %d %s", res.Status, res.Body)
			}
			list := e.srv.Do(t, "GET", e.clients(), nil, e.admin)
			var items []map[string]any
			list.Decode(t, &items)
			if list.Status != 200 || len(items) < 2 { // the seed's portal and this one
				t.Fatalf("list: %d %s", list.Status, list.Body)
			}
			if res := e.srv.Do(t, "GET", e.clients(), nil, e.bob); res.Status != 403 || res.Env.Error.Code != "oauth.forbidden" {
				t.Fatalf("member: %d %s", res.Status, res.Body)
			}
			reg := e.srv.Do(t, "POST", "/api/v1/auth/register", map[string]string{
				"email": "mallory@example.com", "password": "correct horse battery", "name": "Mallory"}, "")
			if reg.Status != 201 {
				t.Fatalf("register: %d %s", reg.Status, reg.Body)
			}
			mallory := signInAs(t, e.srv, "mallory@example.com", "correct horse battery")
			for _, call := range []struct{ method, path string }{{"GET", e.clients()}, {"GET", one}, {"DELETE", one}, {"POST", one + "/secret"}} {
				if res := e.srv.Do(t, call.method, call.path, nil, mallory); res.Status != 404 {
					t.Fatalf("non-member %s %s: %d", call.method, call.path, res.Status)
				}
			}
			patched := e.srv.Do(t, "PATCH", one, map[string]any{"name": "Portal 2", "resource_server": true}, e.admin)
			if patched.Status != 200 || !strings.Contains(string(patched.Body), `"resource_server":true`) {
				t.Fatalf("patch: %d %s", patched.Status, patched.Body)
			}
			if res := e.srv.Do(t, "DELETE", one, nil, e.owner); res.Status != 200 {
				t.Fatalf("delete: %d", res.Status)
			}
			if res := e.srv.Do(t, "GET", one, nil, e.owner); res.Status != 404 || res.Env.Error.Code != "oauth.client_not_found" {
				t.Fatalf("deleted client: %d %s", res.Status, res.Body)
			}
			audit := e.srv.Do(t, "GET", "/api/v1/organizations/"+e.org+"/audit-logs?action=oauth.client.&limit=50", nil, e.owner)
			for _, action := range []string{"oauth.client.created", "oauth.client.updated", "oauth.client.deleted"} {
				if !strings.Contains(string(audit.Body), `"`+action+`"`) {
					t.Errorf("no %s in the audit log", action)
				}
			}
		})
	}
}

func TestOAuthClients_RedirectURIsAreRefusedPerFieldWhenAnAttackerCouldAbuseThem(t *testing.T) {
	e := newOAuthEnv(t, apitest.Embedded)
	for _, uri := range []string{
		"http://portal.example.com/cb", "https://portal.example.com/cb#frag", "https://*.example.com/cb",
		"https://user@portal.example.com/cb", "javascript:alert(1)", "/relative",
	} {
		res := e.srv.Do(t, "POST", e.clients(), map[string]any{
			"name": "x", "grant_types": []string{"authorization_code"}, "redirect_uris": []string{uri},
		}, e.owner)
		if res.Status != 400 || res.Env.Error.Type != "VALIDATION_ERROR" || len(res.Env.Error.Details["redirect_uris"]) == 0 {
			t.Errorf("%s: %d %s", uri, res.Status, res.Body)
		}
	}
}

func TestOAuthToken_ClientCredentialsWithBasicAndPostAuthentication(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			basicID, basicSecret := e.machineClient(t, "client_secret_basic", nil)
			postID, postSecret := e.machineClient(t, "client_secret_post", nil)

			tok, err := ccToken(t, e.srv, basicID, basicSecret, oauth2.AuthStyleInHeader, "reports:read")
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(tok.AccessToken, "authy_at_") || tok.TokenType != "bearer" || tok.Expiry.Before(time.Now().Add(50*time.Minute)) {
				t.Fatalf("token %+v", tok)
			}
			if tok.Extra("scope") != "reports:read" || tok.RefreshToken != "" {
				t.Fatalf("scope %v refresh %q", tok.Extra("scope"), tok.RefreshToken)
			}
			if _, err := ccToken(t, e.srv, postID, postSecret, oauth2.AuthStyleInParams); err != nil {
				t.Fatal(err)
			}

			// Each client authenticates only with its registered method.
			_, err = ccToken(t, e.srv, basicID, basicSecret, oauth2.AuthStyleInParams)
			wantOAuthError(t, err, 401, "invalid_client")
			_, err = ccToken(t, e.srv, postID, postSecret, oauth2.AuthStyleInHeader)
			wantOAuthError(t, err, 401, "invalid_client")
			// A wrong secret and an unknown client are the same 401.
			_, err = ccToken(t, e.srv, basicID, wrongSecret(basicSecret), oauth2.AuthStyleInHeader)
			wantOAuthError(t, err, 401, "invalid_client")
			_, err = ccToken(t, e.srv, "no-such-client", basicSecret, oauth2.AuthStyleInHeader)
			wantOAuthError(t, err, 401, "invalid_client")
			// A scope the client was not registered for.
			_, err = ccToken(t, e.srv, basicID, basicSecret, oauth2.AuthStyleInHeader, "admin")
			wantOAuthError(t, err, 400, "invalid_scope")

			// The hand-set secret of the seed's client (argon2id) works too.
			if _, err := ccToken(t, e.srv, "acme-portal-001", "acme_secret_portal_2024", oauth2.AuthStyleInHeader); err != nil {
				t.Fatalf("the seed's client: %v", err)
			}
			if _, err := ccToken(t, e.srv, "acme-portal-001", "acme_secret_portal_2025", oauth2.AuthStyleInHeader); err == nil {
				t.Fatal("a wrong hand-set secret was accepted")
			}
			metrics := e.srv.Metrics(t)
			if !strings.Contains(metrics, `authy_oauth_tokens_issued_total{client="`+basicID+`",grant="client_credentials"} 1`) {
				t.Errorf("issued tokens are not counted by grant and client:\n%s", grepLines(metrics, "oauth_tokens"))
			}
		})
	}
}

// wrongSecret is secret with its last character changed.
func wrongSecret(secret string) string {
	last := byte('A')
	if secret[len(secret)-1] == last {
		last = 'B'
	}
	return secret[:len(secret)-1] + string(last)
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestOAuthToken_MalformedRequestsGetTheProtocolsErrorNever500(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			id, secret := e.machineClient(t, "client_secret_basic", nil)
			for _, tc := range []struct {
				name   string
				form   url.Values
				status int
				code   string
			}{
				{"no grant type", url.Values{}, 400, "invalid_request"},
				{"unknown grant type", url.Values{"grant_type": {"password"}, "username": {"a"}, "password": {"b"}}, 400, "unsupported_grant_type"},
				{"implicit-style grant", url.Values{"grant_type": {"implicit"}}, 400, "unsupported_grant_type"},
				{"a grant the client is not registered for", url.Values{"grant_type": {"refresh_token"}, "refresh_token": {"authy_rt_x.y"}}, 400, "unauthorized_client"},
				{"a code for a machine client", url.Values{"grant_type": {"authorization_code"}, "code": {"authy_ac_x.y"}}, 400, "unauthorized_client"},
			} {
				status, _, body := protocolCall(t, e.srv, "/oauth2/token", tc.form, id, secret)
				if status != tc.status || body["error"] != tc.code {
					t.Errorf("%s: %d %v, want %d %s", tc.name, status, body, tc.status, tc.code)
				}
			}
			// A JSON body, a GET and a body past the limit.
			req, _ := http.NewRequest("POST", e.srv.URL+"/oauth2/token", strings.NewReader(`{"grant_type":"client_credentials"}`))
			req.Header.Set("Content-Type", "application/json")
			req.SetBasicAuth(id, secret)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 400 || !strings.Contains(string(raw), `"invalid_request"`) {
				t.Errorf("JSON body: %d %s", res.StatusCode, raw)
			}
			res, err = http.Get(e.srv.URL + "/oauth2/token")
			if err != nil {
				t.Fatal(err)
			}
			raw, _ = io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != 405 || !strings.Contains(string(raw), `"error":"invalid_request"`) {
				t.Errorf("GET: %d %s", res.StatusCode, raw)
			}
			status, _, body := protocolCall(t, e.srv, "/oauth2/introspect", url.Values{}, id, secret)
			if status != 400 || body["error"] != "invalid_request" {
				t.Errorf("introspection without a token: %d %v", status, body)
			}
			status, _, body = protocolCall(t, e.srv, "/oauth2/introspect", url.Values{"token": {"x"}}, id, "wrong")
			if status != 401 || body["error"] != "invalid_client" {
				t.Errorf("introspection with a wrong secret: %d %v", status, body)
			}
			status, _, body = protocolCall(t, e.srv, "/oauth2/revoke", url.Values{}, id, secret)
			if status != 400 || body["error"] != "invalid_request" {
				t.Errorf("revocation without a token: %d %v", status, body)
			}
		})
	}
}

func TestOAuthIntrospection_OwnTokensActiveOthersRefusedUnlessResourceServer(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			id, secret := e.machineClient(t, "client_secret_basic", nil)
			otherID, otherSecret := e.machineClient(t, "client_secret_basic", nil)
			rsID, rsSecret := e.machineClient(t, "client_secret_post", map[string]any{"resource_server": true})
			tok, err := ccToken(t, e.srv, id, secret, oauth2.AuthStyleInHeader, "reports:read")
			if err != nil {
				t.Fatal(err)
			}
			own := introspect(t, e.srv, tok.AccessToken, id, secret)
			if own["active"] != true || own["client_id"] != id || own["scope"] != "reports:read" || own["sub"] != id || own["token_type"] != nil && own["token_type"] != "Bearer" {
				t.Fatalf("own token: %v", own)
			}
			if got := introspect(t, e.srv, tok.AccessToken, otherID, otherSecret); len(got) != 1 || got["active"] != false {
				t.Fatalf("another client learned about the token: %v", got)
			}
			status, _, rs := protocolCall(t, e.srv, "/oauth2/introspect", url.Values{
				"token": {tok.AccessToken}, "client_id": {rsID}, "client_secret": {rsSecret}}, "", "")
			if status != 200 || rs["active"] != true || rs["client_id"] != id {
				t.Fatalf("resource server: %d %v", status, rs)
			}
			if got := introspect(t, e.srv, "authy_at_forged.token", id, secret); got["active"] != false {
				t.Fatalf("forged token: %v", got)
			}

			// Revocation (RFC 7009): the token is inactive after, and audited.
			status, _, _ = protocolCall(t, e.srv, "/oauth2/revoke", url.Values{"token": {tok.AccessToken}, "token_type_hint": {"access_token"}}, id, secret)
			if status != 200 {
				t.Fatalf("revoke: %d", status)
			}
			if got := introspect(t, e.srv, tok.AccessToken, id, secret); got["active"] != false {
				t.Fatalf("revoked token: %v", got)
			}
			status, _, _ = protocolCall(t, e.srv, "/oauth2/revoke", url.Values{"token": {"authy_at_unknown.token"}}, id, secret)
			if status != 200 {
				t.Fatalf("revoking an unknown token: %d", status)
			}
			audit := e.srv.Do(t, "GET", "/api/v1/organizations/"+e.org+"/audit-logs?action=oauth.token.revoked", nil, e.owner)
			var recs []struct {
				ActorType string `json:"actor_type"`
				ActorID   string `json:"actor_id"`
			}
			audit.Decode(t, &recs)
			if len(recs) != 1 || recs[0].ActorType != "client" || recs[0].ActorID != id {
				t.Fatalf("revocation audit: %s", audit.Body)
			}

			// A deleted client's tokens are gone with it.
			tok2, err := ccToken(t, e.srv, id, secret, oauth2.AuthStyleInHeader)
			if err != nil {
				t.Fatal(err)
			}
			if res := e.srv.Do(t, "DELETE", e.clients()+"/"+id, nil, e.owner); res.Status != 200 {
				t.Fatal(res.Status)
			}
			status, _, rs = protocolCall(t, e.srv, "/oauth2/introspect", url.Values{
				"token": {tok2.AccessToken}, "client_id": {rsID}, "client_secret": {rsSecret}}, "", "")
			if status != 200 || rs["active"] != false {
				t.Fatalf("a deleted client's token: %d %v", status, rs)
			}
		})
	}
}

type jwks struct {
	Keys []jose.JSONWebKey `json:"keys"`
}

func fetchJWKS(t *testing.T, srv *apitest.Server) (jwks, http.Header) {
	t.Helper()
	res, err := http.Get(srv.URL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var set jwks
	if err := json.NewDecoder(res.Body).Decode(&set); err != nil || res.StatusCode != 200 {
		t.Fatalf("JWKS: %d %v", res.StatusCode, err)
	}
	return set, res.Header
}

func (s jwks) kids(alg string) []string {
	var out []string
	for _, k := range s.Keys {
		if k.Algorithm == alg {
			out = append(out, k.KeyID)
		}
	}
	return out
}

// verifyJWT checks token against set as a relying party would, and returns
// the key id that signed it.
func verifyJWT(t *testing.T, set jwks, token, issuer string) string {
	t.Helper()
	parsed, err := josejwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256, jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	h := parsed.Headers[0]
	if h.ExtraHeaders[jose.HeaderType] != "at+jwt" {
		t.Fatalf("typ %v, want at+jwt", h.ExtraHeaders[jose.HeaderType])
	}
	for _, k := range set.Keys {
		if k.KeyID != h.KeyID {
			continue
		}
		var claims josejwt.Claims
		var extra struct {
			ClientID string `json:"client_id"`
		}
		if err := parsed.Claims(k.Key, &claims, &extra); err != nil {
			t.Fatalf("signature: %v", err)
		}
		if err := claims.Validate(josejwt.Expected{Issuer: issuer, Time: time.Now()}); err != nil {
			t.Fatalf("claims: %v", err)
		}
		if extra.ClientID == "" || claims.Subject == "" || claims.ID == "" || len(claims.Audience) == 0 {
			t.Fatalf("RFC 9068 claims missing: %+v %+v", claims, extra)
		}
		return h.KeyID
	}
	t.Fatalf("key %s is not in the JWKS %v", h.KeyID, set.kids(h.Algorithm))
	return ""
}

func TestOAuthDiscovery_NamesTheEndpointsAndTheJWKSIsCacheable(t *testing.T) {
	e := newOAuthEnv(t, apitest.Embedded)
	res, err := http.Get(e.srv.URL + "/.well-known/openid-configuration")
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	_ = json.NewDecoder(res.Body).Decode(&doc)
	res.Body.Close()
	iss := e.srv.Config().PublicURL
	for field, want := range map[string]string{
		"issuer": iss, "jwks_uri": iss + "/.well-known/jwks.json", "token_endpoint": iss + "/oauth2/token",
		"introspection_endpoint": iss + "/oauth2/introspect", "revocation_endpoint": iss + "/oauth2/revoke",
	} {
		if doc[field] != want {
			t.Errorf("%s = %v, want %s", field, doc[field], want)
		}
	}
	if !strings.Contains(res.Header.Get("Cache-Control"), "max-age=") {
		t.Errorf("discovery Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	set, header := fetchJWKS(t, e.srv)
	if len(set.kids("RS256")) != 1 || len(set.kids("ES256")) != 1 || !strings.Contains(header.Get("Cache-Control"), "max-age=300") {
		t.Fatalf("JWKS %v / %v, Cache-Control %q", set.kids("RS256"), set.kids("ES256"), header.Get("Cache-Control"))
	}
	for _, k := range set.Keys {
		if !k.IsPublic() || k.Use != "sig" {
			t.Fatalf("the JWKS holds a private or unusable key: %+v", k)
		}
	}
	res, err = http.Get(e.srv.URL + "/.well-known/nothing")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 404 || !strings.Contains(string(raw), `"error"`) || strings.Contains(string(raw), `"success"`) {
		t.Fatalf("unknown protocol path: %d %s", res.StatusCode, raw)
	}
}

func TestOAuthKeys_ARotationWhileJWTAccessTokensLiveKeepsThemVerifiable(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := platformporttest.NewClock(time.Now().UTC())
			e := newOAuthEnv(t, backend, apitest.WithClock(clock))
			id, secret := e.machineClient(t, "client_secret_basic", map[string]any{"access_token_format": "jwt"})
			iss := e.srv.Config().PublicURL
			before, err := ccToken(t, e.srv, id, secret, oauth2.AuthStyleInHeader, "reports:read")
			if err != nil {
				t.Fatal(err)
			}
			set, _ := fetchJWKS(t, e.srv)
			oldKid := verifyJWT(t, set, before.AccessToken, iss)

			var out bytes.Buffer
			if err := e.srv.App.RotateKeys(context.Background(), &out, false); err != nil {
				t.Fatalf("rotate: %v\n%s", err, out.String())
			}
			set, _ = fetchJWKS(t, e.srv)
			if got := set.kids("RS256"); len(got) != 2 {
				t.Fatalf("the successor is not published before it signs: %v", got)
			}
			during, err := ccToken(t, e.srv, id, secret, oauth2.AuthStyleInHeader)
			if err != nil {
				t.Fatal(err)
			}
			if kid := verifyJWT(t, set, during.AccessToken, iss); kid != oldKid {
				t.Fatal("the successor signed before its lead ran out")
			}

			clock.Advance(11 * time.Minute)
			after, err := ccToken(t, e.srv, id, secret, oauth2.AuthStyleInHeader)
			if err != nil {
				t.Fatal(err)
			}
			set, _ = fetchJWKS(t, e.srv)
			newKid := verifyJWT(t, set, after.AccessToken, iss)
			if newKid == oldKid {
				t.Fatal("new tokens are still signed with the old key")
			}
			if kid := verifyJWT(t, set, before.AccessToken, iss); kid != oldKid {
				t.Fatal("the old token no longer verifies")
			}
			for _, tok := range []string{before.AccessToken, after.AccessToken} {
				if got := introspect(t, e.srv, tok, id, secret); got["active"] != true {
					t.Fatalf("introspection after the rotation: %v", got)
				}
			}
			// Opaque tokens issued before the HMAC secret rotated stay valid.
			opaqueID, opaqueSecret := e.machineClient(t, "client_secret_basic", nil)
			opaque, err := ccToken(t, e.srv, opaqueID, opaqueSecret, oauth2.AuthStyleInHeader)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.srv.App.RotateKeys(context.Background(), io.Discard, false); err != nil {
				t.Fatal(err)
			}
			clock.Advance(11 * time.Minute)
			if got := introspect(t, e.srv, opaque.AccessToken, opaqueID, opaqueSecret); got["active"] != true {
				t.Fatalf("an opaque token after the HMAC secret rotated: %v", got)
			}
		})
	}
}

func TestOAuthSecretRotation_TheOldSecretWorksForTheGracePeriodOnly(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := platformporttest.NewClock(time.Now().UTC())
			e := newOAuthEnv(t, backend, apitest.WithClock(clock), apitest.WithConfig(func(c *bootstrap.Config) {
				c.OAuthSecretRotationGrace = time.Hour
			}))
			id, oldSecret := e.machineClient(t, "client_secret_basic", nil)
			res := e.srv.Do(t, "POST", e.clients()+"/"+id+"/secret", nil, e.admin)
			var rotated struct {
				ClientSecret            string     `json:"client_secret"`
				PreviousSecretExpiresAt *time.Time `json:"previous_secret_expires_at"`
			}
			res.Decode(t, &rotated)
			if res.Status != 200 || rotated.ClientSecret == oldSecret || rotated.PreviousSecretExpiresAt == nil {
				t.Fatalf("rotate: %d %s", res.Status, res.Body)
			}
			for _, s := range []string{oldSecret, rotated.ClientSecret} {
				if _, err := ccToken(t, e.srv, id, s, oauth2.AuthStyleInHeader); err != nil {
					t.Fatalf("within the grace period: %v", err)
				}
			}
			clock.Advance(time.Hour + time.Second)
			_, err := ccToken(t, e.srv, id, oldSecret, oauth2.AuthStyleInHeader)
			wantOAuthError(t, err, 401, "invalid_client")
			if _, err := ccToken(t, e.srv, id, rotated.ClientSecret, oauth2.AuthStyleInHeader); err != nil {
				t.Fatalf("the new secret: %v", err)
			}
			owner := signInAs(t, e.srv, "alice@acme-corp.com", "OwnerPass123!") // the first session idled out
			audit := e.srv.Do(t, "GET", "/api/v1/organizations/"+e.org+"/audit-logs?action=oauth.client.secret_rotated", nil, owner)
			if !strings.Contains(string(audit.Body), "oauth.client.secret_rotated") {
				t.Fatalf("rotation not audited: %s", audit.Body)
			}
			if err := e.srv.App.RunJob(context.Background(), "cleanup_oauth", 0); err != nil {
				t.Fatalf("cleanup_oauth: %v", err)
			}
		})
	}
}

// Guessing the hand-set secret of the seed's client is bounded: after ten
// failures from one address the token, introspection and revocation
// endpoints answer 429 (Retry-After, the RFC 6749 error format) before
// checking a secret again, even the right one, while a client with a
// generated secret is never limited.
func TestOAuth_GuessingAHandSetClientSecretIsRateLimited(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			e := newOAuthEnv(t, backend)
			genID, genSecret := e.machineClient(t, "client_secret_basic", nil)
			for range 10 {
				_, err := ccToken(t, e.srv, "acme-portal-001", "acme_secret_portal_2025", oauth2.AuthStyleInHeader)
				wantOAuthError(t, err, 401, "invalid_client")
				_, err = ccToken(t, e.srv, genID, wrongSecret(genSecret), oauth2.AuthStyleInHeader)
				wantOAuthError(t, err, 401, "invalid_client")
			}
			_, err := ccToken(t, e.srv, "acme-portal-001", "acme_secret_portal_2024", oauth2.AuthStyleInHeader)
			wantOAuthError(t, err, 429, "temporarily_unavailable")
			var re *oauth2.RetrieveError
			if errors.As(err, &re) && re.Response.Header.Get("Retry-After") == "" {
				t.Fatal("a limited client gets no Retry-After")
			}
			for _, path := range []string{"/oauth2/introspect", "/oauth2/revoke"} {
				status, _, body := protocolCall(t, e.srv, path, url.Values{"token": {"anything"}}, "acme-portal-001", "acme_secret_portal_2024")
				if status != 429 || body["error"] != "temporarily_unavailable" {
					t.Fatalf("%s for a limited client: %d %v", path, status, body)
				}
			}
			// The form's client_id is the same client.
			status, _, body := protocolCall(t, e.srv, "/oauth2/token", url.Values{"grant_type": {"client_credentials"},
				"client_id": {"acme-portal-001"}, "client_secret": {"acme_secret_portal_2024"}}, "", "")
			if status != 429 {
				t.Fatalf("client_secret_post for a limited client: %d %v", status, body)
			}
			if _, err := ccToken(t, e.srv, genID, genSecret, oauth2.AuthStyleInHeader); err != nil {
				t.Fatalf("a generated secret's client is limited after failures: %v", err)
			}
		})
	}
}
