package oauthhttp

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/gofiber/fiber/v2"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/ports/oauthport"
)

// Settings configure the provider.
type Settings struct {
	// Issuer is PUBLIC_URL without a trailing slash: the "iss" of every
	// token and the base of every endpoint.
	Issuer                string
	AccessTokenLifetime   time.Duration
	RefreshTokenLifetime  time.Duration
	AuthorizeCodeLifetime time.Duration
	IDTokenLifetime       time.Duration
}

// ProtocolDeps are what the protocol endpoints run on.
type ProtocolDeps struct {
	Provider oauthport.Provider
	Keys     oauthport.Keys
	Tokens   TokenStorage
	Settings Settings
}

// Protocol is the OAuth 2.0 library composed with Authy's clients, keys
// and token storage, and the endpoints built on it.
//
// Only the handlers in use are composed: the authorization code grant with
// PKCE (S256 only) and OpenID Connect ID tokens, client credentials,
// refresh tokens (with ID tokens for openid grants), introspection and
// revocation; never implicit, hybrid or the password grant. The library's
// own introspection is not used: it lets any authenticated client, or any
// bearer of an access token, introspect any token, where Authy answers a
// client only about its own tokens unless it is a resource server.
type Protocol struct {
	oauth    *fosite.Fosite
	provider oauthport.Provider
	keys     oauthport.Keys
	store    *store
	strategy *strategy
	settings Settings
	// authorizer audits replayed codes and reused refresh tokens (set when
	// the browser flow is registered).
	authorizer oauthport.Authorizer
}

// NewProtocol composes the provider.
func NewProtocol(d ProtocolDeps) (*Protocol, error) {
	if d.Provider == nil || d.Keys == nil || d.Tokens == nil {
		return nil, errors.New("oauth protocol: the provider, the keys and the token storage are required")
	}
	s := d.Settings
	u, err := url.Parse(s.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("oauth protocol: the issuer %q must be an absolute http(s) URL", s.Issuer)
	}
	s.Issuer = strings.TrimSuffix(s.Issuer, "/")
	st := &store{TokenStorage: d.Tokens, provider: d.Provider}
	cfg := &config{keys: d.Keys, Config: &fosite.Config{
		AccessTokenLifespan:   s.AccessTokenLifetime,
		RefreshTokenLifespan:  s.RefreshTokenLifetime,
		AuthorizeCodeLifespan: s.AuthorizeCodeLifetime,
		IDTokenLifespan:       s.IDTokenLifetime,
		AccessTokenIssuer:     s.Issuer,
		IDTokenIssuer:         s.Issuer,
		TokenURL:              s.Issuer + "/oauth2/token",
		// Exact scopes: "api" never grants "api.admin".
		ScopeStrategy:               fosite.ExactScopeStrategy,
		AudienceMatchingStrategy:    fosite.DefaultAudienceMatchingStrategy,
		RefreshTokenScopes:          []string{"offline_access"},
		EnforcePKCEForPublicClients: true,
		// A code_challenge_method of "plain" is refused: it protects nothing
		// against an attacker who reads the authorization request.
		EnablePKCEPlainChallengeMethod: false,
		// OpenID Connect's prompt values; "select_account" is not offered.
		AllowedPromptValues:        []string{"none", "login", "consent"},
		TokenEntropy:               32,
		ClientSecretsHasher:        hasher{provider: d.Provider},
		SendDebugMessagesToClients: false,
	}}
	strat := &strategy{
		hmac: &oauth2.HMACSHAStrategyUnPrefixed{Enigma: newEnigma(cfg), Config: cfg},
		jwt:  &jwtAccessTokens{keys: d.Keys, issuer: s.Issuer, lifetime: s.AccessTokenLifetime},
	}
	idTokens := &openid.IDTokenHandleHelper{IDTokenStrategy: &openid.DefaultStrategy{Signer: idTokenSigner{keys: d.Keys}, Config: cfg}}
	handlers := []any{
		&oauth2.AuthorizeExplicitGrantHandler{
			AccessTokenStrategy: strat, RefreshTokenStrategy: strat, AuthorizeCodeStrategy: strat,
			CoreStorage: st, TokenRevocationStorage: st, Config: cfg,
		},
		&openid.OpenIDConnectExplicitHandler{
			OpenIDConnectRequestStorage:   st,
			OpenIDConnectRequestValidator: openid.NewOpenIDConnectRequestValidator(idTokenSigner{keys: d.Keys}, cfg),
			Config:                        cfg,
			IDTokenHandleHelper:           idTokens,
		},
		&openid.OpenIDConnectRefreshHandler{IDTokenHandleHelper: idTokens, Config: cfg},
		&pkce.Handler{AuthorizeCodeStrategy: strat, Storage: st, Config: cfg},
		&oauth2.ClientCredentialsGrantHandler{
			HandleHelper: &oauth2.HandleHelper{AccessTokenStrategy: strat, AccessTokenStorage: st, Config: cfg},
			Config:       cfg,
		},
		&oauth2.RefreshTokenGrantHandler{
			AccessTokenStrategy: strat, RefreshTokenStrategy: strat, TokenRevocationStorage: st, Config: cfg,
		},
		&oauth2.CoreValidator{CoreStrategy: strat, CoreStorage: st, Config: cfg},
		&oauth2.TokenRevocationHandler{TokenRevocationStorage: st, AccessTokenStrategy: strat, RefreshTokenStrategy: strat},
	}
	for _, h := range handlers {
		if ah, ok := h.(fosite.AuthorizeEndpointHandler); ok {
			cfg.AuthorizeEndpointHandlers.Append(ah)
		}
		if th, ok := h.(fosite.TokenEndpointHandler); ok {
			cfg.TokenEndpointHandlers.Append(th)
		}
		if ti, ok := h.(fosite.TokenIntrospector); ok {
			cfg.TokenIntrospectionHandlers.Append(ti)
		}
		if rh, ok := h.(fosite.RevocationHandler); ok {
			cfg.RevocationHandlers.Append(rh)
		}
	}
	return &Protocol{
		oauth: fosite.NewOAuth2Provider(st, cfg), provider: d.Provider, keys: d.Keys, store: st, strategy: strat, settings: s,
	}, nil
}

