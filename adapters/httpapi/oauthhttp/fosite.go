package oauthhttp

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v3"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/oauth2"
	"github.com/ory/fosite/handler/openid"
	"github.com/ory/fosite/handler/pkce"
	"github.com/ory/fosite/storage"
	"github.com/ory/fosite/token/hmac"
	"github.com/ory/fosite/token/jwt"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

// TokenStorage is the protocol library's token storage the provider runs
// on (adapters/pgstore/oauthpg.Tokens).
type TokenStorage interface {
	oauth2.CoreStorage
	oauth2.TokenRevocationStorage
	pkce.PKCERequestStorage
	openid.OpenIDConnectRequestStorage
	storage.Transactional
}

// config is the library's configuration with the HMAC secrets of opaque
// tokens read from the key manager at each use, so a rotation takes
// effect without a restart.
type config struct {
	*fosite.Config
	keys oauthport.Keys
}

// GetGlobalSecret implements fosite.GlobalSecretProvider.
func (c *config) GetGlobalSecret(ctx context.Context) ([]byte, error) {
	cur, _, err := c.keys.TokenSecrets(ctx)
	return cur, err
}

// GetRotatedGlobalSecrets implements fosite.RotatedGlobalSecretsProvider.
func (c *config) GetRotatedGlobalSecrets(ctx context.Context) ([][]byte, error) {
	_, rotated, err := c.keys.TokenSecrets(ctx)
	return rotated, err
}

// client is a ProtocolClient as the library reads it. It offers the
// rotated-out secret (ClientWithSecretRotation) and its registered
// authentication method (OpenIDConnectClient), which the library enforces:
// a client_secret_basic client cannot authenticate in the body, nor the
// reverse.
type client struct {
	pc oauthport.ProtocolClient
}

var (
	_ fosite.ClientWithSecretRotation = (*client)(nil)
	_ fosite.OpenIDConnectClient      = (*client)(nil)
)

func (c *client) GetID() string { return c.pc.ID }

func (c *client) GetHashedSecret() []byte {
	if len(c.pc.SecretHashes) == 0 {
		return nil
	}
	return []byte(c.pc.SecretHashes[0])
}

func (c *client) GetRotatedHashes() [][]byte {
	var out [][]byte
	for _, h := range c.pc.SecretHashes[min(1, len(c.pc.SecretHashes)):] {
		out = append(out, []byte(h))
	}
	return out
}

func (c *client) GetRedirectURIs() []string                { return c.pc.RedirectURIs }
func (c *client) GetGrantTypes() fosite.Arguments          { return c.pc.GrantTypes }
func (c *client) GetScopes() fosite.Arguments              { return c.pc.Scopes }
func (c *client) IsPublic() bool                           { return c.pc.Public }
func (c *client) GetAudience() fosite.Arguments            { return nil }
func (c *client) GetRequestURIs() []string                 { return nil }
func (c *client) GetJSONWebKeysURI() string                { return "" }
func (c *client) GetRequestObjectSigningAlgorithm() string { return "" }
func (c *client) GetTokenEndpointAuthMethod() string       { return c.pc.TokenEndpointAuthMethod }
func (c *client) GetTokenEndpointAuthSigningAlgorithm() string {
	return ""
}

func (c *client) GetResponseTypes() fosite.Arguments {
	for _, g := range c.pc.GrantTypes {
		if g == oauth.GrantAuthorizationCode.String() {
			return fosite.Arguments{"code"}
		}
	}
	return fosite.Arguments{}
}

// GetJSONWebKeys implements fosite.OpenIDConnectClient: clients
// authenticate with secrets, never with keys.
func (c *client) GetJSONWebKeys() *jose.JSONWebKeySet { return nil }

// hasher is the library's secret hasher: Authy's own checks (a keyed
// SHA-256 in constant time for generated secrets, argon2id for hand-set
// ones), so the token endpoint never computes bcrypt.
type hasher struct{ provider oauthport.Provider }

var _ fosite.Hasher = hasher{}

