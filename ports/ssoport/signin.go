package ssoport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// BeginCommand starts a sign-in at Connection. ReturnTo is where the
// browser goes afterwards, already accepted by the adapter's return
// policy; Foreign says it is a registered target on another origin (the
// result is then a login code, as for social sign-in). Binding is the
// random value the adapter put in the browser's cookie.
type BeginCommand struct {
	Connection uuid.UUID
	ReturnTo   string
	Foreign    bool
	Binding    string
}

// Begun is where to send the browser, and until when the flow is usable.
type Begun struct {
	AuthorizationURL string
	ExpiresAt        time.Time
}

// CallbackCommand is the identity provider's answer as the browser
// brought it back, with the binding of the browser's cookie.
type CallbackCommand struct {
	Connection uuid.UUID
	State      string
	Code       string
	Error      string
	Binding    string
}

// Completion is a completed sign-in. ReturnTo and Foreign are set whenever
// the flow was found (also alongside an error, so the adapter can report
// it at the return target).
type Completion struct {
	ReturnTo string
	Foreign  bool
	// Session is the new session (Foreign false).
	Session sessionsport.IssuedSession
	// LoginCode is the one-time code to redeem at
	// POST /api/v1/auth/external/exchange (Foreign true).
	LoginCode string
	User      identityport.UserSummary
	// Created is true when the sign-in opened the account; Joined when it
	// made the account a member of the connection's organization.
	Created bool
	Joined  bool
	// MFA, for an account with a second factor, is the challenge to
	// answer instead of a session (Session is then zero).
	MFA *identityport.LoginChallenge
}

// SignIn is signing in through an organization's connection.
//
// Errors are shared.Error kinds with the codes of domain/sso: a connection
// that does not exist, was deleted, or is not of a kind this server signs
// in through is sso.ErrSignInUnavailable, a switched-off one
// sso.ErrConnectionDisabled; a callback whose state is unknown, used or
// another connection's is sso.ErrStateInvalid, a late one ErrStateExpired,
// one from another browser ErrBrowserMismatch (the state is spent either
// way); the provider's refusal is ErrConsentDenied, its other errors
// ErrProviderError, an ID token that fails verification ErrTokenInvalid;
// an asserted address outside the connection's domains is
// ErrEmailOutsideDomains, none at all ErrEmailMissing; an account that
// holds the address without having verified it is ErrAccountExists.
// Every refusal creates nothing and is audited (auth.sso.failed, with the
// reason).
type SignIn interface {
	// Discover names the enabled connection routing email's domain (home-
	// realm discovery), Found false for any other address; it never looks
	// at accounts. Rate limited per client (sso.discover_rate_limited).
	Discover(ctx context.Context, email string) (Discovery, error)
	// BeginSignIn starts a flow (rate limited per client:
	// sso.rate_limited).
	BeginSignIn(ctx context.Context, cmd BeginCommand) (Begun, error)
	// CompleteSignIn checks and spends the flow, exchanges the code and
	// verifies the ID token, then, in one unit of work, opens the account
	// (just in time), links the identity, makes the account a member with
	// the connection's default role, and starts the session (or issues the
	// login code), with its audit records.
	CompleteSignIn(ctx context.Context, cmd CallbackCommand) (Completion, error)
	// CompleteSAML is CompleteSignIn for a SAML connection's response
	// posted to its assertion consumer service: the flow named by the
	// relay state (spent, checked against the browser), the response
	// verified (signed by the connection's identity provider, no SHA-1,
	// audience, recipient, destination and time conditions, answering the
	// flow's AuthnRequest, never an assertion seen before on any
	// instance: a failure is ErrTokenInvalid), then the same unit of work.
	// An unsolicited response (no relay state) is accepted only when the
	// connection allows IdP-initiated sign-in, and then delivers a cookie
	// session with no return target.
	CompleteSAML(ctx context.Context, cmd SAMLCommand) (Completion, error)
}

// SAMLCommand is a response posted to a connection's assertion consumer
// service, with the browser's binding.
type SAMLCommand struct {
	Connection   uuid.UUID
	RelayState   string
	SAMLResponse string
	Binding      string
}

// FlowStore keeps started sign-ins, shared by every instance.
//
// Contract: Put stores a flow under its state hash; Take removes the flow
// with the hash and returns it, so of two callers exactly one gets it and
// the other sso.ErrStateInvalid (also for a hash never stored);
// DeleteExpired removes up to batch flows that expired before now and says
// how many. Every method joins the unit of work carried by ctx.
type FlowStore interface {
	Put(ctx context.Context, f *sso.Flow) error
	Take(ctx context.Context, stateHash string) (*sso.Flow, error)
	DeleteExpired(ctx context.Context, now time.Time, batch int) (int, error)
}

// IdentityRepository stores the identities linked through connections.
//
// Contract: Add refuses a second identity of one connection and subject
// (sso.ErrIdentityTaken), also when two callers race; Find of what is not
// stored is sso.ErrIdentityNotFound; Save writes the identity's state;
// Delete and DeleteAllOf remove one or every identity of a user. Every
// method joins the unit of work carried by ctx.
type IdentityRepository interface {
	Add(ctx context.Context, i *sso.Identity) error
	Find(ctx context.Context, connection uuid.UUID, subject string) (*sso.Identity, error)
	Save(ctx context.Context, i *sso.Identity) error
	Delete(ctx context.Context, id uuid.UUID) error
	DeleteAllOf(ctx context.Context, user shared.UserID) (int, error)
}