// The protocol endpoints' paths.
const (
	PathDiscovery  = "/.well-known/openid-configuration"
	PathJWKS       = "/.well-known/jwks.json"
	PathToken      = "/oauth2/token"
	PathIntrospect = "/oauth2/introspect"
	PathRevoke     = "/oauth2/revoke"
)

// RegisterProtocol mounts the protocol endpoints at the root of r, each
// marked with group so the errors Fiber and the edge produce for them
// (405, 413, 503) answer RFC 6749 JSON like the endpoints' own.
func RegisterProtocol(r fiber.Router, p *Protocol, group httpapi.RouteGroup) {
	mark := httpapi.GroupMiddleware(group)
	r.Get(PathDiscovery, mark, p.discovery)
	r.Get(PathJWKS, mark, p.jwks)
	r.Post(PathToken, mark, p.token)
	r.Post(PathIntrospect, mark, p.introspect)
	r.Post(PathRevoke, mark, p.revoke)
}

// Cache lifetimes of the public documents. The JWKS one is well below the
// key publish lead, so relying parties learn a key before it signs.
const (
	discoveryMaxAge = time.Hour
	jwksMaxAge      = 5 * time.Minute
)

// discoveryDocument is the OpenID Provider metadata (OpenID Connect
// Discovery 1.0, RFC 8414). It names only what this server answers.
type discoveryDocument struct {
	Issuer                                 string   `json:"issuer"`
	JWKSURI                                string   `json:"jwks_uri"`
	AuthorizationEndpoint                  string   `json:"authorization_endpoint"`
	TokenEndpoint                          string   `json:"token_endpoint"`
	UserInfoEndpoint                       string   `json:"userinfo_endpoint"`
	EndSessionEndpoint                     string   `json:"end_session_endpoint"`
	IntrospectionEndpoint                  string   `json:"introspection_endpoint"`
	RevocationEndpoint                     string   `json:"revocation_endpoint"`
	GrantTypesSupported                    []string `json:"grant_types_supported"`
	TokenEndpointAuthMethodsSupported      []string `json:"token_endpoint_auth_methods_supported"`
	IntrospectionEndpointAuthMethods       []string `json:"introspection_endpoint_auth_methods_supported"`
	RevocationEndpointAuthMethodsSupported []string `json:"revocation_endpoint_auth_methods_supported"`
	ScopesSupported                        []string `json:"scopes_supported"`
	SubjectTypesSupported                  []string `json:"subject_types_supported"`
	IDTokenSigningAlgValuesSupported       []string `json:"id_token_signing_alg_values_supported"`
	CodeChallengeMethodsSupported          []string `json:"code_challenge_methods_supported"`
	ResponseTypesSupported                 []string `json:"response_types_supported"`
	ResponseModesSupported                 []string `json:"response_modes_supported"`
	PromptValuesSupported                  []string `json:"prompt_values_supported"`
	ClaimsSupported                        []string `json:"claims_supported"`
	ACRValuesSupported                     []string `json:"acr_values_supported"`
	UserInfoSigningAlgValuesSupported      []string `json:"userinfo_signing_alg_values_supported,omitempty"`
	ClaimsParameterSupported               bool     `json:"claims_parameter_supported"`
	RequestParameterSupported              bool     `json:"request_parameter_supported"`
	RequestURIParameterSupported           bool     `json:"request_uri_parameter_supported"`
	AuthorizationResponseIssParameter      bool     `json:"authorization_response_iss_parameter_supported"`
}

