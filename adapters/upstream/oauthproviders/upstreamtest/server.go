// Package upstreamtest is a fake of the identity providers Authy signs in
// through, on loopback, for tests without internet: an OpenID Connect
// provider under /oidc (discovery, JWKS, authorize, token, with ID tokens
// signed RS256) and the endpoints of Google, GitHub (also as an Enterprise
// Server under /api/v3) and Microsoft, reached through Transport, which
// sends their real host names to the fake.
//
// Authorization shows a page with one button (what a person would click);
// tests without a browser call Approve instead. The token endpoints check
// the client's credentials, the redirect URI, single use of codes and the
// PKCE S256 verifier whenever the authorization carried a challenge, and
// record every token request. Faults are armed for the next authorization:
// Deny (access_denied), ForgeSignature (an ID token signed by another key)
// and WrongNonce.
package upstreamtest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Client credentials the fake accepts.
const (
	ClientID     = "authy-test-client"
	ClientSecret = "authy-test-secret"
)

// GitHubEmail is one entry of GitHub's /user/emails.
type GitHubEmail struct {
	Email    string `json:"email"`
	Primary  bool   `json:"primary"`
	Verified bool   `json:"verified"`
}

// User is who the next authorization signs in as. For GitHub, Subject must
// be a number, and Emails (when set) is what /user/emails lists while
// Email is the public profile address.
type User struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	Emails        []GitHubEmail
}

type grant struct {
	user        User
	clientID    string
	redirectURI string
	nonce       string
	challenge   string
	forge       bool
	wrongNonce  bool
}

// Server is the running fake.
type Server struct {
	// URL is the fake's base URL (http://127.0.0.1:port); the OpenID
	// Connect issuer is URL + "/oidc".
	URL string

	srv      *httptest.Server
	key      *rsa.PrivateKey
	otherKey *rsa.PrivateKey

	mu         sync.Mutex
	next       *User
	deny       bool
	forge      bool
	wrongNonce bool
	codes      map[string]grant
	tokens     map[string]User
	requests   []url.Values
	authorized []url.Values
}

// Start runs the fake until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{key: key, otherKey: other, codes: map[string]grant{}, tokens: map[string]User{}}
	mux := http.NewServeMux()
	for _, p := range []string{"/oidc/authorize", "/o/oauth2/auth", "/login/oauth/authorize", "/common/oauth2/v2.0/authorize", "/{tenant}/oauth2/v2.0/authorize"} {
		mux.HandleFunc("GET "+p, s.authorizePage)
	}
	mux.HandleFunc("POST /approve", s.approve)
	for _, p := range []string{"/oidc/token", "/token", "/login/oauth/access_token", "/{tenant}/oauth2/v2.0/token"} {
		mux.HandleFunc("POST "+p, s.token)
	}
	mux.HandleFunc("GET /oidc/.well-known/openid-configuration", s.discovery)
	mux.HandleFunc("GET /oidc/jwks", s.jwks)
	mux.HandleFunc("GET /oauth2/v2/userinfo", s.googleUser)
	mux.HandleFunc("GET /user", s.githubUser)
	mux.HandleFunc("GET /api/v3/user", s.githubUser)
	mux.HandleFunc("GET /user/emails", s.githubEmails)
	mux.HandleFunc("GET /api/v3/user/emails", s.githubEmails)
	mux.HandleFunc("GET /v1.0/me", s.microsoftUser)
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL
	t.Cleanup(s.srv.Close)
	return s
}

// Issuer is the OpenID Connect provider's issuer.
func (s *Server) Issuer() string { return s.URL + "/oidc" }

// SignInAs makes u the user of the next authorization.
func (s *Server) SignInAs(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.next = &u
}

// Deny makes the next authorization answer error=access_denied.
func (s *Server) Deny() { s.mu.Lock(); s.deny = true; s.mu.Unlock() }

// ForgeSignature makes the next ID token signed by a key the JWKS does not
// publish.
func (s *Server) ForgeSignature() { s.mu.Lock(); s.forge = true; s.mu.Unlock() }

