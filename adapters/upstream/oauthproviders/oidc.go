package oauthproviders

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/ports/federationport"
)

// OIDCConfig is one OpenID Connect provider (OIDC_<NAME>_* settings).
type OIDCConfig struct {
	Name         string
	DisplayName  string
	Issuer       string
	ClientID     string
	ClientSecret string
	Scopes       []string
	// RedirectURL replaces the callback below PUBLIC_URL (an enterprise
	// connection has its own).
	RedirectURL string
}

// OIDC is a standard OpenID Connect provider verified with go-oidc. Its
// discovery document is read at the first sign-in (and again after a
// failure), so a provider that is down at start does not stop the server.
type OIDC struct {
	name     federation.ProviderName
	display  string
	cfg      OIDCConfig
	callback string
	client   *http.Client

	mu       sync.Mutex
	provider *oidc.Provider
	verifier *oidc.IDTokenVerifier
	style    oauth2.AuthStyle
}

var _ federationport.Upstream = (*OIDC)(nil)

// NewOIDC checks c and returns the provider.
func NewOIDC(o Options, c OIDCConfig) (*OIDC, error) {
	name, err := federation.ParseProviderName(c.Name)
	if err != nil {
		return nil, fmt.Errorf("OIDC provider %q: %w", c.Name, err)
	}
	if c.Issuer == "" || c.ClientID == "" {
		return nil, fmt.Errorf("OIDC provider %s: the issuer and the client id are required", c.Name)
	}
	if len(c.Scopes) == 0 {
		c.Scopes = []string{oidc.ScopeOpenID, "email", "profile"}
	}
	if !slices.Contains(c.Scopes, oidc.ScopeOpenID) {
		c.Scopes = append([]string{oidc.ScopeOpenID}, c.Scopes...)
	}
	display := c.DisplayName
	if display == "" {
		display = c.Name
	}
	callback := c.RedirectURL
	if callback == "" {
		callback = CallbackURL(o.PublicURL, c.Name)
	}
	return &OIDC{name: name, display: display, cfg: c, callback: callback, client: o.client()}, nil
}

// Name implements federationport.Upstream.
func (p *OIDC) Name() federation.ProviderName { return p.name }

// DisplayName implements federationport.Upstream.
func (p *OIDC) DisplayName() string { return p.display }

// Kind implements federationport.Upstream.
func (p *OIDC) Kind() federation.ProviderKind { return federation.KindOIDC }

// discover reads the discovery document once; the verifier it builds keeps
// the provider's key set cached (and refreshed on an unknown key id).
func (p *OIDC) discover(ctx context.Context) (*oidc.Provider, *oidc.IDTokenVerifier, oauth2.AuthStyle, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.provider != nil {
		return p.provider, p.verifier, p.style, nil
	}
	// The key set is fetched later with this client, outside any request.
	prov, err := oidc.NewProvider(oidc.ClientContext(ctx, p.client), p.cfg.Issuer)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: discovery: %v: %w", p.name, err, federation.ErrProviderUnavailable)
	}
	var meta struct {
		AuthMethods []string `json:"token_endpoint_auth_methods_supported"`
	}
	_ = prov.Claims(&meta)
	// x/oauth2 would otherwise guess, retrying a refused exchange with the
	// other style and hiding the real error. client_secret_basic is the
	// default the specification gives.
	style := oauth2.AuthStyleInHeader
	if len(meta.AuthMethods) > 0 && !slices.Contains(meta.AuthMethods, "client_secret_basic") && slices.Contains(meta.AuthMethods, "client_secret_post") {
		style = oauth2.AuthStyleInParams
	}
	p.provider, p.style = prov, style
	p.verifier = prov.Verifier(&oidc.Config{ClientID: p.cfg.ClientID})
	return p.provider, p.verifier, p.style, nil
}

func (p *OIDC) oauth2Config(prov *oidc.Provider, style oauth2.AuthStyle) *oauth2.Config {
	ep := prov.Endpoint()
	ep.AuthStyle = style
	return &oauth2.Config{
		ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.callback,
		Endpoint: ep, Scopes: p.cfg.Scopes,
	}
}

// Discover reads the discovery document (once; again after a failure).
func (p *OIDC) Discover(ctx context.Context) error {
	_, _, _, err := p.discover(ctx)
	return err
}

// AuthCodeURL implements federationport.Upstream: state, nonce and the
// PKCE S256 challenge.
func (p *OIDC) AuthCodeURL(ctx context.Context, r federationport.AuthRequest) (string, string, error) {
	prov, _, style, err := p.discover(ctx)
	if err != nil {
		return "", "", err
	}
	return p.oauth2Config(prov, style).AuthCodeURL(r.State, oidc.Nonce(r.Nonce), oauth2.S256ChallengeOption(r.Verifier)), "", nil
}

// Exchange implements federationport.Upstream: the code with the
// verifier, then the ID token verified (signature against the provider's
// keys, issuer, audience, expiry) and its nonce compared with the flow's.
func (p *OIDC) Exchange(ctx context.Context, r federationport.ExchangeRequest) (federation.Profile, error) {
	prov, verifier, style, err := p.discover(ctx)
	if err != nil {
		return federation.Profile{}, err
	}
	cctx := oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth2Config(prov, style).Exchange(cctx, r.Code, oauth2.VerifierOption(r.Verifier))
	if err != nil {
		return federation.Profile{}, classify(p.name, "code exchange", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return federation.Profile{}, fmt.Errorf("%s: no ID token: %w", p.name, federation.ErrTokenInvalid)
	}
	idt, err := verifier.Verify(cctx, raw)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
			return federation.Profile{}, fmt.Errorf("%s: ID token keys: %v: %w", p.name, err, federation.ErrProviderUnavailable)
		}
		return federation.Profile{}, fmt.Errorf("%s: ID token: %v: %w", p.name, err, federation.ErrTokenInvalid)
	}
	if r.Nonce == "" || idt.Nonce != r.Nonce {
		return federation.Profile{}, fmt.Errorf("%s: ID token nonce differs: %w", p.name, federation.ErrTokenInvalid)
	}
	var claims struct {
		Email             string          `json:"email"`
		EmailVerified     json.RawMessage `json:"email_verified"`
		Name              string          `json:"name"`
		PreferredUsername string          `json:"preferred_username"`
	}
	if err := idt.Claims(&claims); err != nil {
		return federation.Profile{}, fmt.Errorf("%s: ID token claims: %v: %w", p.name, err, federation.ErrTokenInvalid)
	}
	name := claims.Name
	if name == "" {
		name = claims.PreferredUsername
	}
	return federation.Profile{Subject: idt.Subject, Email: claims.Email, EmailVerified: truthy(claims.EmailVerified), Name: name}, nil
}

// truthy reads email_verified as a JSON true or, as some providers send
// it, the string "true".
func truthy(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "true" || s == `"true"`
}
