package oauthport

import (
	"context"
	"crypto"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// Page sizes of the clients list.
const (
	DefaultPageSize = 50
	MaxPageSize     = 200
)

// Page asks for one page of a list: at most Limit items (0: the default)
// after Cursor (a previous page's NextCursor; "" from the start).
type Page struct {
	Limit  int
	Cursor string
}

// ClientFields are the registration fields of the admin API. A nil slice
// takes its default (see oauth.ClientSpec).
type ClientFields struct {
	Name                     string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	GrantTypes               []string
	TokenEndpointAuthMethod  string
	Scopes                   []string
	FirstParty               bool
	AccessTokenFormat        string
	ResourceServer           bool
	IDTokenSignedResponseAlg string
}

// CreateClientCommand registers a client of Organization by Actor.
type CreateClientCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	ClientFields
}

// UpdateClientCommand changes the non-nil fields of a client.
type UpdateClientCommand struct {
	Actor                    shared.UserID
	Organization             shared.OrganizationID
	ClientID                 string
	Name                     *string
	RedirectURIs             *[]string
	PostLogoutRedirectURIs   *[]string
	GrantTypes               *[]string
	TokenEndpointAuthMethod  *string
	Scopes                   *[]string
	FirstParty               *bool
	AccessTokenFormat        *string
	ResourceServer           *bool
	IDTokenSignedResponseAlg *string
}

// ClientView is a client as the admin API shows it: never a secret or a
// hash. PreviousSecretExpiresAt is set while a rotated-out secret still
// works.
type ClientView struct {
	ClientID                 string
	Organization             shared.OrganizationID
	Name                     string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	GrantTypes               []string
	TokenEndpointAuthMethod  string
	Scopes                   []string
	FirstParty               bool
	AccessTokenFormat        string
	ResourceServer           bool
	IDTokenSignedResponseAlg string
	Public                   bool
	PreviousSecretExpiresAt  *time.Time
	CreatedAt                time.Time
	UpdatedAt                time.Time
}

// CreatedClient is a new client with its secret in clear, shown this once
// ("" for a public client).
type CreatedClient struct {
	ClientView
	Secret string
}

// RotatedSecret is a client's new secret in clear, shown this once, and
// until when the previous one keeps working.
type RotatedSecret struct {
	ClientID                string
	Secret                  string
	PreviousSecretExpiresAt *time.Time
}

// ClientPage is one page of clients, oldest first.
type ClientPage struct {
	Items      []ClientView
	Limit      int
	NextCursor string
}

// Clients is the admin API of an organization's OAuth clients.
//
// Every method is for the organization's owners and admins: a member gets
// oauth.ErrForbidden, a non-member (or an unknown organization) the
// organization's NotFound, and a client of another organization
// oauth.ErrClientNotFound. Invalid fields are one Invalid error with a
// reason per field. Create generates the client id and, for a confidential
// client, a secret of 256 random bits stored only as a keyed SHA-256.
// RotateSecret keeps the previous secret valid for the configured grace
// period. Delete deletes the client with every token issued to it. Each
// change is audited in its transaction.
type Clients interface {
	Create(ctx context.Context, cmd CreateClientCommand) (CreatedClient, error)
	List(ctx context.Context, actor shared.UserID, org shared.OrganizationID, page Page) (ClientPage, error)
	Get(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) (ClientView, error)
	Update(ctx context.Context, cmd UpdateClientCommand) (ClientView, error)
	Delete(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) error
	RotateSecret(ctx context.Context, actor shared.UserID, org shared.OrganizationID, clientID string) (RotatedSecret, error)
}

// SeedClientCommand registers a client with an id and a secret chosen by
// hand (demo data, imports): the secret is hashed with argon2id, as it may
// be guessable.
type SeedClientCommand struct {
	Organization shared.OrganizationID
	ClientID     string
	Secret       string
	ClientFields
}

// ClientSeeder registers hand-made clients. EnsureClient is idempotent: a
// client with that id already there is left as it is (created false).
type ClientSeeder interface {
	EnsureClient(ctx context.Context, cmd SeedClientCommand) (created bool, err error)
}

// ProtocolClient is a client as the protocol endpoints need it, with the
// hashes of the secrets it may present now (the current one first, then a
// rotated-out one during its grace period).
type ProtocolClient struct {
	ID                       string
	Organization             shared.OrganizationID
	Name                     string
	RedirectURIs             []string
	PostLogoutRedirectURIs   []string
	GrantTypes               []string
	TokenEndpointAuthMethod  string
	Public                   bool
	Scopes                   []string
	FirstParty               bool
	ResourceServer           bool
	AccessTokenFormat        string
	IDTokenSignedResponseAlg string
	SecretHashes             []string
}

