package oauthproviders

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/markbates/goth"
	"github.com/markbates/goth/providers/azureadv2"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/ports/federationport"
)

// Options are what every provider shares: Authy's public URL (the
// callback is PUBLIC_URL/api/v1/auth/external/<name>/callback) and the
// HTTP client of calls to the provider (tests rewrite hosts with it).
type Options struct {
	PublicURL  string
	HTTPClient *http.Client
}

// DefaultTimeout bounds one call to a provider when the client sets none.
const DefaultTimeout = 10 * time.Second

func (o Options) client() *http.Client {
	if o.HTTPClient != nil {
		return o.HTTPClient
	}
	return &http.Client{Timeout: DefaultTimeout}
}

// CallbackURL is where a provider sends the browser back for name.
func CallbackURL(publicURL, name string) string {
	return strings.TrimRight(publicURL, "/") + "/api/v1/auth/external/" + name + "/callback"
}

// Social is a provider reached through goth.
type Social struct {
	name     federation.ProviderName
	display  string
	kind     federation.ProviderKind
	base     *http.Client
	tokenURL string
	// build returns a fresh goth provider calling through client.
	build func(client *http.Client) goth.Provider
	// profile turns goth's user into what Authy keeps.
	profile func(ctx context.Context, client *http.Client, u goth.User, fetchErr error) (federation.Profile, error)
}

var _ federationport.Upstream = (*Social)(nil)

// Name implements federationport.Upstream.
func (s *Social) Name() federation.ProviderName { return s.name }

// DisplayName implements federationport.Upstream.
func (s *Social) DisplayName() string { return s.display }

// Kind implements federationport.Upstream.
func (s *Social) Kind() federation.ProviderKind { return s.kind }

func mustName(s string) federation.ProviderName {
	n, err := federation.ParseProviderName(s)
	if err != nil {
		panic(err)
	}
	return n
}

// GoogleConfig is the Google OAuth client.
type GoogleConfig struct{ ClientID, ClientSecret string }

// NewGoogle returns the "google" provider. The email counts as verified
// when Google's verified_email says so.
func NewGoogle(o Options, c GoogleConfig) *Social {
	callback := CallbackURL(o.PublicURL, "google")
	return &Social{
		name: mustName("google"), display: "Google", kind: federation.KindGoogle, base: o.client(),
		tokenURL: google.Endpoint.TokenURL,
		build: func(client *http.Client) goth.Provider {
			p := google.New(c.ClientID, c.ClientSecret, callback, "openid", "email", "profile")
			p.HTTPClient = client
			return p
		},
		profile: func(_ context.Context, _ *http.Client, u goth.User, err error) (federation.Profile, error) {
			if err != nil {
				return federation.Profile{}, err
			}
			verified, _ := u.RawData["verified_email"].(bool)
			return federation.Profile{Subject: u.UserID, Email: u.Email, EmailVerified: verified, Name: u.Name}, nil
		},
	}
}

// GitHubConfig is the GitHub OAuth app; BaseURL is a GitHub Enterprise
// Server (https://github.example.com), empty for github.com.
type GitHubConfig struct{ ClientID, ClientSecret, BaseURL string }

// NewGitHub returns the "github" provider. The email is the primary
// verified address of /user/emails; without one the public profile address
// is kept, unverified.
func NewGitHub(o Options, c GitHubConfig) *Social {
	callback := CallbackURL(o.PublicURL, "github")
	authURL, tokenURL, profileURL, emailURL := github.AuthURL, github.TokenURL, github.ProfileURL, github.EmailURL
	if base := strings.TrimRight(c.BaseURL, "/"); base != "" {
		authURL, tokenURL = base+"/login/oauth/authorize", base+"/login/oauth/access_token"
		profileURL, emailURL = base+"/api/v3/user", base+"/api/v3/user/emails"
	}
	return &Social{
		name: mustName("github"), display: "GitHub", kind: federation.KindGitHub, base: o.client(), tokenURL: tokenURL,
		build: func(client *http.Client) goth.Provider {
			p := github.NewCustomisedURL(c.ClientID, c.ClientSecret, callback, authURL, tokenURL, profileURL, emailURL, "read:user", "user:email")
			p.HTTPClient = client
			return p
		},
		profile: func(ctx context.Context, client *http.Client, u goth.User, err error) (federation.Profile, error) {
			// goth fails when it looked for a private address and found
			// no verified primary one; the profile it read stands.
			if err != nil && !errors.Is(err, github.ErrNoVerifiedGitHubPrimaryEmail) {
				return federation.Profile{}, err
			}
			p := federation.Profile{Subject: u.UserID, Email: u.Email, Name: u.Name}
			if p.Name == "" {
				p.Name = u.NickName
			}
			primary, err := githubPrimaryEmail(ctx, client, emailURL, u.AccessToken)
			if err != nil {
				return federation.Profile{}, err
			}
			if primary != "" {
				p.Email, p.EmailVerified = primary, true
			}
			return p, nil
		},
	}
}

func githubPrimaryEmail(ctx context.Context, client *http.Client, emailURL, token string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, emailURL, nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/vnd.github+json")
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GitHub emails answered %d: %w", resp.StatusCode, federation.ErrProviderError)
	}
	var list []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return "", fmt.Errorf("GitHub emails: %w", federation.ErrProviderError)
	}
	for _, e := range list {
		if e.Primary && e.Verified {
			return e.Email, nil
		}
	}
	return "", nil
}

