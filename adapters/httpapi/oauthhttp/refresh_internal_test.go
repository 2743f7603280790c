package oauthhttp

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/ory/fosite"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/tests/testenv"
)

// provider is a fake oauthport.Provider with one confidential client
// whose secret is "s3cret".
type provider struct {
	mu       sync.Mutex
	clientID string
	issued   int
}

func (p *provider) Client(_ context.Context, id string) (oauthport.ProtocolClient, error) {
	if id != p.clientID {
		return oauthport.ProtocolClient{}, oauth.ErrClientNotFound
	}
	return oauthport.ProtocolClient{
		ID: id, GrantTypes: []string{"authorization_code", "refresh_token"}, Scopes: []string{"openid", "offline_access"},
		TokenEndpointAuthMethod: "client_secret_basic", SecretHashes: []string{"plain:s3cret"}, AccessTokenFormat: "opaque",
	}, nil
}

func (p *provider) VerifySecret(_ context.Context, hash, secret string) error {
	if hash != "plain:"+secret {
		return oauthport.ErrSecretMismatch
	}
	return nil
}

func (p *provider) MayIntrospect(c oauthport.ProtocolClient, owner string) bool { return c.ID == owner }

func (p *provider) TokenIssued(string, string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.issued++
}

func (p *provider) Revoked(context.Context, oauthport.Revocation) error { return nil }

func (p *provider) ClientAuthAllowed(context.Context, oauthport.ProtocolClient, string) error {
	return nil
}

func (p *provider) ClientAuthFailed(context.Context, oauthport.ProtocolClient, string) error {
	return nil
}

// keys is a fake oauthport.Keys with one fixed HMAC secret and one EC
// signing key (for the ID tokens of openid grants), whatever algorithm is
// asked.
type keys struct{}

var testSigner = sync.OnceValue(func() *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	return k
})

func (keys) SigningKey(context.Context, string) (oauthport.SigningKey, error) {
	return oauthport.SigningKey{ID: "test-es256", Algorithm: "ES256", Private: testSigner()}, nil
}
func (keys) PublicKeys(context.Context) ([]oauthport.PublicKey, error) {
	return []oauthport.PublicKey{{ID: "test-es256", Algorithm: "ES256", Public: testSigner().Public()}}, nil
}
func (keys) TokenSecrets(context.Context) ([]byte, [][]byte, error) {
	return []byte("0123456789abcdef0123456789abcdef"), nil, nil
}

type refreshFixture struct {
	app    *fiber.App
	p      *Protocol
	tokens *oauthpg.Tokens
	client string
}