// Revocation is a token a client revoked (RFC 7009), for the audit trail:
// the grant it belonged to (the request id that ties its tokens) and the
// token type hint the client gave.
type Revocation struct {
	Client    ProtocolClient
	RequestID string
	TypeHint  string
}

// Provider is what the protocol endpoints ask the application.
//
// Client returns a live client (unknown or deleted: oauth.ErrClientNotFound);
// it may answer from a short-lived cache, so a change takes effect on every
// instance within a few seconds. VerifySecret compares a presented secret
// with one stored hash in constant time (ErrSecretMismatch when it does not
// match; a hash in an unknown scheme never matches). MayIntrospect is the
// RFC 7662 access rule: a client learns about its own tokens, and only a
// client marked resource server about others'. TokenIssued counts an
// issued token by grant and client. Revoked records a revocation in the
// transaction ctx carries.
type Provider interface {
	Client(ctx context.Context, id string) (ProtocolClient, error)
	VerifySecret(ctx context.Context, hash, secret string) error
	MayIntrospect(caller ProtocolClient, tokenClientID string) bool
	TokenIssued(grant, clientID string)
	Revoked(ctx context.Context, r Revocation) error
	// ClientAuthAllowed is asked before a client authenticates from ip; a
	// shared.KindRateLimited error (with its retry delay) refuses it.
	ClientAuthAllowed(ctx context.Context, c ProtocolClient, ip string) error
	// ClientAuthFailed counts a failed authentication of c from ip.
	ClientAuthFailed(ctx context.Context, c ProtocolClient, ip string) error
}

// ErrSecretMismatch is a presented secret that matches no stored hash.
var ErrSecretMismatch = shared.Unauthenticated("oauth.invalid_client", "client authentication failed")

// SigningKey is the current key of one signing algorithm.
type SigningKey struct {
	ID        string
	Algorithm string // RS256 or ES256
	Private   crypto.Signer
}

// PublicKey is a key relying parties verify with: the JWKS entries.
type PublicKey struct {
	ID        string
	Algorithm string
	Public    crypto.PublicKey
}

// Keys hands the protocol endpoints the provider's keys, from memory (each
// instance reloads them from the store every minute or so; a successor is
// published PublishLead before it signs, so every instance knows it first).
//
// SigningKey returns the current key of algorithm (RS256 or ES256).
// PublicKeys lists every key that verifies now, newest first: pending,
// current and retired ones whose tokens may still be alive. TokenSecrets
// returns the current HMAC secret of opaque tokens and the older ones that
// still validate tokens.
type Keys interface {
	SigningKey(ctx context.Context, algorithm string) (SigningKey, error)
	PublicKeys(ctx context.Context) ([]PublicKey, error)
	TokenSecrets(ctx context.Context) (current []byte, rotated [][]byte, err error)
}

// KeyChange is one thing a key command did.
type KeyChange struct {
	Kind        string
	ID          string
	Action      string // created | deleted | resealed
	ActivatesAt time.Time
}

// KeyStatus is one stored key and its state at the time of the report.
type KeyStatus struct {
	Kind        string
	ID          string
	Generation  int
	State       string // pending | current | retired
	CreatedAt   time.Time
	ActivatesAt time.Time
}

// KeyReport is what a key command did and the keys afterwards.
type KeyReport struct {
	Changes []KeyChange
	Keys    []KeyStatus
}

// KeyAdmin runs the key lifecycle.
//
// Ensure creates what is due: the first key of each kind (signing at once)
// and the successor of a key older than the rotation period (published
// first, signing after the lead), and deletes keys that verify nothing any
// more. Rotate does the same but creates a successor of every rotating kind
// (RS256, ES256, the token HMAC secret) whatever its age, unless one is
// pending. Both are safe on several instances at once: a key generation is
// unique, so the second instance's insert loses and it reloads. Reseal
// encrypts every stored key under the keyring's current key (after an
// ENCRYPTION_KEY rotation) and reports how many changed.
type KeyAdmin interface {
	Ensure(ctx context.Context) (KeyReport, error)
	Rotate(ctx context.Context) (KeyReport, error)
	Reseal(ctx context.Context) (int, error)
}

