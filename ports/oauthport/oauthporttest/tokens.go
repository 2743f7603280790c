package oauthporttest

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"

	"github.com/secuird/authy/ports/oauthport"
)

// TokenStore is the protocol library's token storage as the provider
// composes it, with the janitor of expired rows.
type TokenStore interface {
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	pkce.PKCERequestStorage
	openid.OpenIDConnectRequestStorage
	storage.Transactional
	oauthport.TokenJanitor
	oauthport.SubjectTokens
}

// TokenHarness is one fresh token store. NewClient returns the id of a
// stored client tokens may belong to; RawData returns the stored text of
// every row of a request (to check that no secret is kept).
type TokenHarness struct {
	Store     TokenStore
	NewClient func(t *testing.T) string
	RawData   func(t *testing.T, requestID string) string
}

func newRequest(clientID string, now time.Time, ttl time.Duration) *fosite.Request {
	sess := &openid.DefaultSession{Subject: "user-" + uuid.NewString()[:8]}
	for _, tt := range []fosite.TokenType{fosite.AccessToken, fosite.RefreshToken, fosite.AuthorizeCode} {
		sess.SetExpiresAt(tt, now.Add(ttl).Round(time.Second))
	}
	return &fosite.Request{
		ID: uuid.NewString(), RequestedAt: now.Round(time.Second), Client: &fosite.DefaultClient{ID: clientID},
		RequestedScope: fosite.Arguments{"openid", "api:read"}, GrantedScope: fosite.Arguments{"openid"},
		RequestedAudience: fosite.Arguments{"https://api.example.com"}, GrantedAudience: fosite.Arguments{"https://api.example.com"},
		Form: url.Values{
			"redirect_uri": {"https://portal.example.com/cb"}, "code_challenge": {"abc"},
			"client_secret": {"s3cret-value"}, "code_verifier": {"verifier-value"}, "refresh_token": {"refresh-value"},
		},
		Session: sess,
	}
}

func sig() string { return strings.ReplaceAll(uuid.NewString(), "-", "") }

func sameRequest(t *testing.T, got fosite.Requester, want *fosite.Request) {
	t.Helper()
	if got == nil {
		t.Fatal("no request")
	}
	if got.GetID() != want.ID || got.GetClient().GetID() != want.Client.GetID() || !got.GetRequestedAt().Equal(want.RequestedAt) {
		t.Fatalf("request %s/%s/%v, want %s/%s/%v", got.GetID(), got.GetClient().GetID(), got.GetRequestedAt(),
			want.ID, want.Client.GetID(), want.RequestedAt)
	}
	if strings.Join(got.GetGrantedScopes(), " ") != "openid" || strings.Join(got.GetRequestedScopes(), " ") != "openid api:read" ||
		strings.Join(got.GetGrantedAudience(), " ") != "https://api.example.com" {
		t.Fatalf("scopes %v/%v audience %v", got.GetRequestedScopes(), got.GetGrantedScopes(), got.GetGrantedAudience())
	}
	if got.GetRequestForm().Get("redirect_uri") != "https://portal.example.com/cb" || got.GetRequestForm().Get("code_challenge") != "abc" {
		t.Fatalf("form %v", got.GetRequestForm())
	}
	if got.GetSession().GetSubject() != want.Session.GetSubject() ||
		!got.GetSession().GetExpiresAt(fosite.AccessToken).Equal(want.Session.GetExpiresAt(fosite.AccessToken)) {
		t.Fatalf("session %+v, want %+v", got.GetSession(), want.Session)
	}
}