func (p *Protocol) discovery(c *fiber.Ctx) error {
	iss := p.settings.Issuer
	c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d", int(discoveryMaxAge.Seconds())))
	return c.JSON(discoveryDocument{
		Issuer: iss, JWKSURI: iss + PathJWKS, AuthorizationEndpoint: iss + PathAuthorize, TokenEndpoint: iss + PathToken,
		UserInfoEndpoint: iss + PathUserInfo, EndSessionEndpoint: iss + PathLogout,
		IntrospectionEndpoint: iss + PathIntrospect, RevocationEndpoint: iss + PathRevoke,
		GrantTypesSupported:                    grantTypes,
		TokenEndpointAuthMethodsSupported:      []string{"client_secret_basic", "client_secret_post", "none"},
		IntrospectionEndpointAuthMethods:       []string{"client_secret_basic", "client_secret_post"},
		RevocationEndpointAuthMethodsSupported: []string{"client_secret_basic", "client_secret_post", "none"},
		ScopesSupported:                        []string{"openid", "profile", "email", "offline_access", "organizations"},
		SubjectTypesSupported:                  []string{"public"},
		IDTokenSigningAlgValuesSupported:       []string{"RS256", "ES256"},
		CodeChallengeMethodsSupported:          []string{"S256"},
		ResponseTypesSupported:                 []string{"code"},
		ResponseModesSupported:                 []string{"query"},
		PromptValuesSupported:                  []string{"none", "login", "consent"},
		ClaimsSupported: []string{"iss", "sub", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "at_hash",
			"email", "email_verified", "name", "organizations"},
		ACRValuesSupported: []string{oauthport.ACRSingleFactor, oauthport.ACRMultiFactor},
	})
}

type jwkSet struct {
	Keys []jose.JSONWebKey `json:"keys"`
}

// jwks answers the key set: every key that verifies now (the next key
// before it signs, the current one, retired ones while tokens they signed
// live).
func (p *Protocol) jwks(c *fiber.Ctx) error {
	keys, err := p.keys.PublicKeys(c.UserContext())
	if err != nil {
		return err
	}
	set := jwkSet{Keys: make([]jose.JSONWebKey, 0, len(keys))}
	for _, k := range keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.Public, KeyID: k.ID, Algorithm: k.Algorithm, Use: "sig"})
	}
	c.Set(fiber.HeaderCacheControl, fmt.Sprintf("public, max-age=%d", int(jwksMaxAge.Seconds())))
	c.Set(fiber.HeaderContentType, "application/jwk-set+json")
	return c.JSON(set)
}