// TokenCleanup removes expired token rows (used codes, rotated refresh
// tokens, revoked and expired tokens) in batches and returns how many went.
type TokenCleanup interface {
	CleanupTokens(ctx context.Context) (int, error)
}

// The prompt values of an authorization request (OpenID Connect Core
// §3.1.2.1).
const (
	PromptNone    = "none"
	PromptLogin   = "login"
	PromptConsent = "consent"
)

// AuthorizeRequest is an authorization request the protocol library has
// validated (client, redirect URI, response type, PKCE, scopes), as the
// application decides on it.
type AuthorizeRequest struct {
	Client ProtocolClient
	// Scopes are the requested scopes, each one the client may ask for.
	Scopes []string
	Prompt []string
	// MaxAge is the request's max_age (HasMaxAge false: none given).
	MaxAge    time.Duration
	HasMaxAge bool
	// ACRValues are the request's acr_values, in order of preference:
	// ACRMultiFactor asks for a session with a second factor.
	ACRValues []string
	// ArrivedAt is when the request first reached the server, before any
	// sign-in it led to: prompt=login asks for a sign-in after it.
	ArrivedAt time.Time
	// Session is the browser's Authy session (nil: signed out).
	Session *sessionsport.Principal
}

// The acr values of ID tokens: one factor, or more than one (a session
// whose method names an "mfa" amr value).
const (
	ACRSingleFactor = "urn:authy:acr:1fa"
	ACRMultiFactor  = "urn:authy:acr:mfa"
)

// AuthorizeStep is what an authorization request needs next.
type AuthorizeStep string

// The steps.
const (
	// StepSignIn: the browser must sign in (again) first.
	StepSignIn AuthorizeStep = "sign_in"
	// StepConsent: the user must allow the client the scopes.
	StepConsent AuthorizeStep = "consent"
	// StepIssue: the code may be issued with Grant.
	StepIssue AuthorizeStep = "issue"
)

// Grant is what the tokens of an authorization say: the user, their Authy
// session, the granted scopes, how and when they authenticated, and the ID
// token's claims for the scopes.
type Grant struct {
	Subject   shared.UserID
	SessionID uuid.UUID
	Scopes    []string
	AuthTime  time.Time
	AMR       []string
	ACR       string
	Claims    map[string]any
}

// AuthorizeDecision is the application's answer to an authorization
// request. Grant is set for StepIssue; Missing, for StepConsent, lists the
// scopes not consented yet.
type AuthorizeDecision struct {
	Step    AuthorizeStep
	Grant   Grant
	Missing []string
}

// ConsentDecision is the user's answer on the consent page for a request
// whose Session is set.
type ConsentDecision struct {
	Request AuthorizeRequest
	Allow   bool
}

// ConsentView is one client a user consented to.
type ConsentView struct {
	ClientID   string
	ClientName string
	Scopes     []string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Authorizer is what the authorization endpoint asks the application.
//
// Decide says what a request needs next: a sign-in when there is no
// session or the session does not satisfy the request (prompt=login
// without a sign-in after ArrivedAt, max_age exceeded), consent when the
// client is third-party and the user has not allowed every requested scope
// (or prompt=consent), else the grant. Decide never changes anything.
// Consent applies the consent page's answer: allowing records the consent
// (merged with earlier ones) and its audit record and returns StepIssue;
// denying is audited and returns oauth.ErrAccessDenied. UserInfo returns
// the claims of the scopes for the userinfo endpoint, read fresh. Reused
// records a replayed code or a reused refresh token.
type Authorizer interface {
	Decide(ctx context.Context, r AuthorizeRequest) (AuthorizeDecision, error)
	Consent(ctx context.Context, d ConsentDecision) (AuthorizeDecision, error)
	UserInfo(ctx context.Context, user shared.UserID, scopes []string) (map[string]any, error)
	Reused(ctx context.Context, r TokenReuse) error
}

// TokenReuse is a spent credential presented again: a used authorization
// code (Kind "authorization_code") or a rotated refresh token (Kind
// "refresh_token"). The protocol library has revoked the grant; Reused
// audits it.
type TokenReuse struct {
	Client    ProtocolClient
	Kind      string
	Subject   string
	RequestID string
}

// Consents is a user's own view of the clients they allowed: List them by
// client id; Revoke one (unknown: ErrConsentNotFound), which also ends
// every grant that client holds for the user, audited in one transaction.
type Consents interface {
	ListConsents(ctx context.Context, user shared.UserID) ([]ConsentView, error)
	RevokeConsent(ctx context.Context, user shared.UserID, clientID string) error
}