// MicrosoftConfig is the Microsoft identity platform app; Tenant is
// "common" (work, school and personal accounts), "organizations",
// "consumers" or a tenant id.
type MicrosoftConfig struct{ ClientID, ClientSecret, Tenant string }

// NewMicrosoft returns the "microsoft" provider. Its email is never
// treated as verified.
func NewMicrosoft(o Options, c MicrosoftConfig) *Social {
	callback := CallbackURL(o.PublicURL, "microsoft")
	tenant := c.Tenant
	if tenant == "" {
		tenant = "common"
	}
	return &Social{
		name: mustName("microsoft"), display: "Microsoft", kind: federation.KindMicrosoft, base: o.client(),
		tokenURL: "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token",
		build: func(client *http.Client) goth.Provider {
			p := azureadv2.New(c.ClientID, c.ClientSecret, callback, azureadv2.ProviderOptions{
				Tenant: azureadv2.TenantType(tenant),
				Scopes: []azureadv2.ScopeType{azureadv2.OpenIDScope, azureadv2.ProfileScope, azureadv2.EmailScope, azureadv2.UserReadScope},
			})
			p.HTTPClient = client
			return p
		},
		profile: func(_ context.Context, _ *http.Client, u goth.User, err error) (federation.Profile, error) {
			if err != nil {
				return federation.Profile{}, err
			}
			email := u.Email
			if upn, _ := u.RawData["userPrincipalName"].(string); email == "" && strings.Contains(upn, "@") {
				email = upn
			}
			return federation.Profile{Subject: u.UserID, Email: email, Name: u.Name}, nil
		},
	}
}

// challenge is the PKCE S256 challenge of verifier.
func challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// AuthCodeURL implements federationport.Upstream: goth's URL plus the PKCE
// challenge. goth's Google, GitHub and Microsoft sessions have no nonce to
// check (they read the user from the provider's API, not an ID token).
func (s *Social) AuthCodeURL(_ context.Context, r federationport.AuthRequest) (string, string, error) {
	p := s.build(s.base)
	sess, err := p.BeginAuth(r.State)
	if err != nil {
		return "", "", fmt.Errorf("%s: begin: %w", s.name, err)
	}
	raw, err := sess.GetAuthURL()
	if err != nil {
		return "", "", fmt.Errorf("%s: begin: %w", s.name, err)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", fmt.Errorf("%s: begin: %w", s.name, err)
	}
	q := u.Query()
	q.Set("code_challenge", challenge(r.Verifier))
	q.Set("code_challenge_method", "S256")
	u.RawQuery = q.Encode()
	return u.String(), sess.Marshal(), nil
}

// Exchange implements federationport.Upstream.
func (s *Social) Exchange(ctx context.Context, r federationport.ExchangeRequest) (federation.Profile, error) {
	client := &http.Client{
		Timeout:   s.base.Timeout,
		Transport: &exchangeTransport{base: s.base.Transport, ctx: ctx, verifier: r.Verifier, tokenURL: s.tokenURL},
	}
	p := s.build(client)
	sess, err := p.UnmarshalSession(r.Session)
	if err != nil {
		return federation.Profile{}, fmt.Errorf("%s: stored session: %w", s.name, err)
	}
	if _, err := sess.Authorize(p, url.Values{"code": {r.Code}}); err != nil {
		return federation.Profile{}, classify(s.name, "code exchange", err)
	}
	u, fetchErr := p.FetchUser(sess)
	profile, err := s.profile(ctx, client, u, fetchErr)
	if err != nil {
		return federation.Profile{}, classify(s.name, "user", err)
	}
	return profile, nil
}

// classify wraps a provider call's error in the federation error it
// stands for: unreachable, or refused.
func classify(name federation.ProviderName, step string, err error) error {
	var ne net.Error
	var ue *url.Error
	switch {
	case errors.Is(err, federation.ErrProviderError), errors.Is(err, federation.ErrTokenInvalid):
		return fmt.Errorf("%s: %s: %w", name, step, err)
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne), errors.As(err, &ue):
		return fmt.Errorf("%s: %s: %v: %w", name, step, err, federation.ErrProviderUnavailable)
	default:
		return fmt.Errorf("%s: %s: %v: %w", name, step, err, federation.ErrProviderError)
	}
}

// exchangeTransport carries the calls of one exchange: it gives them the
// request's context (goth uses a background one) and adds the PKCE
// verifier to the token request (goth sends none).
type exchangeTransport struct {
	base     http.RoundTripper
	ctx      context.Context
	verifier string
	tokenURL string
}

func (t *exchangeTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(t.ctx)
	if r.Method == http.MethodPost && sameEndpoint(r.URL, t.tokenURL) && r.Body != nil {
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		_ = r.Body.Close()
		if err != nil {
			return nil, err
		}
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return nil, err
		}
		form.Set("code_verifier", t.verifier)
		enc := form.Encode()
		r.Body = io.NopCloser(strings.NewReader(enc))
		r.ContentLength = int64(len(enc))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader([]byte(enc))), nil }
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

func sameEndpoint(u *url.URL, endpoint string) bool {
	e, err := url.Parse(endpoint)
	return err == nil && strings.EqualFold(u.Host, e.Host) && u.Path == e.Path && u.Scheme == e.Scheme
}
