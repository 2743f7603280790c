package federationport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// ProviderView is an enabled provider as clients see it.
type ProviderView struct {
	Name        string
	DisplayName string
	// Kind is "google", "github", "microsoft" or "oidc".
	Kind string
}

// BeginCommand starts a flow at Provider. ReturnTo is where the browser
// goes afterwards, already accepted by the adapter's return policy;
// Delivery says whether the result is the session cookie (Authy's own
// origin) or a login code (a registered target on another origin).
// Binding is the random value the adapter put in the browser's cookie: the
// callback must come from a browser holding it.
type BeginCommand struct {
	Provider string
	ReturnTo string
	Delivery shared.Delivery
	Binding  string
}

// Begun is where to send the browser, and until when the flow is usable.
type Begun struct {
	AuthorizationURL string
	ExpiresAt        time.Time
}

// CallbackCommand is the provider's answer as the browser brought it back:
// the state and the code, or the provider's error, with the binding of the
// browser's cookie.
type CallbackCommand struct {
	Provider         string
	State            string
	Code             string
	Error            string
	ErrorDescription string
	Binding          string
}

// Outcome is what a completed flow did.
type Outcome string

// The outcomes.
const (
	// OutcomeSignedIn: a session (Delivery cookie) or a login code
	// (Delivery code) for the user.
	OutcomeSignedIn Outcome = "signed_in"
	// OutcomeLinked: the identity was linked to the signed-in user who
	// started the flow; no new session.
	OutcomeLinked Outcome = "linked"
)

// Completion is the result of a callback. ReturnTo and Delivery are set
// whenever the flow was found (also alongside an error, so the adapter can
// report the error at ReturnTo); otherwise they are empty.
type Completion struct {
	Outcome  Outcome
	ReturnTo string
	Delivery shared.Delivery
	// Link is true for a flow that was to link an identity to a
	// signed-in user.
	Link bool
	// Session is the new session for Delivery cookie.
	Session sessionsport.IssuedSession
	// LoginCode is the one-time code for Delivery code.
	LoginCode string
	User      identityport.UserSummary
	// Created is true when the sign-in opened the account.
	Created bool
	// MFA, for an account with a second factor, is the challenge to
	// answer instead of a session (Session is then zero).
	MFA *identityport.LoginChallenge
}

// ExchangeResult is the bearer session a login code was redeemed for.
type ExchangeResult struct {
	Session sessionsport.IssuedSession
	User    identityport.UserSummary
	// MFA, for an account with a second factor, is the challenge to
	// answer at POST /auth/login/mfa instead of a session.
	MFA *identityport.LoginChallenge
}

// IdentityView is a linked identity as its user sees it.
type IdentityView struct {
	ID            uuid.UUID
	Provider      string
	Subject       string
	Email         string
	EmailVerified bool
	Name          string
	CreatedAt     time.Time
	LastSignInAt  time.Time
}

// Service is the federation context's use-case API.
//
// Errors are shared.Error kinds with the codes of domain/federation: an
// unknown provider is federation.ErrUnknownProvider; a callback whose state
// is unknown, used or another provider's is ErrStateInvalid, a late one
// ErrStateExpired, one from another browser ErrBrowserMismatch (the state
// is spent either way); the provider's refusal is ErrConsentDenied, its
// other errors ErrProviderError, an ID token that fails verification
// ErrTokenInvalid; a first sign-in whose email an account has without both
// sides vouching for it is ErrLinkRequiresSignIn; an identity of another
// user is ErrIdentityTaken. A refused callback creates nothing and is
// audited (auth.external.failed, with the reason).
type Service interface {
	// Providers lists the enabled providers, in configuration order.
	Providers(ctx context.Context) []ProviderView
	// BeginSignIn starts a sign-in flow.
	BeginSignIn(ctx context.Context, cmd BeginCommand) (Begun, error)
	// BeginLink starts a flow that links the identity to p's user; p's
	// sign-in must be recent (identityport.ReauthWindow), else
	// ErrReauthRequired. The result arrives by the cookie delivery.
	BeginLink(ctx context.Context, p sessionsport.Principal, cmd BeginCommand) (Begun, error)
	// Complete checks and spends the flow, exchanges the code, reads the
	// user and signs in, or links.
	Complete(ctx context.Context, cmd CallbackCommand) (Completion, error)
	// Exchange redeems a login code (once, within 60 seconds) for a bearer
	// session; anything else is ErrLoginCodeInvalid.
	Exchange(ctx context.Context, code string) (ExchangeResult, error)
	// ListIdentities lists p's user's linked identities, oldest first.
	ListIdentities(ctx context.Context, p sessionsport.Principal) ([]IdentityView, error)
	// Unlink removes one of p's user's identities; another user's or an
	// unknown one is ErrIdentityNotFound, the user's last way to sign in
	// (no password, no other identity) ErrLastSignInMethod.
	Unlink(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error
}
