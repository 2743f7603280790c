// Package organizationsapp implements organizationsport.Service: the use
// cases of the organizations context, one file each. Authorization and
// invariants are the aggregate's; a use case loads, calls one verb, saves
// and records the drained domain events in audit inside the same unit of
// work. Each use case names what its verb reads (the actor, the target, an
// invitation, an address: an organizationsport.Scope), and the store loads
// only that with the organization's counts, so a change costs the same at
// ten members and at a hundred thousand.
//
// People join through invitations only: adding a member invites the
// address, whether or not it has an account, with the same answer either
// way, and the invitee accepts while signed in with that address. Expiry is
// recorded lazily: when an expired invitation is used, and for a bounded
// batch of an organization's due invitations whenever it sends a new one.
//
// It imports only its domain, domain/shared and ports: never Fiber, GORM, an
// adapter or another context's application (identity is reached through
// identityport.Directory).
package organizationsapp

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport"
)

// DefaultInvitationTTL is how long an invitation stays usable unless
// configured otherwise.
const DefaultInvitationTTL = 7 * 24 * time.Hour

// Limits are the abuse limits of invitations; a zero limit takes its
// default.
type Limits struct {
	// InvitePerUser bounds the invitations one user sends (default 50 an
	// hour): adding a member is an address probe, however little it says.
	InvitePerUser platformport.Limit
	// InvitePerClient bounds them per client address (default 100 an hour).
	InvitePerClient platformport.Limit
}

// DefaultLimits are the limits a zero Limits field takes.
func DefaultLimits() Limits {
	return Limits{
		InvitePerUser:   platformport.Limit{Max: 50, Window: time.Hour},
		InvitePerClient: platformport.Limit{Max: 100, Window: time.Hour},
	}
}

// Deps are the ports the service uses.
type Deps struct {
	// UnitOfWork runs each change in one transaction with its audit records.
	UnitOfWork platformport.UnitOfWork
	// Organizations answers reads outside a transaction.
	Organizations organizationsport.Repository
	Directory     identityport.Directory
	Recorder      auditport.Recorder
	Clock         platformport.Clock
	// Tokens makes the link token of each invitation.
	Tokens organizationsport.InvitationTokens
	// Limiter counts invitations against Limits.
	Limiter platformport.RateLimiter
	Limits  Limits
	// Meter counts refused invitations (rate_limited, "invitation"); nil
	// counts nothing.
	Meter platformport.Meter
	// Notifier tells invitees (the invitation mail); nil sends nothing,
	// and invitees find their invitations in their own list.
	Notifier organizationsport.InvitationNotifier
	// InvitationTTL is how long an invitation stays usable
	// (DefaultInvitationTTL when zero).
	InvitationTTL time.Duration
	// NewID generates organization and invitation ids and slug suffixes
	// (uuid.New when nil).
	NewID func() uuid.UUID
}

// Service implements organizationsport.Service.
type Service struct {
	uow      platformport.UnitOfWork
	repo     organizationsport.Repository
	dir      identityport.Directory
	rec      auditport.Recorder
	clock    platformport.Clock
	tokens   organizationsport.InvitationTokens
	limiter  platformport.RateLimiter
	limits   Limits
	notifier organizationsport.InvitationNotifier
	meter    platformport.Meter
	ttl      time.Duration
	newID    func() uuid.UUID

	factorsMu sync.RWMutex
	factors   organizationsport.FactorEnrolment
	federated organizationsport.FederatedMFA
}

var _ organizationsport.Service = (*Service)(nil)

// New checks that every dependency is present.
func New(d Deps) (*Service, error) {
	switch {
	case d.UnitOfWork == nil:
		return nil, errors.New("organizationsapp: UnitOfWork is required")
	case d.Organizations == nil:
		return nil, errors.New("organizationsapp: Organizations is required")
	case d.Directory == nil:
		return nil, errors.New("organizationsapp: Directory is required")
	case d.Recorder == nil:
		return nil, errors.New("organizationsapp: Recorder is required")
	case d.Clock == nil:
		return nil, errors.New("organizationsapp: Clock is required")
	case d.Tokens == nil:
		return nil, errors.New("organizationsapp: Tokens is required")
	case d.Limiter == nil:
		return nil, errors.New("organizationsapp: Limiter is required")
	case d.InvitationTTL < 0:
		return nil, errors.New("organizationsapp: InvitationTTL must not be negative")
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.InvitationTTL == 0 {
		d.InvitationTTL = DefaultInvitationTTL
	}
	def := DefaultLimits()
	for _, l := range []struct{ got, def *platformport.Limit }{
		{&d.Limits.InvitePerUser, &def.InvitePerUser},
		{&d.Limits.InvitePerClient, &def.InvitePerClient},
	} {
		if l.got.Max <= 0 || l.got.Window <= 0 {
			*l.got = *l.def
		}
	}
	return &Service{
		uow: d.UnitOfWork, repo: d.Organizations, dir: d.Directory, rec: d.Recorder, clock: d.Clock,
		tokens: d.Tokens, limiter: d.Limiter, limits: d.Limits, notifier: d.Notifier, meter: d.Meter, ttl: d.InvitationTTL, newID: d.NewID,
	}, nil
}

// now is the clock's time in UTC at microsecond precision, the precision
// every store keeps, so keyset cursors built from it match stored rows.
func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// expireBatch bounds how many expired invitations of an organization a
// change closes on its way (an invitation, an expired acceptance): enough
// that they do not pile up, few enough that the change costs the same in
// an organization that let thousands lapse.
const expireBatch = 20

// change runs fn on the locked organization, loaded with what scope names,
// in a unit of work and records the events it leaves in audit in the same
// transaction.
func (s *Service) change(ctx context.Context, id shared.OrganizationID, scope organizationsport.Scope, fn func(*organizations.Organization) error) error {
	return s.uow.Transaction(ctx, func(ctx context.Context) error {
		return s.changeIn(ctx, id, scope, fn)
	})
}

// changeIn is change inside a unit of work the caller opened.
func (s *Service) changeIn(ctx context.Context, id shared.OrganizationID, scope organizationsport.Scope,
	fn func(*organizations.Organization) error) error {
	var events []organizations.Event
	err := s.repo.Update(ctx, id, scope, func(o *organizations.Organization) error {
		if err := fn(o); err != nil {
			return err
		}
		events = o.PullEvents()
		return nil
	})
	if err != nil {
		return err
	}
	return s.record(ctx, events)
}

// users is the scope of a change that needs only these memberships.
func users(ids ...shared.UserID) organizationsport.Scope { return organizationsport.Scope{Users: ids} }

func clampLimit(n int) int {
	switch {
	case n < 1:
		return organizationsport.DefaultPageLimit
	case n > organizationsport.MaxPageLimit:
		return organizationsport.MaxPageLimit
	}
	return n
}

func viewOf(o *organizations.Organization, actor shared.UserID) organizationsport.OrganizationView {
	m, _ := o.Member(actor)
	return organizationsport.OrganizationView{
		ID: o.ID(), Name: o.Name(), Slug: o.Slug().String(), Role: m.Role().String(), JoinedAt: m.JoinedAt(),
		CreatedAt: o.CreatedAt(), UpdatedAt: o.UpdatedAt(), RequireMFA: o.RequireMFA(),
	}
}

func summaryView(s organizationsport.OrganizationSummary) organizationsport.OrganizationView {
	return organizationsport.OrganizationView{
		ID: s.ID, Name: s.Name, Slug: s.Slug.String(), Role: s.Role.String(), JoinedAt: s.JoinedAt,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, RequireMFA: s.RequireMFA,
	}
}
