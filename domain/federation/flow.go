package federation

import (
	"crypto/subtle"
	"time"

	"github.com/secuird/authy/domain/shared"
)

// FlowLifetime is how long a started sign-in may take at the provider.
const FlowLifetime = 10 * time.Minute

// LoginCodeLifetime is how long a single-page app has to redeem its code.
const LoginCodeLifetime = 60 * time.Second

// FlowSpec is what a new flow holds. StateHash and BindingHash are hashes
// (the state travels through the provider, the binding sits in the
// browser's cookie; neither is stored in the clear). Nonce and Verifier are
// the OpenID Connect nonce and the PKCE code verifier, needed again at the
// callback. LinkTo is the user a link flow adds the identity to (zero for a
// sign-in). ProviderSession is the provider adapter's own pre-authorize
// value, if any.
type FlowSpec struct {
	StateHash       string
	BindingHash     string
	Provider        ProviderName
	Nonce           string
	Verifier        string
	ReturnTo        string
	Delivery        shared.Delivery
	LinkTo          shared.UserID
	ProviderSession string
}

// Flow is a sign-in (or link) a browser started at a provider and has not
// finished: single use, FlowLifetime long, bound to that browser.
//
// Invariants: a state hash, a binding hash, a provider, a nonce and a
// verifier; a delivery; a link flow delivers by cookie (it continues a
// signed-in session); ExpiresAt is CreatedAt + FlowLifetime.
type Flow struct {
	spec      FlowSpec
	createdAt time.Time
	expiresAt time.Time
}

// StartFlow begins a flow at now.
func StartFlow(s FlowSpec, now time.Time) (*Flow, error) {
	f := shared.FieldErrors{}
	for field, v := range map[string]string{
		"state": s.StateHash, "binding": s.BindingHash, "nonce": s.Nonce, "verifier": s.Verifier,
	} {
		if v == "" {
			f.Add(field, "is required")
		}
	}
	if s.Provider.IsZero() {
		f.Add("provider", "is required")
	}
	if s.Delivery.IsZero() {
		f.Add("delivery", "is required")
	}
	if !s.LinkTo.IsZero() && s.Delivery != shared.DeliverCookie {
		f.Add("delivery", "a link continues a session on Authy's own origin")
	}
	if now.IsZero() {
		f.Add("created_at", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	now = now.UTC()
	return &Flow{spec: s, createdAt: now, expiresAt: now.Add(FlowLifetime)}, nil
}

// RehydrateFlow rebuilds a stored flow (for adapters).
func RehydrateFlow(s FlowSpec, createdAt, expiresAt time.Time) *Flow {
	return &Flow{spec: s, createdAt: createdAt.UTC(), expiresAt: expiresAt.UTC()}
}

// Spec returns what the flow holds.
func (f *Flow) Spec() FlowSpec { return f.spec }

// Provider returns the provider the flow was started for.
func (f *Flow) Provider() ProviderName { return f.spec.Provider }

// ReturnTo returns where the browser goes when the flow ends.
func (f *Flow) ReturnTo() string { return f.spec.ReturnTo }

// Delivery returns how the result reaches the client.
func (f *Flow) Delivery() shared.Delivery { return f.spec.Delivery }

// LinkTo returns the user a link flow links to (zero for a sign-in).
func (f *Flow) LinkTo() shared.UserID { return f.spec.LinkTo }

// CreatedAt returns when the flow started.
func (f *Flow) CreatedAt() time.Time { return f.createdAt }

// ExpiresAt returns when the flow stops being usable.
func (f *Flow) ExpiresAt() time.Time { return f.expiresAt }

// Check accepts a callback for provider from the browser whose binding
// hashes to bindingHash, at now: another provider's callback is
// ErrStateInvalid, a late one ErrStateExpired, another browser's
// ErrBrowserMismatch. The store has already spent the flow (taking it is
// what makes it single use), so a refused callback cannot be retried.
func (f *Flow) Check(provider ProviderName, bindingHash string, now time.Time) error {
	if provider != f.spec.Provider {
		return ErrStateInvalid
	}
	if !now.Before(f.expiresAt) {
		return ErrStateExpired
	}
	if bindingHash == "" || subtle.ConstantTimeCompare([]byte(bindingHash), []byte(f.spec.BindingHash)) != 1 {
		return ErrBrowserMismatch
	}
	return nil
}

// LoginCode is a completed sign-in waiting for a single-page app on another
// origin to redeem it for a session: single use, LoginCodeLifetime long,
// stored by its hash. Method and AMR are the session method to start.
//
// Invariants: a hash, a user, a method name and at least one amr value;
// ExpiresAt is CreatedAt + LoginCodeLifetime.
type LoginCode struct {
	hash      string
	user      shared.UserID
	method    string
	amr       []string
	createdAt time.Time
	expiresAt time.Time
}

// IssueLoginCode records a code for user's sign-in with method at now.
func IssueLoginCode(hash string, user shared.UserID, method string, amr []string, now time.Time) (*LoginCode, error) {
	f := shared.FieldErrors{}
	if hash == "" {
		f.Add("code", "is required")
	}
	if user.IsZero() {
		f.Add("user_id", "is required")
	}
	if method == "" || len(amr) == 0 {
		f.Add("method", "is required")
	}
	if now.IsZero() {
		f.Add("created_at", "is required")
	}
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	now = now.UTC()
	return &LoginCode{hash: hash, user: user, method: method, amr: append([]string(nil), amr...),
		createdAt: now, expiresAt: now.Add(LoginCodeLifetime)}, nil
}

// RehydrateLoginCode rebuilds a stored code (for adapters).
func RehydrateLoginCode(hash string, user shared.UserID, method string, amr []string, createdAt, expiresAt time.Time) *LoginCode {
	return &LoginCode{hash: hash, user: user, method: method, amr: append([]string(nil), amr...),
		createdAt: createdAt.UTC(), expiresAt: expiresAt.UTC()}
}

// Hash returns the code's hash.
func (c *LoginCode) Hash() string { return c.hash }

// UserID returns who signed in.
func (c *LoginCode) UserID() shared.UserID { return c.user }

// Method returns the session method's name.
func (c *LoginCode) Method() string { return c.method }

// AMR returns a copy of the session method's amr values.
func (c *LoginCode) AMR() []string { return append([]string(nil), c.amr...) }

// CreatedAt returns when the code was issued.
func (c *LoginCode) CreatedAt() time.Time { return c.createdAt }

// ExpiresAt returns when the code stops being usable.
func (c *LoginCode) ExpiresAt() time.Time { return c.expiresAt }

// Check accepts the code at now; a late one is ErrLoginCodeInvalid (like
// an unknown or used one).
func (c *LoginCode) Check(now time.Time) error {
	if !now.Before(c.expiresAt) {
		return ErrLoginCodeInvalid
	}
	return nil
}
