// Package ssoidp is the outbound adapter that talks to the identity
// providers of organizations' SSO connections: OpenID Connect through
// oauthproviders' go-oidc verified flow (code + PKCE + nonce, the ID token
// checked for signature, issuer, audience, expiry and nonce), one provider
// per connection, cached until the connection changes.
//
// The URLs are an organization owner's input, so every fetch goes through
// a guarded HTTP client: bounded in time and in response size, and, unless
// the deployment allows it (tests on loopback), refusing to connect to
// loopback, private, link-local and other non-public addresses, whatever
// the name resolves to (the check runs on the address being dialled, so a
// DNS answer cannot rebind it).
//
// It imports the standard library, the upstream adapter, ports and the
// domain, never application/.
package ssoidp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/upstream/oauthproviders"
	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// Defaults of the guarded client.
const (
	DefaultTimeout  = 10 * time.Second
	MaxResponseSize = 1 << 20
)

// Options configure the client.
type Options struct {
	// AllowPrivate lets fetches reach loopback and private addresses
	// (tests; an identity provider on the operator's own network).
	AllowPrivate bool
	// Timeout bounds one call (DefaultTimeout when zero).
	Timeout time.Duration
	// Transport replaces the guarded transport (tests only).
	Transport http.RoundTripper
}

// ErrAddressRefused is a fetch whose address is not public.
var ErrAddressRefused = errors.New("the identity provider's address is not a public one")

// NewHTTPClient returns the guarded client.
func NewHTTPClient(o Options) *http.Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	rt := o.Transport
	if rt == nil {
		d := &net.Dialer{Timeout: timeout}
		if !o.AllowPrivate {
			d.Control = func(_, address string, _ syscall.RawConn) error {
				ap, err := netip.ParseAddrPort(address)
				if err != nil || !public(ap.Addr()) {
					return ErrAddressRefused
				}
				return nil
			}
		}
		rt = &http.Transport{
			Proxy: nil, DialContext: d.DialContext, TLSHandshakeTimeout: timeout, ResponseHeaderTimeout: timeout,
			MaxIdleConns: 16, IdleConnTimeout: 90 * time.Second, ForceAttemptHTTP2: true,
		}
	}
	return &http.Client{
		Timeout:   timeout,
		Transport: limited{rt},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("too many redirects")
			}
			if req.URL.Scheme != "https" && req.URL.Scheme != via[0].URL.Scheme {
				return errors.New("redirect to another scheme refused")
			}
			return nil
		},
	}
}

func public(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!netip.MustParsePrefix("100.64.0.0/10").Contains(a) && !netip.MustParsePrefix("fc00::/7").Contains(a)
}

// limited bounds every response body.
type limited struct{ base http.RoundTripper }

func (l limited) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := l.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &capped{rc: resp.Body, left: MaxResponseSize}
	return resp, nil
}

type capped struct {
	rc   io.ReadCloser
	left int64
}

func (c *capped) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, errors.New("the identity provider's answer is too large")
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.rc.Read(p)
	c.left -= int64(n)
	return n, err
}

func (c *capped) Close() error { return c.rc.Close() }

// Client implements ssoport.OIDCClient.
type Client struct {
	http *http.Client
	mu   sync.Mutex
	// providers caches one provider per connection, with the version it
	// was built for.
	providers map[uuid.UUID]cached
}

type cached struct {
	version time.Time
	p       *oauthproviders.OIDC
}

var _ ssoport.OIDCClient = (*Client)(nil)

// maxCached bounds the cache; past it, it starts again empty.
const maxCached = 10000

// New returns the client calling through c (NewHTTPClient's).
func New(c *http.Client) *Client {
	return &Client{http: c, providers: map[uuid.UUID]cached{}}
}

func (c *Client) provider(cfg ssoport.OIDCConfig) (*oauthproviders.OIDC, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.providers[cfg.Connection]; ok && e.version.Equal(cfg.Version) {
		return e.p, nil
	}
	p, err := oauthproviders.NewOIDC(oauthproviders.Options{HTTPClient: c.http}, oauthproviders.OIDCConfig{
		Name: "sso", Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, RedirectURL: cfg.RedirectURL,
	})
	if err != nil {
		return nil, fmt.Errorf("%v: %w", err, sso.ErrIdPInvalid)
	}
	if len(c.providers) >= maxCached {
		c.providers = map[uuid.UUID]cached{}
	}
	c.providers[cfg.Connection] = cached{version: cfg.Version, p: p}
	return p, nil
}

// translate turns the upstream adapter's federation errors into the sso
// context's.
func translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, federation.ErrProviderUnavailable):
		return fmt.Errorf("%v: %w", err, sso.ErrIdPUnavailable)
	case errors.Is(err, federation.ErrTokenInvalid):
		return fmt.Errorf("%v: %w", err, sso.ErrTokenInvalid)
	case errors.Is(err, federation.ErrProviderError):
		return fmt.Errorf("%v: %w", err, sso.ErrProviderError)
	}
	return err
}

// Discover implements ssoport.OIDCClient.
func (c *Client) Discover(ctx context.Context, cfg ssoport.OIDCConfig) error {
	p, err := c.provider(cfg)
	if err != nil {
		return err
	}
	return translate(p.Discover(ctx))
}

// AuthCodeURL implements ssoport.OIDCClient.
func (c *Client) AuthCodeURL(ctx context.Context, cfg ssoport.OIDCConfig, r ssoport.AuthRequest) (string, error) {
	p, err := c.provider(cfg)
	if err != nil {
		return "", err
	}
	u, _, err := p.AuthCodeURL(ctx, federationRequest(r))
	return u, translate(err)
}

// Exchange implements ssoport.OIDCClient.
func (c *Client) Exchange(ctx context.Context, cfg ssoport.OIDCConfig, code string, r ssoport.AuthRequest) (ssoport.Profile, error) {
	p, err := c.provider(cfg)
	if err != nil {
		return ssoport.Profile{}, err
	}
	prof, err := p.Exchange(ctx, exchangeRequest(code, r))
	if err != nil {
		return ssoport.Profile{}, translate(err)
	}
	return ssoport.Profile{Subject: prof.Subject, Email: prof.Email, EmailVerified: prof.EmailVerified, Name: prof.Name}, nil
}