// TokenStoreContract checks the token storage against the protocol
// library's expectations and the provider's own rules.
func TokenStoreContract(t *testing.T, newHarness func(t *testing.T) TokenHarness) {
	ctx := context.Background()
	now := time.Now().UTC()

	t.Run("every kind reads back by signature and an unknown signature is not found", func(t *testing.T) {
		h := newHarness(t)
		req := newRequest(h.NewClient(t), now, time.Hour)
		type kind struct {
			name   string
			create func(string) error
			get    func(string) (fosite.Requester, error)
		}
		s := h.Store
		for _, k := range []kind{
			{"code", func(x string) error { return s.CreateAuthorizeCodeSession(ctx, x, req) },
				func(x string) (fosite.Requester, error) {
					return s.GetAuthorizeCodeSession(ctx, x, &openid.DefaultSession{})
				}},
			{"access", func(x string) error { return s.CreateAccessTokenSession(ctx, x, req) },
				func(x string) (fosite.Requester, error) {
					return s.GetAccessTokenSession(ctx, x, &openid.DefaultSession{})
				}},
			{"refresh", func(x string) error { return s.CreateRefreshTokenSession(ctx, x, "", req) },
				func(x string) (fosite.Requester, error) { return s.GetRefreshTokenSession(ctx, x, nil) }},
			{"pkce", func(x string) error { return s.CreatePKCERequestSession(ctx, x, req) },
				func(x string) (fosite.Requester, error) {
					return s.GetPKCERequestSession(ctx, x, &openid.DefaultSession{})
				}},
			{"oidc", func(x string) error { return s.CreateOpenIDConnectSession(ctx, x, req) },
				func(x string) (fosite.Requester, error) {
					return s.GetOpenIDConnectSession(ctx, x, &fosite.Request{Session: &openid.DefaultSession{}})
				}},
		} {
			t.Run(k.name, func(t *testing.T) {
				x := sig()
				if err := k.create(x); err != nil {
					t.Fatal(err)
				}
				got, err := k.get(x)
				if err != nil {
					t.Fatal(err)
				}
				sameRequest(t, got, req)
				if _, err := k.get(sig()); !errors.Is(err, fosite.ErrNotFound) {
					t.Fatalf("unknown signature: %v", err)
				}
			})
		}
	})

	t.Run("no secret of the request's form is stored", func(t *testing.T) {
		h := newHarness(t)
		req := newRequest(h.NewClient(t), now, time.Hour)
		if err := h.Store.CreateAuthorizeCodeSession(ctx, sig(), req); err != nil {
			t.Fatal(err)
		}
		raw := h.RawData(t, req.ID)
		for _, secret := range []string{"s3cret-value", "verifier-value", "refresh-value"} {
			if strings.Contains(raw, secret) {
				t.Fatalf("the row keeps %q", secret)
			}
		}
	})

	t.Run("a used code stays and answers invalidated with its request", func(t *testing.T) {
		h := newHarness(t)
		req := newRequest(h.NewClient(t), now, time.Minute)
		x := sig()
		if err := h.Store.CreateAuthorizeCodeSession(ctx, x, req); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.InvalidateAuthorizeCodeSession(ctx, x); err != nil {
			t.Fatal(err)
		}
		got, err := h.Store.GetAuthorizeCodeSession(ctx, x, &openid.DefaultSession{})
		if !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
			t.Fatalf("used code: %v", err)
		}
		sameRequest(t, got, req)
		if err := h.Store.InvalidateAuthorizeCodeSession(ctx, sig()); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("invalidating an unknown code: %v", err)
		}
	})

	t.Run("rotation deactivates the grant's refresh tokens and deletes its access tokens", func(t *testing.T) {
		h := newHarness(t)
		client := h.NewClient(t)
		req, other := newRequest(client, now, time.Hour), newRequest(client, now, time.Hour)
		rt, at, otherRT := sig(), sig(), sig()
		for _, err := range []error{
			h.Store.CreateAccessTokenSession(ctx, at, req),
			h.Store.CreateRefreshTokenSession(ctx, rt, at, req),
			h.Store.CreateRefreshTokenSession(ctx, otherRT, "", other),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Store.RotateRefreshToken(ctx, req.ID, rt); err != nil {
			t.Fatal(err)
		}
		got, err := h.Store.GetRefreshTokenSession(ctx, rt, nil)
		if !errors.Is(err, fosite.ErrInactiveToken) {
			t.Fatalf("rotated refresh token: %v", err)
		}
		sameRequest(t, got, req)
		if _, err := h.Store.GetAccessTokenSession(ctx, at, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("access token of the rotated grant: %v", err)
		}
		if err := h.Store.RotateRefreshToken(ctx, req.ID, rt); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Fatalf("second rotation of one token: %v", err)
		}
		if _, err := h.Store.GetRefreshTokenSession(ctx, otherRT, nil); err != nil {
			t.Fatalf("another grant's refresh token: %v", err)
		}
	})

	t.Run("of concurrent refreshes with one token exactly one rotates it", func(t *testing.T) {
		h := newHarness(t)
		req := newRequest(h.NewClient(t), now, time.Hour)
		rt := sig()
		if err := h.Store.CreateRefreshTokenSession(ctx, rt, "", req); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = func() error {
					tctx, err := h.Store.BeginTX(ctx)
					if err != nil {
						return err
					}
					if err := h.Store.RotateRefreshToken(tctx, req.ID, rt); err != nil {
						_ = h.Store.Rollback(tctx)
						return err
					}
					if err := h.Store.CreateRefreshTokenSession(tctx, sig(), "", req); err != nil {
						_ = h.Store.Rollback(tctx)
						return err
					}
					return h.Store.Commit(tctx)
				}()
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case errors.Is(err, fosite.ErrInactiveToken) || errors.Is(err, fosite.ErrSerializationFailure):
			default:
				t.Fatalf("loser's error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d refreshes rotated one token", won)
		}
	})

	t.Run("a rolled-back transaction leaves no token", func(t *testing.T) {
		h := newHarness(t)
		req := newRequest(h.NewClient(t), now, time.Hour)
		x := sig()
		tctx, err := h.Store.BeginTX(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Store.CreateAccessTokenSession(tctx, x, req); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.Rollback(tctx); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, x, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("rolled-back token: %v", err)
		}
	})

	t.Run("revocation ends the grant's tokens and only them", func(t *testing.T) {
		h := newHarness(t)
		client := h.NewClient(t)
		req, other := newRequest(client, now, time.Hour), newRequest(client, now, time.Hour)
		rt, at, otherAT := sig(), sig(), sig()
		for _, err := range []error{
			h.Store.CreateAccessTokenSession(ctx, at, req),
			h.Store.CreateRefreshTokenSession(ctx, rt, at, req),
			h.Store.CreateAccessTokenSession(ctx, otherAT, other),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Store.RevokeRefreshToken(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.RevokeAccessToken(ctx, req.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Store.GetRefreshTokenSession(ctx, rt, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Fatalf("revoked refresh token: %v", err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, at, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("revoked access token: %v", err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, otherAT, nil); err != nil {
			t.Fatalf("another grant's access token: %v", err)
		}
		if err := h.Store.RevokeAccessToken(ctx, "unknown-request"); err != nil {
			t.Fatalf("revoking an unknown grant: %v", err)
		}
	})

	t.Run("the janitor deletes expired rows in batches and keeps valid ones, active or not", func(t *testing.T) {
		h := newHarness(t)
		client := h.NewClient(t)
		past := newRequest(client, now.Add(-3*time.Hour), time.Hour) // expired two hours ago
		live := newRequest(client, now, time.Hour)
		var expired []string
		for range 5 {
			x := sig()
			if err := h.Store.CreateAccessTokenSession(ctx, x, past); err != nil {
				t.Fatal(err)
			}
			expired = append(expired, x)
		}
		usedCode, liveAT := sig(), sig()
		if err := h.Store.CreateAuthorizeCodeSession(ctx, usedCode, live); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.InvalidateAuthorizeCodeSession(ctx, usedCode); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.CreateAccessTokenSession(ctx, liveAT, live); err != nil {
			t.Fatal(err)
		}
		total := 0
		for {
			n, err := h.Store.DeleteExpired(ctx, now, 2)
			if err != nil {
				t.Fatal(err)
			}
			if n > 2 {
				t.Fatalf("a batch of 2 deleted %d", n)
			}
			if n == 0 {
				break
			}
			total += n
		}
		if total != 5 {
			t.Fatalf("deleted %d expired rows, want 5", total)
		}
		for _, x := range expired {
			if _, err := h.Store.GetAccessTokenSession(ctx, x, nil); !errors.Is(err, fosite.ErrNotFound) {
				t.Fatalf("expired token kept: %v", err)
			}
		}
		if _, err := h.Store.GetAuthorizeCodeSession(ctx, usedCode, nil); !errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
			t.Fatalf("an unexpired used code went: %v", err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, liveAT, nil); err != nil {
			t.Fatalf("a live token went: %v", err)
		}
	})

	t.Run("revoking a subject ends its access and refresh tokens and no one else's", func(t *testing.T) {
		h := newHarness(t)
		client := h.NewClient(t)
		mine, other := newRequest(client, now, time.Hour), newRequest(client, now, time.Hour)
		myAT, myRT, otherAT, otherRT := sig(), sig(), sig(), sig()
		for _, err := range []error{
			h.Store.CreateAccessTokenSession(ctx, myAT, mine), h.Store.CreateRefreshTokenSession(ctx, myRT, "", mine),
			h.Store.CreateAccessTokenSession(ctx, otherAT, other), h.Store.CreateRefreshTokenSession(ctx, otherRT, "", other),
		} {
			if err != nil {
				t.Fatal(err)
			}
		}
		n, err := h.Store.RevokeSubject(ctx, mine.Session.GetSubject())
		if err != nil || n != 2 {
			t.Fatalf("revoked %d, %v; want 2", n, err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, myAT, nil); !errors.Is(err, fosite.ErrNotFound) {
			t.Fatalf("the subject's access token survived: %v", err)
		}
		if _, err := h.Store.GetRefreshTokenSession(ctx, myRT, nil); !errors.Is(err, fosite.ErrInactiveToken) {
			t.Fatalf("the subject's refresh token is still active: %v", err)
		}
		if _, err := h.Store.GetAccessTokenSession(ctx, otherAT, nil); err != nil {
			t.Fatalf("another subject's access token went: %v", err)
		}
		if _, err := h.Store.GetRefreshTokenSession(ctx, otherRT, nil); err != nil {
			t.Fatalf("another subject's refresh token went: %v", err)
		}
		if n, err := h.Store.RevokeSubject(ctx, mine.Session.GetSubject()); err != nil || n != 0 {
			t.Fatalf("a second revocation changed %d rows, %v", n, err)
		}
	})

	t.Run("access tokens written and read at once each get their own answer", func(t *testing.T) {
		h := newHarness(t)
		client := h.NewClient(t)
		const n = 48
		type token struct {
			sig string
			req *fosite.Request
			// orphan names a client that does not exist: only its write fails.
			orphan bool
		}
		tokens := make([]token, n)
		for i := range tokens {
			tokens[i] = token{sig: sig(), req: newRequest(client, now, time.Hour), orphan: i%12 == 5}
			if tokens[i].orphan {
				tokens[i].req.Client = &fosite.DefaultClient{ID: "no-such-client-" + uuid.NewString()[:8]}
			}
		}
		var wg sync.WaitGroup
		for _, tk := range tokens {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := h.Store.CreateAccessTokenSession(ctx, tk.sig, tk.req)
				switch {
				case tk.orphan && !errors.Is(err, fosite.ErrNotFound):
					t.Errorf("a token of a missing client: %v, want not found", err)
				case !tk.orphan && err != nil:
					t.Errorf("a token written beside others: %v", err)
				}
			}()
		}
		wg.Wait()
		read := func(revoked map[string]bool) {
			t.Helper()
			var wg sync.WaitGroup
			for _, tk := range tokens {
				wg.Add(1)
				go func() {
					defer wg.Done()
					got, err := h.Store.GetAccessTokenSession(ctx, tk.sig, &openid.DefaultSession{})
					if tk.orphan || revoked[tk.req.ID] {
						if !errors.Is(err, fosite.ErrNotFound) {
							t.Errorf("a token never stored or revoked: %v, want not found", err)
						}
						return
					}
					if err != nil {
						t.Errorf("a token read beside others: %v", err)
						return
					}
					if got.GetID() != tk.req.ID || got.GetSession().GetSubject() != tk.req.Session.GetSubject() {
						t.Errorf("read another token's request: %s of %s", got.GetID(), tk.req.ID)
					}
				}()
			}
			wg.Wait()
		}
		read(nil)
		revoked := map[string]bool{}
		for i := 0; i < n; i += 3 {
			if err := h.Store.RevokeAccessToken(ctx, tokens[i].req.ID); err != nil {
				t.Fatal(err)
			}
			revoked[tokens[i].req.ID] = true
		}
		read(revoked)
	})
}
