package ssoport

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
)

// DomainRepository stores Domain aggregates.
//
// Contract: Add refuses a second claim of a name by one organization
// (sso.ErrDomainExists); Get of what is not stored is sso.ErrDomainNotFound;
// Update locks the row (FOR UPDATE on PostgreSQL), runs fn and saves, and a
// save that would make a second organization's claim of a name verified is
// sso.ErrDomainTaken (a unique index on verified names: of two racing
// verifications exactly one wins); FindVerified returns the one verified
// claim of a name; every method joins the unit of work carried by ctx.
type DomainRepository interface {
	Add(ctx context.Context, d *sso.Domain) error
	Get(ctx context.Context, org shared.OrganizationID, name string) (*sso.Domain, error)
	List(ctx context.Context, org shared.OrganizationID) ([]*sso.Domain, error)
	Update(ctx context.Context, org shared.OrganizationID, name string, fn func(*sso.Domain) error) (*sso.Domain, error)
	Delete(ctx context.Context, org shared.OrganizationID, name string) error
	FindVerified(ctx context.Context, name string) (*sso.Domain, error)
}

// TXTResolver reads DNS TXT records.
//
// Contract: LookupTXT returns the strings of the TXT records at name (the
// character-strings of one record joined); a name that does not exist or
// has no TXT record gives none and no error; a resolver that does not
// answer in time (or fails) is an error wrapping sso.ErrDNSUnavailable.
type TXTResolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
}

// ConnectionRepository stores Connection aggregates.
//
// Contract: a domain is routed by at most one connection (Add or Update
// that would route a routed domain is sso.ErrDomainRouted, also when two
// callers race); Get and Update of what is not stored are
// sso.ErrConnectionNotFound; Update locks the row, runs fn and saves; an
// error from fn leaves it unchanged; FindByDomain returns the connection
// routing a name; every method joins the unit of work carried by ctx.
type ConnectionRepository interface {
	Add(ctx context.Context, c *sso.Connection) error
	Get(ctx context.Context, id uuid.UUID) (*sso.Connection, error)
	List(ctx context.Context, org shared.OrganizationID) ([]*sso.Connection, error)
	Update(ctx context.Context, id uuid.UUID, fn func(*sso.Connection) error) (*sso.Connection, error)
	Delete(ctx context.Context, id uuid.UUID) error
	FindByDomain(ctx context.Context, name string) (*sso.Connection, error)
	// RoutesDomain reports whether a connection of org routes name.
	RoutesDomain(ctx context.Context, org shared.OrganizationID, name string) (bool, error)
}

// OIDCConfig is one OpenID Connect connection's provider as the client
// needs it. Version changes whenever the connection does (its UpdatedAt),
// so a client caching the discovery document per connection drops a stale
// one.
type OIDCConfig struct {
	Connection   uuid.UUID
	Version      time.Time
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
}

// AuthRequest is what the provider's authorization URL carries: the state,
// the nonce and the PKCE code verifier (the URL carries its S256
// challenge).
type AuthRequest struct {
	State    string
	Nonce    string
	Verifier string
}

// Profile is what an identity provider asserted about the person.
type Profile struct {
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
}

// OIDCClient talks to a connection's OpenID Connect provider, with the
// verified code + PKCE + nonce flow.
//
// Contract: Discover reads the discovery document (issuer must match;
// a document that cannot be used wraps sso.ErrIdPInvalid, a provider that
// cannot be reached sso.ErrIdPUnavailable); AuthCodeURL returns the URL to
// send the browser to; Exchange trades the code (with the verifier) for
// tokens and verifies the ID token (signature, issuer, audience, expiry,
// nonce), or the error wraps sso.ErrTokenInvalid; a refusal by the provider
// wraps sso.ErrProviderError. Fetches are bounded in time and size and
// reach only URLs the deployment's policy accepts.
type OIDCClient interface {
	Discover(ctx context.Context, cfg OIDCConfig) error
	AuthCodeURL(ctx context.Context, cfg OIDCConfig, r AuthRequest) (string, error)
	Exchange(ctx context.Context, cfg OIDCConfig, code string, r AuthRequest) (Profile, error)
}

// CARecord is the certificate authority as stored: its certificate (PEM)
// and its private key sealed under the CA_ENCRYPTION_KEY keyring.
type CARecord struct {
	Certificate string
	SealedKey   string
	CreatedAt   time.Time
}

// ErrNoCA is a database without a certificate authority yet.
var ErrNoCA = errors.New("no certificate authority yet")

// CAStore keeps the one certificate authority. Get returns ErrNoCA until
// one is created; Create stores r unless one exists (created false), so
// instances starting together end up with the same authority.
type CAStore interface {
	Get(ctx context.Context) (CARecord, error)
	Create(ctx context.Context, r CARecord) (created bool, err error)
}

// SAMLConfig is one SAML connection's service provider and identity
// provider as the SAML adapter needs them.
type SAMLConfig struct {
	Connection uuid.UUID
	// EntityID, ACSURL and MetadataURL are the service provider's, below
	// Authy's public URL.
	EntityID    string
	ACSURL      string
	MetadataURL string
	Certificate *x509.Certificate
	Key         crypto.Signer
	// IdPMetadata is the identity provider's metadata document.
	IdPMetadata       []byte
	AllowIdPInitiated bool
}

// SAMLAssertion is what a verified assertion says about the person.
type SAMLAssertion struct {
	// NameID is the identity provider's subject (its stable id).
	NameID string
	Email  string
	Name   string
	// ID and ExpiresAt identify the assertion for the replay cache.
	ID        string
	ExpiresAt time.Time
}

// SAMLServiceProvider is Authy's SAML 2.0 service provider for a
// connection.
//
// Contract: ReadMetadata checks an identity provider's metadata document
// (one IDPSSODescriptor with a Redirect-binding single sign-on endpoint
// and a signing certificate) and returns its entity id, or an error
// wrapping sso.ErrIdPInvalid; FetchMetadata reads a document from a URL
// the deployment's policy accepts (sso.ErrIdPUnavailable when it cannot);
// Metadata is the service provider's own document; AuthnRequest returns
// the Redirect-binding URL to send the browser to and the request's id;
// ParseResponse verifies a POST-binding response (signature by the
// identity provider, no SHA-1, audience, recipient, destination, time
// conditions, one of requestIDs unless the connection allows unsolicited
// responses, never an assertion seen before) or wraps sso.ErrTokenInvalid.
type SAMLServiceProvider interface {
	ReadMetadata(doc []byte) (entityID string, err error)
	FetchMetadata(ctx context.Context, url string) ([]byte, error)
	Metadata(cfg SAMLConfig) ([]byte, error)
	AuthnRequest(cfg SAMLConfig, relayState string) (redirectURL, requestID string, err error)
	ParseResponse(ctx context.Context, cfg SAMLConfig, samlResponse string, requestIDs []string) (SAMLAssertion, error)
}