// token is the token endpoint (RFC 6749 §3.2): client credentials and
// refresh tokens.
func (p *Protocol) token(c *fiber.Ctx) error {
	r, err := httpapi.NetHTTPRequest(c)
	if err != nil {
		return err
	}
	probe := &reuseProbe{}
	ctx := context.WithValue(r.Context(), reuseKey{}, probe)
	r = r.WithContext(ctx)
	g, err := p.gate(c)
	if err != nil {
		return err
	}
	if done, err := g.admit(c, ctx); done || err != nil {
		return err
	}
	w := httpapi.NewBufferedResponse()
	// The library says invalid_request for a grant no handler takes;
	// RFC 6749 §5.2 names it.
	if g := c.FormValue("grant_type"); g != "" && !slices.Contains(grantTypes, g) {
		p.oauth.WriteAccessError(ctx, w, nil, fosite.ErrUnsupportedGrantType)
		return w.WriteTo(c)
	}
	// A missing required parameter is invalid_request (RFC 6749 §5.2); the
	// library would call an absent code an invalid grant.
	if c.FormValue("grant_type") == "authorization_code" && c.FormValue("code") == "" {
		p.oauth.WriteAccessError(ctx, w, nil, fosite.ErrInvalidRequest.WithHint("The code parameter is missing."))
		return w.WriteTo(c)
	}
	sess := newSession()
	ar, err := p.oauth.NewAccessRequest(ctx, r, sess)
	if err == nil {
		if ar.GetGrantTypes().ExactOne("client_credentials") {
			// The library checked the scopes and audience against the
			// client's; granting them is the server's decision.
			for _, s := range ar.GetRequestedScopes() {
				ar.GrantScope(s)
			}
			for _, a := range ar.GetRequestedAudience() {
				ar.GrantAudience(a)
			}
			sess.Subject = ar.GetClient().GetID()
		}
		var resp fosite.AccessResponder
		if resp, err = p.oauth.NewAccessResponse(ctx, ar); err == nil {
			p.oauth.WriteAccessResponse(ctx, w, ar, resp)
			p.provider.TokenIssued(strings.Join(ar.GetGrantTypes(), " "), ar.GetClient().GetID())
			return w.WriteTo(c)
		}
	}
	if unavailable(err) {
		return err
	}
	if err := g.settle(ctx, err); err != nil {
		return err
	}
	if probe.kind != "" && p.authorizer != nil && ar != nil {
		if pc, ok := ar.GetClient().(*client); ok {
			if err := p.authorizer.Reused(ctx, oauthport.TokenReuse{
				Client: pc.pc, Kind: probe.kind, Subject: probe.subject, RequestID: probe.requestID,
			}); err != nil {
				return err
			}
		}
	}
	p.oauth.WriteAccessError(ctx, w, ar, tokenError(c.FormValue("grant_type"), err))
	return w.WriteTo(c)
}

// grantTypes are the grants the token endpoint serves.
var grantTypes = []string{"authorization_code", "client_credentials", "refresh_token"}

// tokenError makes the loser of concurrent refreshes with one token
// invalid_grant, as for any used refresh token: the library says
// invalid_request ("retry") when the token was rotated under it, or
// deleted by another loser's reuse handling, between its read and its
// rotation.
func tokenError(grant string, err error) error {
	if grant == "refresh_token" && errors.Is(err, fosite.ErrInvalidRequest) &&
		(errors.Is(err, fosite.ErrInactiveToken) || errors.Is(err, fosite.ErrSerializationFailure) || errors.Is(err, fosite.ErrNotFound)) {
		return fosite.ErrInvalidGrant.WithWrap(err).WithHint("The refresh token was already used.")
	}
	return err
}

