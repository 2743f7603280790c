// Package provisioningapp implements the provisioning context's use cases:
// the SCIM token admin API (provisioningport.Tokens) and SCIM 2.0 inbound
// provisioning (provisioningport.SCIM), one file per concern.
//
// A SCIM token acts on the authority of the owner who created it: every
// membership change it makes goes through the organizations context's
// grant rules as that owner, and a token whose creator is no longer an
// owner authenticates nothing. A SCIM change (the User resource, the
// account it opens, the membership or invitation, the sessions and OAuth
// tokens it ends) commits in one transaction with its audit records.
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM,
// an adapter or another context's application.
package provisioningapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/provisioningport"
)

// Limits bound SCIM traffic; a zero limit takes its default.
type Limits struct {
	// PerToken bounds the requests one token makes (default 600 a minute:
	// an identity provider's bulk push stays well under it).
	PerToken platformport.Limit
	// PerClient bounds the requests from one client address, with or
	// without a valid token (default 1200 a minute).
	PerClient platformport.Limit
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		PerToken:  platformport.Limit{Max: 600, Window: time.Minute},
		PerClient: platformport.Limit{Max: 1200, Window: time.Minute},
	}
}

// Deps are the ports the service uses.
type Deps struct {
	UnitOfWork    platformport.UnitOfWork
	Tokens        provisioningport.TokenRepository
	Users         provisioningport.UserRepository
	Digests       provisioningport.TokenDigests
	Organizations organizationsport.Provisioner
	Directory     identityport.Directory
	Accounts      identityport.ProvisionedAccounts
	Domains       provisioningport.VerifiedDomains
	Sessions      provisioningport.SessionRevoker
	OAuthTokens   provisioningport.UserTokenRevoker
	Recorder      auditport.Recorder
	Clock         platformport.Clock
	Limiter       platformport.RateLimiter
	Limits        Limits
	// NewID generates token and User ids (uuid.New when nil).
	NewID func() uuid.UUID
}

// Service implements provisioningport.Tokens and provisioningport.SCIM,
// and identityport.DeletionGuard (a deleted account's SCIM Users go).
type Service struct{ d Deps }

var (
	_ provisioningport.Tokens    = (*Service)(nil)
	_ provisioningport.SCIM      = (*Service)(nil)
	_ identityport.DeletionGuard = (*Service)(nil)
)

// New checks that every dependency is present.
func New(d Deps) (*Service, error) {
	if d.UnitOfWork == nil || d.Tokens == nil || d.Users == nil || d.Digests == nil || d.Organizations == nil ||
		d.Directory == nil || d.Accounts == nil || d.Domains == nil || d.Sessions == nil || d.OAuthTokens == nil ||
		d.Recorder == nil || d.Clock == nil || d.Limiter == nil {
		return nil, errors.New("provisioningapp: every dependency is required")
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	def := DefaultLimits()
	for _, l := range []struct{ got, def *platformport.Limit }{
		{&d.Limits.PerToken, &def.PerToken}, {&d.Limits.PerClient, &def.PerClient},
	} {
		if l.got.Max <= 0 || l.got.Window <= 0 {
			*l.got = *l.def
		}
	}
	return &Service{d: d}, nil
}

// now is the clock's time in UTC at microsecond precision, the precision
// every store keeps.
func (s *Service) now() time.Time { return s.d.Clock.Now().UTC().Truncate(time.Microsecond) }

// BeforeAccountDeletion implements identityport.DeletionGuard: the SCIM
// Users of the account go with it, in the deletion's transaction.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	if err := s.d.Users.DeleteOfAccount(ctx, user); err != nil {
		return fmt.Errorf("provisioning: %w", err)
	}
	return nil
}

// hasCode reports whether err is a shared.Error with code.
func hasCode(err error, code string) bool {
	var se *shared.Error
	return errors.As(err, &se) && se.Code() == code
}