func (h hasher) Compare(ctx context.Context, hash, data []byte) error {
	return h.provider.VerifySecret(ctx, string(hash), string(data))
}

func (h hasher) Hash(context.Context, []byte) ([]byte, error) {
	return nil, errors.New("client secrets are hashed by the oauth application, not by the protocol library")
}

// revocationProbe collects, for one revocation request, the client the
// library authenticated and the grant it revoked, for the audit record.
type revocationProbe struct {
	client    oauthport.ProtocolClient
	requestID string
}

type probeKey struct{}

func probeFrom(ctx context.Context) *revocationProbe {
	p, _ := ctx.Value(probeKey{}).(*revocationProbe)
	return p
}

// store is the library's storage: the token rows, and the clients from
// the application (a short-lived cache in front of the repository).
type store struct {
	TokenStorage
	provider oauthport.Provider
}

func (s *store) GetClient(ctx context.Context, id string) (fosite.Client, error) {
	pc, err := s.provider.Client(ctx, id)
	if errors.Is(err, oauth.ErrClientNotFound) {
		return nil, fosite.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if p := probeFrom(ctx); p != nil {
		p.client = pc
	}
	return &client{pc: pc}, nil
}

// ClientAssertionJWTValid refuses every assertion: clients authenticate
// with secrets (private_key_jwt is not offered).
func (s *store) ClientAssertionJWTValid(context.Context, string) error { return fosite.ErrJTIKnown }

func (s *store) SetClientAssertionJWT(context.Context, string, time.Time) error {
	return fosite.ErrJTIKnown
}

// reuseProbe notes, for one token request, a used code or rotated refresh
// token presented again, for the audit record.
type reuseProbe struct {
	kind, requestID, subject string
}

type reuseKey struct{}

func (s *store) noteReuse(ctx context.Context, kind string, req fosite.Requester) {
	p, _ := ctx.Value(reuseKey{}).(*reuseProbe)
	if p == nil || req == nil {
		return
	}
	p.kind, p.requestID = kind, req.GetID()
	if sess := req.GetSession(); sess != nil {
		p.subject = sess.GetSubject()
	}
}

// GetAuthorizeCodeSession reads a code's request with its client in full:
// the row keeps only the client's id, and the library decides from the
// client's grants whether the code's exchange issues a refresh token.
func (s *store) GetAuthorizeCodeSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, err := s.TokenStorage.GetAuthorizeCodeSession(ctx, signature, session)
	if errors.Is(err, fosite.ErrInvalidatedAuthorizeCode) {
		s.noteReuse(ctx, "authorization_code", req)
	}
	if r, ok := req.(*fosite.Request); ok && r.Client != nil {
		pc, cerr := s.provider.Client(ctx, r.Client.GetID())
		switch {
		case cerr == nil:
			r.Client = &client{pc: pc}
		case errors.Is(cerr, oauth.ErrClientNotFound):
			return nil, fosite.ErrNotFound
		default:
			return nil, cerr
		}
	}
	return req, err
}

func (s *store) GetRefreshTokenSession(ctx context.Context, signature string, session fosite.Session) (fosite.Requester, error) {
	req, err := s.TokenStorage.GetRefreshTokenSession(ctx, signature, session)
	if errors.Is(err, fosite.ErrInactiveToken) {
		s.noteReuse(ctx, "refresh_token", req)
	}
	return req, err
}

func (s *store) RevokeRefreshToken(ctx context.Context, requestID string) error {
	if p := probeFrom(ctx); p != nil {
		p.requestID = requestID
	}
	return s.TokenStorage.RevokeRefreshToken(ctx, requestID)
}

func (s *store) RevokeAccessToken(ctx context.Context, requestID string) error {
	if p := probeFrom(ctx); p != nil {
		p.requestID = requestID
	}
	return s.TokenStorage.RevokeAccessToken(ctx, requestID)
}