// WrongNonce makes the next ID token carry another nonce.
func (s *Server) WrongNonce() { s.mu.Lock(); s.wrongNonce = true; s.mu.Unlock() }

// TokenRequests returns the token requests received, in order.
func (s *Server) TokenRequests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.requests...)
}

// Authorizations returns the query of every authorization approved.
func (s *Server) Authorizations() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.authorized...)
}

// externalHosts are the providers' real hosts Transport sends here.
var externalHosts = map[string]bool{
	"accounts.google.com": true, "oauth2.googleapis.com": true, "www.googleapis.com": true,
	"github.com": true, "api.github.com": true, "login.microsoftonline.com": true, "graph.microsoft.com": true,
}

// Transport sends requests for the providers' real hosts to the fake and
// everything else on unchanged (so a test OpenID Connect provider or a
// GitHub Enterprise URL on loopback also works through it).
func (s *Server) Transport() http.RoundTripper {
	target, _ := url.Parse(s.URL)
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		if externalHosts[r.URL.Hostname()] {
			r = r.Clone(r.Context())
			r.URL.Scheme, r.URL.Host, r.Host = target.Scheme, target.Host, target.Host
		}
		return http.DefaultTransport.RoundTrip(r)
	})
}

// Client is an http.Client using Transport.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.Transport(), Timeout: 10 * time.Second}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// Rewrite returns raw with a provider's real host replaced by the fake's,
// as Transport would send it.
func (s *Server) Rewrite(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || !externalHosts[u.Hostname()] {
		return raw
	}
	target, _ := url.Parse(s.URL)
	u.Scheme, u.Host = target.Scheme, target.Host
	return u.String()
}