// introspect is the introspection endpoint (RFC 7662). The caller
// authenticates as a confidential client, with its registered method; a
// token of another client is reported inactive unless the caller is a
// resource server, and so is the token of a client that no longer exists.
func (p *Protocol) introspect(c *fiber.Ctx) error {
	r, err := httpapi.NetHTTPRequest(c)
	if err != nil {
		return err
	}
	ctx := r.Context()
	w := httpapi.NewBufferedResponse()
	fail := func(err error) error {
		if unavailable(err) {
			return err
		}
		p.oauth.WriteAccessError(ctx, w, nil, err)
		return w.WriteTo(c)
	}
	if err := r.ParseForm(); err != nil {
		return fail(fosite.ErrInvalidRequest.WithHint("The body must be a form (application/x-www-form-urlencoded)."))
	}
	token := r.PostForm.Get("token")
	if token == "" {
		return fail(fosite.ErrInvalidRequest.WithHint("The token parameter is missing."))
	}
	g, err := p.gate(c)
	if err != nil {
		return err
	}
	if done, err := g.admit(c, ctx); done || err != nil {
		return err
	}
	authenticated, err := p.oauth.AuthenticateClient(ctx, r, r.PostForm)
	if err != nil {
		if serr := g.settle(ctx, err); serr != nil {
			return serr
		}
		return fail(err)
	}
	caller, ok := authenticated.(*client)
	if !ok || caller.pc.Public {
		return fail(fosite.ErrInvalidClient.WithHint("Introspection needs a confidential client's credentials."))
	}
	inactive := func() error {
		p.oauth.WriteIntrospectionResponse(ctx, w, &fosite.IntrospectionResponse{Active: false})
		return w.WriteTo(c)
	}
	tu, ar, err := p.oauth.IntrospectToken(ctx, token, fosite.TokenUse(r.PostForm.Get("token_type_hint")), newSession())
	if err != nil {
		if unavailable(err) {
			return err
		}
		return inactive()
	}
	owner := ar.GetClient().GetID()
	if !p.provider.MayIntrospect(caller.pc, owner) {
		return inactive()
	}
	if _, err := p.provider.Client(ctx, owner); err != nil {
		if unavailable(err) {
			return err
		}
		return inactive()
	}
	resp := &fosite.IntrospectionResponse{Active: true, AccessRequester: ar, TokenUse: tu}
	if tu == fosite.AccessToken {
		resp.AccessTokenType = fosite.BearerAccessToken
	}
	p.oauth.WriteIntrospectionResponse(ctx, w, resp)
	return w.WriteTo(c)
}

// revoke is the revocation endpoint (RFC 7009): the revocation and its
// audit record commit together.
func (p *Protocol) revoke(c *fiber.Ctx) error {
	r, err := httpapi.NetHTTPRequest(c)
	if err != nil {
		return err
	}
	g, err := p.gate(c)
	if err != nil {
		return err
	}
	if done, err := g.admit(c, r.Context()); done || err != nil {
		return err
	}
	probe := &revocationProbe{}
	ctx, err := p.store.BeginTX(context.WithValue(r.Context(), probeKey{}, probe))
	if err != nil {
		return err
	}
	r = r.WithContext(ctx)
	err = p.oauth.NewRevocationRequest(ctx, r)
	if err == nil && probe.requestID != "" {
		err = p.provider.Revoked(ctx, oauthport.Revocation{
			Client: probe.client, RequestID: probe.requestID, TypeHint: r.PostForm.Get("token_type_hint"),
		})
	}
	if err != nil {
		_ = p.store.Rollback(ctx)
	} else {
		err = p.store.Commit(ctx)
	}
	if unavailable(err) {
		return err
	}
	if serr := g.settle(r.Context(), err); serr != nil {
		return serr
	}
	w := httpapi.NewBufferedResponse()
	p.oauth.WriteRevocationResponse(ctx, w, err)
	return w.WriteTo(c)
}
