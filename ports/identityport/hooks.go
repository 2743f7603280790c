package identityport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// UserSummary is what other contexts may know about a user.
type UserSummary struct {
	ID    shared.UserID
	Email string
	Name  string
	// EmailVerified tells whether the user proved it owns Email: only then
	// may another context treat the address as the user's (accepting an
	// invitation sent to it, linking an external identity by it).
	EmailVerified bool
}

// Directory lets other contexts look users up through identity's inbound
// port instead of its tables.
//
// FindByEmail compares emails trimmed and case-insensitively and returns a
// NotFound error (code "identity.user_not_found") when no live user has it.
// GetMany returns the live users among ids; missing ids are simply absent.
type Directory interface {
	FindByEmail(ctx context.Context, email string) (UserSummary, error)
	GetMany(ctx context.Context, ids []shared.UserID) (map[shared.UserID]UserSummary, error)
}

// RegistrationListener reacts to a new account inside the registration's
// transaction (ctx carries it): an error aborts the registration. No
// context listens today: organizations no longer turns invitations into
// memberships at registration (an invitation is accepted by its invitee).
type RegistrationListener interface {
	UserRegistered(ctx context.Context, user UserSummary) error
}

// DeletionGuard is consulted inside the account deletion's transaction
// before the user is removed: an error (a Conflict when the user is the sole
// owner of an organization that has other members) aborts the deletion; a
// nil error means the guard has also cleaned up what it owns (organizations
// where the user is the only member).
type DeletionGuard interface {
	BeforeAccountDeletion(ctx context.Context, user shared.UserID) error
}

// EmailProof is a proof, just made in the current transaction, that User
// owns Email: a verification link opened, a password reset completed, an
// email change confirmed, or an operator vouching for the address. Keep is
// the session that asked for the change being confirmed (an email
// change's requester), which stays signed in; zero otherwise.
// Via names the proof for audit records: "email_verification",
// "email_change", "password_reset" or "operator".
type EmailProof struct {
	User  shared.UserID
	Email string
	Keep  uuid.UUID
	Via   string
}

// UnlinkedIdentity names the provider of an external identity a proof
// removed from the account.
type UnlinkedIdentity struct {
	Provider    string
	DisplayName string
}

// ProofEffects is what the listeners did about a proof: the identities
// they unlinked and how many sessions they ended.
type ProofEffects struct {
	Unlinked        []UnlinkedIdentity
	SessionsRevoked int
}

// EmailProofListener reacts to a proof of the account's address inside
// the proof's transaction (ctx carries it): an error aborts the proof.
// Federation listens: it unlinks every external identity that did not
// itself vouch for that address, with what was opened through it, so
// whoever opened the account through a provider that never proved the
// address (before its owner did: a pre-hijack) loses it.
type EmailProofListener interface {
	EmailProven(ctx context.Context, proof EmailProof) (ProofEffects, error)
}

// LoginChallenge is the second step a password sign-in needs when the
// account has a confirmed factor: a single-use token (shown once, valid
// until ExpiresAt) to answer with a code, and the kinds of code accepted.
type LoginChallenge struct {
	Token     string
	ExpiresAt time.Time
	Factors   []string
}

// SecondFactor is consulted inside a login's transaction once the
// password matched: for an account with a confirmed factor it opens a
// challenge bound to the attempt (the method that passed, the client in
// ctx) and the login starts no session; for any other it returns nil.
type SecondFactor interface {
	ChallengeLogin(ctx context.Context, user shared.UserID, method sessionsport.AuthMethod) (*LoginChallenge, error)
}

// StepUpGuard is consulted before a change a stolen bearer token alone
// must not make (deleting the account, changing its email or password):
// RequireRecent refuses (a Forbidden error) a session that neither signed
// in nor passed a factor check within the step-up window, unless
// passwordChecked (identity verifies the account's password in the same
// request) and the account has no second factor. The mfa context's
// mfaport.StepUp implements it.
type StepUpGuard interface {
	RequireRecent(ctx context.Context, p sessionsport.Principal, passwordChecked bool) error
}