// Opaque tokens carry a prefix naming their kind, so one is never taken
// for another and a leaked one is recognisable in a secret scanner.
const (
	prefixAccess  = "authy_at_"
	prefixRefresh = "authy_rt_"
	prefixCode    = "authy_ac_"
)

// strategy makes and checks tokens: opaque HMAC tokens for codes, refresh
// tokens and the access tokens of opaque clients; RFC 9068 JWTs for the
// access tokens of clients registered with access_token_format jwt.
type strategy struct {
	hmac *oauth2.HMACSHAStrategyUnPrefixed
	jwt  *jwtAccessTokens
}

var _ oauth2.CoreStrategy = (*strategy)(nil)

func isJWT(token string) bool { return strings.Count(token, ".") == 2 }

func withPrefix(prefix, token string) string {
	if token == "" {
		return ""
	}
	return prefix + token
}

func (s *strategy) AccessTokenSignature(ctx context.Context, token string) string {
	if isJWT(token) {
		return s.jwt.signature(token)
	}
	return s.hmac.AccessTokenSignature(ctx, token)
}

func (s *strategy) GenerateAccessToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	if c, ok := r.GetClient().(*client); ok && c.pc.AccessTokenFormat == oauth.TokenJWT.String() {
		return s.jwt.generate(ctx, r)
	}
	token, sig, err := s.hmac.GenerateAccessToken(ctx, r)
	return withPrefix(prefixAccess, token), sig, err
}

func (s *strategy) ValidateAccessToken(ctx context.Context, r fosite.Requester, token string) error {
	if isJWT(token) {
		return s.jwt.validate(ctx, token)
	}
	rest, ok := strings.CutPrefix(token, prefixAccess)
	if !ok {
		return fosite.ErrInvalidTokenFormat
	}
	return s.hmac.ValidateAccessToken(ctx, r, rest)
}

func (s *strategy) RefreshTokenSignature(ctx context.Context, token string) string {
	return s.hmac.RefreshTokenSignature(ctx, token)
}

func (s *strategy) GenerateRefreshToken(ctx context.Context, r fosite.Requester) (string, string, error) {
	token, sig, err := s.hmac.GenerateRefreshToken(ctx, r)
	return withPrefix(prefixRefresh, token), sig, err
}

func (s *strategy) ValidateRefreshToken(ctx context.Context, r fosite.Requester, token string) error {
	rest, ok := strings.CutPrefix(token, prefixRefresh)
	if !ok {
		return fosite.ErrInvalidTokenFormat
	}
	return s.hmac.ValidateRefreshToken(ctx, r, rest)
}

func (s *strategy) AuthorizeCodeSignature(ctx context.Context, token string) string {
	return s.hmac.AuthorizeCodeSignature(ctx, token)
}

func (s *strategy) GenerateAuthorizeCode(ctx context.Context, r fosite.Requester) (string, string, error) {
	token, sig, err := s.hmac.GenerateAuthorizeCode(ctx, r)
	return withPrefix(prefixCode, token), sig, err
}

func (s *strategy) ValidateAuthorizeCode(ctx context.Context, r fosite.Requester, token string) error {
	rest, ok := strings.CutPrefix(token, prefixCode)
	if !ok {
		return fosite.ErrInvalidTokenFormat
	}
	return s.hmac.ValidateAuthorizeCode(ctx, r, rest)
}

// newSession is the session every request and token row carries.
func newSession() *openid.DefaultSession {
	return &openid.DefaultSession{Claims: &jwt.IDTokenClaims{}, Headers: &jwt.Headers{}}
}

// NewSession is the session the token storage reads rows into.
func NewSession() fosite.Session { return newSession() }

// unavailable reports an error that says a dependency did not answer
// (the database): it is answered 503, not as the client's fault.
func unavailable(err error) bool { return shared.KindOf(err) == shared.KindUnavailable }

// newEnigma is the HMAC of opaque tokens, keyed by the current secret and
// checked against the rotated ones too.
func newEnigma(cfg *config) *hmac.HMACStrategy { return &hmac.HMACStrategy{Config: cfg} }