var page = template.Must(template.New("authorize").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><title>Fake provider</title></head>
<body><h1>Fake provider</h1><p>Sign in to the application as {{.Name}}?</p>
<form method="post" action="/approve">{{range $k, $v := .Query}}{{range $v}}<input type="hidden" name="{{$k}}" value="{{.}}">{{end}}{{end}}
<button id="approve" type="submit">Continue</button></form></body></html>`))

func (s *Server) authorizePage(w http.ResponseWriter, r *http.Request) {
	u := s.peekUser()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_ = page.Execute(w, map[string]any{"Name": u.Name, "Query": r.URL.Query()})
}

func (s *Server) peekUser() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.next != nil {
		return *s.next
	}
	return defaultUser
}

var defaultUser = User{Subject: "1001", Email: "person@example.com", EmailVerified: true, Name: "Test Person"}

func (s *Server) approve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	target, err := s.Approve(r.PostForm)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// Approve does what the authorization page's button does for an
// authorization request with query q (or an authorization URL's query, see
// ApproveURL) and returns the URL the browser is sent back to.
func (s *Server) Approve(q url.Values) (string, error) {
	redirect, err := url.Parse(q.Get("redirect_uri"))
	if err != nil || q.Get("redirect_uri") == "" {
		return "", fmt.Errorf("no redirect_uri")
	}
	if q.Get("client_id") != ClientID {
		return "", fmt.Errorf("unknown client %q", q.Get("client_id"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.authorized = append(s.authorized, q)
	back := redirect.Query()
	back.Set("state", q.Get("state"))
	if s.deny {
		s.deny = false
		back.Set("error", "access_denied")
		redirect.RawQuery = back.Encode()
		return redirect.String(), nil
	}
	u := defaultUser
	if s.next != nil {
		u, s.next = *s.next, nil
	}
	if q.Get("code_challenge") != "" && q.Get("code_challenge_method") != "S256" {
		return "", fmt.Errorf("only S256 challenges")
	}
	code := random()
	s.codes[code] = grant{user: u, clientID: q.Get("client_id"), redirectURI: q.Get("redirect_uri"), nonce: q.Get("nonce"),
		challenge: q.Get("code_challenge"), forge: s.forge, wrongNonce: s.wrongNonce}
	s.forge, s.wrongNonce = false, false
	back.Set("code", code)
	redirect.RawQuery = back.Encode()
	return redirect.String(), nil
}

// ApproveURL is Approve for an authorization URL (on the fake or on a
// provider's real host).
func (s *Server) ApproveURL(authURL string) (string, error) {
	u, err := url.Parse(authURL)
	if err != nil {
		return "", err
	}
	return s.Approve(u.Query())
}

func random() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func tokenError(w http.ResponseWriter, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		tokenError(w, "invalid_request", "bad form")
		return
	}
	s.mu.Lock()
	s.requests = append(s.requests, r.PostForm)
	g, ok := s.codes[r.PostForm.Get("code")]
	delete(s.codes, r.PostForm.Get("code"))
	s.mu.Unlock()
	id, secret, basic := r.BasicAuth()
	if !basic {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	switch {
	case id != ClientID || secret != ClientSecret:
		tokenError(w, "invalid_client", "wrong client credentials")
		return
	case !ok:
		tokenError(w, "invalid_grant", "unknown or used code")
		return
	case g.redirectURI != r.PostForm.Get("redirect_uri"):
		tokenError(w, "invalid_grant", "redirect_uri mismatch")
		return
	case g.challenge != "" && s256(r.PostForm.Get("code_verifier")) != g.challenge:
		tokenError(w, "invalid_grant", "PKCE verification failed")
		return
	}
	access := "at-" + random()
	s.mu.Lock()
	s.tokens[access] = g.user
	s.mu.Unlock()
	resp := map[string]any{"access_token": access, "token_type": "Bearer", "expires_in": 3600}
	if strings.HasPrefix(r.URL.Path, "/oidc/") {
		idt, err := s.idToken(g)
		if err != nil {
			tokenError(w, "server_error", err.Error())
			return
		}
		resp["id_token"] = idt
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(resp)
}

func s256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const keyID = "fake-key-1"

func (s *Server) idToken(g grant) (string, error) {
	key := s.key
	if g.forge {
		key = s.otherKey
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", keyID))
	if err != nil {
		return "", err
	}
	nonce := g.nonce
	if g.wrongNonce {
		nonce = "another-" + random()
	}
	now := time.Now()
	claims := map[string]any{
		"iss": s.Issuer(), "sub": g.user.Subject, "aud": g.clientID, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"nonce": nonce, "email": g.user.Email, "email_verified": g.user.EmailVerified, "name": g.user.Name,
	}
	return jwt.Signed(sig).Claims(claims).Serialize()
}

func (s *Server) discovery(w http.ResponseWriter, _ *http.Request) {
	iss := s.Issuer()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": iss, "authorization_endpoint": iss + "/authorize", "token_endpoint": iss + "/token",
		"jwks_uri": iss + "/jwks", "response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
	})
}

func (s *Server) jwks(w http.ResponseWriter, _ *http.Request) {
	set := jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &s.key.PublicKey, KeyID: keyID, Algorithm: "RS256", Use: "sig"}}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(set)
}

// bearer returns the user of the request's access token (header or, for
// Google, the access_token query parameter).
func (s *Server) bearer(r *http.Request) (User, bool) {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if tok == "" {
		tok = r.URL.Query().Get("access_token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.tokens[tok]
	return u, ok
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func (s *Server) googleUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	writeJSON(w, map[string]any{"id": u.Subject, "email": u.Email, "verified_email": u.EmailVerified, "name": u.Name})
}

func (s *Server) githubUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	id, err := strconv.Atoi(u.Subject)
	if err != nil {
		http.Error(w, "a GitHub subject is a number", http.StatusInternalServerError)
		return
	}
	writeJSON(w, map[string]any{"id": id, "login": "user" + u.Subject, "name": u.Name, "email": u.Email})
}

func (s *Server) githubEmails(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	emails := u.Emails
	if emails == nil {
		emails = []GitHubEmail{{Email: u.Email, Primary: true, Verified: u.EmailVerified}}
	}
	writeJSON(w, emails)
}

func (s *Server) microsoftUser(w http.ResponseWriter, r *http.Request) {
	u, ok := s.bearer(r)
	if !ok {
		http.Error(w, "unauthorized", http.StatusUnauthorized)
		return
	}
	writeJSON(w, map[string]any{"id": u.Subject, "displayName": u.Name, "mail": u.Email, "userPrincipalName": u.Email})
}
