package identityapp

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Audit actions of the mailed links. Their details never hold a token or a
// link: whoever reads the audit trail must not be able to use one.
const (
	actionVerificationSent       = "auth.email.verification_sent"
	actionEmailVerified          = "auth.email.verified"
	actionEmailChangeRequested   = "user.email.change_requested"
	actionEmailChanged           = "user.email.changed"
	actionPasswordResetRequested = "auth.password.reset_requested"
	actionPasswordResetCompleted = "auth.password.reset_completed"
)

// maxLinkTokenBytes bounds a token a client presents: a real one has 43
// characters, and anything much longer is not worth hashing.
const maxLinkTokenBytes = 256

var errLinkTokenRateLimited = shared.RateLimited("identity.link_token_rate_limited",
	"too many links opened from this address; retry later", 0)

// limitLinkTokenClient names the link token limit in refusal records.
const limitLinkTokenClient = "link_token_client"

// link is a new mailed link: the secret that goes into the mail (never
// stored, never logged) and the token stored by its hash.
type link struct {
	secret string
	token  *identity.Token
}

// newLink issues a token of purpose for user, to be mailed to to. It is
// called before the unit of work that stores it: it reads random bytes,
// nothing a retried transaction should repeat.
func (s *Service) newLink(user shared.UserID, purpose identity.TokenPurpose, to identity.Email, session uuid.UUID, now time.Time) (link, error) {
	secret, hash, err := s.links.New()
	if err != nil {
		return link{}, fmt.Errorf("new link token: %w", err)
	}
	t, err := identity.NewToken(s.newTokID(), user, purpose, hash, to, session, now)
	if err != nil {
		return link{}, err
	}
	return link{secret: secret, token: t}, nil
}

// store saves l in place of every unused token of its user and purpose
// (the newest link is the only one that works), inside the unit of work carried by ctx.
func (s *Service) store(ctx context.Context, l link) error {
	t := l.token
	if _, err := s.tokens.Retire(ctx, t.User(), t.CreatedAt(), t.Purpose()); err != nil {
		return fmt.Errorf("retire earlier links: %w", err)
	}
	if err := s.tokens.Add(ctx, t); err != nil {
		return fmt.Errorf("store link token: %w", err)
	}
	return nil
}

// linkTokenHash checks the shape of a token a client presents and returns
// its hash. Anything that cannot be a token answers like a forged one.
func (s *Service) linkTokenHash(field, raw string) (identity.TokenHash, error) {
	switch {
	case raw == "":
		return identity.TokenHash{}, shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
			map[string][]string{field: {"is required"}})
	case len(raw) > maxLinkTokenBytes:
		return identity.TokenHash{}, identity.ErrTokenInvalid
	}
	return s.links.Hash(raw), nil
}

// takeLinkToken counts a presented token against its client's limit: the
// tokens cannot be guessed, but each attempt costs a look-up, and a reset a
// hash.
func (s *Service) takeLinkToken(ctx context.Context, metric string) error {
	client := clientOf(ctx)
	if d := s.take(ctx, linkTokenClientKey(client), s.limits.LinkTokensPerClient); !d.Allowed {
		s.refuse(ctx, refusal{action: actionLinkTokenRateLimited, limit: limitLinkTokenClient, client: client}, metric)
		return errLinkTokenRateLimited.WithRetryAfter(d.RetryAfter)
	}
	return nil
}

// userEvent is an audit record by the user about itself.
func userEvent(action string, user shared.UserID, details map[string]any, at time.Time) auditport.Event {
	return auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: user.String(),
		TargetType: "user", TargetID: user.String(), Details: details, OccurredAt: at,
	}
}

var (
	errReauthRequired = shared.Forbidden("identity.reauthentication_required",
		"this account has no password: sign in again, then retry within 5 minutes")
	errCurrentPasswordRequired = shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"current_password": {"is required"}})
	errCurrentPasswordTooLong = shared.Invalid(identity.CodeInvalidInput, "the request has invalid fields",
		map[string][]string{"current_password": {"is too long"}})
)

// reauthenticate proves that whoever holds p is the account's owner, for a
// change a stolen bearer token alone must not make (deleting the account,
// moving it to another address): the current password, or for an account
// without one a sign-in within identityport.ReauthWindow (p.AuthTime, which
// the sessions context records when the session authenticates and never
// moves on a refresh), and for an account with a second factor a sign-in
// or factor check within the step-up window (see SetStepUpGuard). A
// password account returns the hash it verified, so
// the change can check that no other request replaced it meanwhile.
func (s *Service) reauthenticate(ctx context.Context, p sessionsport.Principal, u *identity.User, current string) (identity.PasswordHash, error) {
	if err := s.requireStepUp(ctx, p, u.HasPassword()); err != nil {
		return identity.PasswordHash{}, err
	}
	if !u.HasPassword() {
		if p.AuthTime.IsZero() || s.now().Sub(p.AuthTime) > identityport.ReauthWindow {
			return identity.PasswordHash{}, errReauthRequired
		}
		return identity.PasswordHash{}, nil
	}
	switch {
	case current == "":
		return identity.PasswordHash{}, errCurrentPasswordRequired
	case len(current) > maxLoginPasswordBytes:
		return identity.PasswordHash{}, errCurrentPasswordTooLong
	}
	verified := u.PasswordHash()
	match, _, err := s.hasher.Verify(ctx, current, verified)
	if err != nil {
		return identity.PasswordHash{}, err
	}
	if !match {
		return identity.PasswordHash{}, errWrongCurrentPassword
	}
	return verified, nil
}
