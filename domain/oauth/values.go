package oauth

import (
	"strings"
)

// GrantType is an OAuth 2.0 grant a client may use.
type GrantType struct{ name string }

// The grants Authy offers.
var (
	GrantAuthorizationCode = GrantType{"authorization_code"}
	GrantRefreshToken      = GrantType{"refresh_token"}
	GrantClientCredentials = GrantType{"client_credentials"}
)

// ParseGrantType reads a grant's registered name.
func ParseGrantType(s string) (GrantType, bool) {
	for _, g := range []GrantType{GrantAuthorizationCode, GrantRefreshToken, GrantClientCredentials} {
		if s == g.name {
			return g, true
		}
	}
	return GrantType{}, false
}

// String is the grant's name.
func (g GrantType) String() string { return g.name }

// IsZero reports the zero GrantType.
func (g GrantType) IsZero() bool { return g.name == "" }

// AuthMethod is how a client authenticates at the token endpoint
// (token_endpoint_auth_method). AuthNone is a public client (a browser or
// native app, which cannot keep a secret).
type AuthMethod struct{ name string }

// The authentication methods.
var (
	AuthClientSecretBasic = AuthMethod{"client_secret_basic"}
	AuthClientSecretPost  = AuthMethod{"client_secret_post"}
	AuthNone              = AuthMethod{"none"}
)

// ParseAuthMethod reads a token_endpoint_auth_method.
func ParseAuthMethod(s string) (AuthMethod, bool) {
	for _, m := range []AuthMethod{AuthClientSecretBasic, AuthClientSecretPost, AuthNone} {
		if s == m.name {
			return m, true
		}
	}
	return AuthMethod{}, false
}

// String is the method's registered name.
func (m AuthMethod) String() string { return m.name }

// IsZero reports the zero AuthMethod.
func (m AuthMethod) IsZero() bool { return m.name == "" }

// Public reports a client without a secret.
func (m AuthMethod) Public() bool { return m == AuthNone }

// TokenFormat is the form of a client's access tokens: an opaque handle the
// resource server introspects, or a JWT it verifies against the key set
// (RFC 9068).
type TokenFormat struct{ name string }

// The access token formats.
var (
	TokenOpaque = TokenFormat{"opaque"}
	TokenJWT    = TokenFormat{"jwt"}
)

// ParseTokenFormat reads an access_token_format.
func ParseTokenFormat(s string) (TokenFormat, bool) {
	switch s {
	case TokenOpaque.name:
		return TokenOpaque, true
	case TokenJWT.name:
		return TokenJWT, true
	}
	return TokenFormat{}, false
}

// String is the format's name.
func (f TokenFormat) String() string { return f.name }

// IsZero reports the zero TokenFormat.
func (f TokenFormat) IsZero() bool { return f.name == "" }

// SigningAlg is the JWS algorithm of a client's ID tokens: RS256 (every
// relying party supports it, OpenID Connect's default) or ES256 (shorter
// tokens, faster to sign).
type SigningAlg struct{ name string }

// The ID token signing algorithms.
var (
	AlgRS256 = SigningAlg{"RS256"}
	AlgES256 = SigningAlg{"ES256"}
)

// ParseSigningAlg reads an id_token_signed_response_alg.
func ParseSigningAlg(s string) (SigningAlg, bool) {
	switch s {
	case AlgRS256.name:
		return AlgRS256, true
	case AlgES256.name:
		return AlgES256, true
	}
	return SigningAlg{}, false
}

// String is the algorithm's JWS name.
func (a SigningAlg) String() string { return a.name }

// ClientID identifies a client in the protocol (client_id). It is public:
// it appears in URLs and in HTTP Basic credentials.
type ClientID struct{ id string }

// Client id bounds.
const (
	MinClientIDLength = 3
	MaxClientIDLength = 64
)

// ParseClientID validates an id: 3 to 64 of the characters an URL never
// escapes (letters, digits, "-", ".", "_", "~"), so it needs no encoding in
// a query or in Basic credentials (which a ":" would break).
func ParseClientID(s string) (ClientID, string) {
	if len(s) < MinClientIDLength || len(s) > MaxClientIDLength {
		return ClientID{}, "must be 3 to 64 characters"
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-._~", r)) {
			return ClientID{}, "may contain only letters, digits and - . _ ~"
		}
	}
	return ClientID{id: s}, ""
}

// String is the id.
func (c ClientID) String() string { return c.id }

// IsZero reports the zero ClientID.
func (c ClientID) IsZero() bool { return c.id == "" }

// Scope bounds.
const (
	MaxScopes      = 50
	MaxScopeLength = 128
)

// The OpenID Connect scopes a client gets when it registers none.
var defaultScopes = []string{"openid", "profile", "email"}

// ScopeOfflineAccess is the scope that asks for a refresh token.
const ScopeOfflineAccess = "offline_access"

// validScope reports an RFC 6749 §3.3 scope-token: printable ASCII but
// space, double quote and backslash.
func validScope(s string) bool {
	if s == "" || len(s) > MaxScopeLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c > 0x7e || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// SecretHash is a client secret as stored: an opaque string that names its
// scheme (a keyed SHA-256 for secrets the server generated, argon2id for
// secrets set by hand). The domain never sees a secret in clear.
type SecretHash struct{ value string }

// NewSecretHash wraps a stored hash.
func NewSecretHash(s string) SecretHash { return SecretHash{value: s} }

// String is the stored form.
func (h SecretHash) String() string { return h.value }

// IsZero reports the zero SecretHash (no secret).
func (h SecretHash) IsZero() bool { return h.value == "" }