func newRefreshFixture(t *testing.T) refreshFixture {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	org, clientID := uuid.NewString(), "refresh-app"
	now := time.Now().UTC()
	if err := db.Gorm().Exec(`INSERT INTO organizations (id, name, slug, created_at, updated_at) VALUES (?, 'o', ?, ?, ?)`,
		org, "o-"+org[:8], now, now).Error; err != nil {
		t.Fatal(err)
	}
	if err := db.Gorm().Exec(`INSERT INTO oauth_clients (id, organization_id, name, grant_types, token_endpoint_auth_method, created_at, updated_at)
		VALUES (?, ?, 'app', 'authorization_code refresh_token', 'client_secret_basic', ?, ?)`, clientID, org, now, now).Error; err != nil {
		t.Fatal(err)
	}
	tokens := oauthpg.NewTokens(db, oauthpg.Lifetimes{AccessToken: time.Hour, RefreshToken: 24 * time.Hour, AuthorizeCode: time.Minute}, NewSession)
	p, err := NewProtocol(ProtocolDeps{Provider: &provider{clientID: clientID}, Keys: keys{}, Tokens: tokens, Settings: Settings{
		Issuer: "https://auth.example.com", AccessTokenLifetime: time.Hour, RefreshTokenLifetime: 24 * time.Hour,
		AuthorizeCodeLifetime: time.Minute, IDTokenLifetime: time.Hour,
	}})
	if err != nil {
		t.Fatal(err)
	}
	app := httpapi.New(httpapi.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	RegisterProtocol(app, p, httpapi.RouteGroup{Name: "protocol", Paths: httpapi.ProtocolPaths, Renderer: httpapi.ProtocolRenderer})
	return refreshFixture{app: app, p: p, tokens: tokens, client: clientID}
}

// grant stores a refresh token (and its access token) as the authorization
// code grant would have issued them, and returns the refresh token.
func (f refreshFixture) grant(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	sess := newSession()
	sess.Subject = "user-1"
	sess.Claims.Subject = "user-1"
	sess.Claims.AuthTime = time.Now().UTC().Truncate(time.Second)
	sess.SetExpiresAt(fosite.AccessToken, time.Now().UTC().Add(time.Hour))
	sess.SetExpiresAt(fosite.RefreshToken, time.Now().UTC().Add(24*time.Hour))
	req := &fosite.Request{
		ID: uuid.NewString(), RequestedAt: time.Now().UTC(), Client: &client{pc: oauthport.ProtocolClient{ID: f.client}},
		RequestedScope: fosite.Arguments{"openid", "offline_access"}, GrantedScope: fosite.Arguments{"openid", "offline_access"},
		Form: url.Values{}, Session: sess,
	}
	at, atSig, err := f.p.strategy.GenerateAccessToken(ctx, req)
	if err != nil || at == "" {
		t.Fatal(err)
	}
	rt, rtSig, err := f.p.strategy.GenerateRefreshToken(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.tokens.CreateAccessTokenSession(ctx, atSig, req); err != nil {
		t.Fatal(err)
	}
	if err := f.tokens.CreateRefreshTokenSession(ctx, rtSig, atSig, req); err != nil {
		t.Fatal(err)
	}
	return rt
}

func (f refreshFixture) refresh(t *testing.T, rt string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("POST", PathToken, strings.NewReader(url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(f.client, "s3cret")
	res, err := f.app.Test(req, -1)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer res.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(res.Body).Decode(&body)
	return res.StatusCode, body
}

func TestRefresh_RotatesTheTokenAndAReuseRevokesTheWholeGrant(t *testing.T) {
	f := newRefreshFixture(t)
	rt := f.grant(t)
	status, body := f.refresh(t, rt)
	next, _ := body["refresh_token"].(string)
	if status != http.StatusOK || !strings.HasPrefix(next, prefixRefresh) || next == rt || body["access_token"] == nil {
		t.Fatalf("refresh: %d %v", status, body)
	}
	// The rotated token again: reuse, so the grant's tokens go too.
	if status, body := f.refresh(t, rt); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("reused refresh token: %d %v", status, body)
	}
	if status, body := f.refresh(t, next); status != http.StatusBadRequest || body["error"] != "invalid_grant" {
		t.Fatalf("the successor of a reused token still works: %d %v", status, body)
	}
}

func TestRefresh_OfConcurrentRefreshesWithOneTokenOneWinsTheOthersGetInvalidGrant(t *testing.T) {
	f := newRefreshFixture(t)
	rt := f.grant(t)
	const n = 6
	var wg sync.WaitGroup
	statuses := make([]int, n)
	codes := make([]any, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var body map[string]any
			statuses[i], body = f.refresh(t, rt)
			codes[i] = body["error"]
		}()
	}
	wg.Wait()
	won := 0
	for i := range n {
		switch {
		case statuses[i] == http.StatusOK:
			won++
		case statuses[i] == http.StatusBadRequest && codes[i] == "invalid_grant":
		default:
			t.Errorf("a concurrent refresh answered %d %v", statuses[i], codes[i])
		}
	}
	if won != 1 {
		t.Fatalf("%d of %d concurrent refreshes won", won, n)
	}
}

func TestIntrospect_ABearerTokenDoesNotAuthorizeIntrospectionOnlyClientCredentialsDo(t *testing.T) {
	f := newRefreshFixture(t)
	status, body := f.refresh(t, f.grant(t))
	at, _ := body["access_token"].(string)
	if status != http.StatusOK || at == "" {
		t.Fatalf("refresh: %d %v", status, body)
	}
	otherStatus, otherBody := f.refresh(t, f.grant(t))
	bearer, _ := otherBody["access_token"].(string)
	if otherStatus != http.StatusOK || bearer == "" {
		t.Fatal(otherStatus)
	}
	call := func(auth func(*http.Request)) (int, map[string]any) {
		req := httptest.NewRequest("POST", PathIntrospect, strings.NewReader(url.Values{"token": {at}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		auth(req)
		res, err := f.app.Test(req, -1)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(res.Body).Decode(&out)
		return res.StatusCode, out
	}
	// The library would take any live access token as the caller's
	// credentials; Authy wants the client's own.
	status, out := call(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+bearer) })
	if status == http.StatusOK || out["active"] == true {
		t.Fatalf("a bearer token authorized introspection: %d %v", status, out)
	}
	status, out = call(func(r *http.Request) { r.SetBasicAuth(f.client, "s3cret") })
	if status != http.StatusOK || out["active"] != true || out["client_id"] != f.client || out["sub"] != "user-1" {
		t.Fatalf("the token's own client: %d %v", status, out)
	}
}
