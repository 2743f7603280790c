package sessionsapp

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// maxTokenLength refuses absurd tokens before hashing them.
const maxTokenLength = 512

// cacheStep is the least movement of a cached expiry worth a cache write.
const cacheStep = time.Second

// unknownFor is how long the cache remembers a token hash the store did not
// know (or found ended): long enough that repeating a token costs no store
// read, short enough to keep the cache small.
const unknownFor = 5 * time.Second

var (
	errStoreUnavailable     = shared.Unavailable("sessions.store_unavailable", "sessions cannot be checked right now")
	errTooManyUnknownTokens = shared.RateLimited("auth.too_many_unknown_tokens",
		"too many requests with unknown tokens from this address; retry later", 0)
	errInvalidCursor = shared.Invalid("sessions.invalid_cursor", "the request has invalid fields",
		map[string][]string{"cursor": {"is not a cursor from a previous page"}})
)

// Deps are the ports the service needs. Log may be nil.
type Deps struct {
	Store  sessionsport.Store
	UoW    platformport.UnitOfWork
	Cache  sessionsport.Cache
	Tokens sessionsport.Tokens
	Audit  auditport.Recorder
	Clock  platformport.Clock
	Meter  platformport.Meter
	Policy sessions.Policy
	Log    *slog.Logger
	// Limiter and UnknownTokens throttle, per client (shared.ClientKey),
	// the tokens the store does not know: beyond UnknownTokens a client's
	// cache misses get 429 without a store read.
	Limiter       platformport.RateLimiter
	UnknownTokens platformport.Limit
	// RevocationPoll is how often the instance reads the pending purges of
	// the store into its deny set (see PollRevocations). Zero disables it:
	// right for a single instance whose cache never fails (in-process).
	RevocationPoll time.Duration
}

// Service implements sessionsport.Service and sessionsport.Lister.
type Service struct {
	store  sessionsport.Store
	uow    platformport.UnitOfWork
	cache  sessionsport.Cache
	tokens sessionsport.Tokens
	audit  auditport.Recorder
	clock  platformport.Clock
	meter  platformport.Meter
	policy sessions.Policy
	log    *slog.Logger
	trust  trust

	limiter      platformport.RateLimiter
	unknownLimit platformport.Limit

	pollEvery time.Duration
	deny      atomic.Pointer[denySnapshot]
	polls     atomic.Uint64

	enrolmentMu sync.RWMutex
	enrolment   sessionsport.EnrolmentPolicy
}

// SetEnrolmentPolicy makes every new session name the organizations whose
// multi-factor policy its user does not meet yet (nil: none). Call it
// while wiring, before the server serves.
func (s *Service) SetEnrolmentPolicy(p sessionsport.EnrolmentPolicy) {
	s.enrolmentMu.Lock()
	defer s.enrolmentMu.Unlock()
	s.enrolment = p
}

func (s *Service) enrolmentPolicy() sessionsport.EnrolmentPolicy {
	s.enrolmentMu.RLock()
	defer s.enrolmentMu.RUnlock()
	return s.enrolment
}

var (
	_ sessionsport.Service = (*Service)(nil)
	_ sessionsport.Lister  = (*Service)(nil)
)

// New checks d and returns the service. The cache starts suspect: call
// Reconcile (or run RunReconciler) to start using it.
func New(d Deps) (*Service, error) {
	if d.Store == nil || d.UoW == nil || d.Cache == nil || d.Tokens == nil || d.Audit == nil || d.Clock == nil || d.Limiter == nil {
		return nil, errors.New("sessionsapp: store, unit of work, cache, tokens, audit, clock and limiter are required")
	}
	if d.UnknownTokens.Max < 1 || d.UnknownTokens.Window <= 0 {
		return nil, errors.New("sessionsapp: a limit of unknown tokens per client is required")
	}
	if d.Policy.Idle() <= 0 {
		return nil, errors.New("sessionsapp: a session policy is required")
	}
	if d.RevocationPoll < 0 {
		return nil, errors.New("sessionsapp: the revocation poll interval must not be negative")
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Service{
		store: d.Store, uow: d.UoW, cache: d.Cache, tokens: d.Tokens, audit: d.Audit,
		clock: d.Clock, meter: d.Meter, policy: d.Policy, log: d.Log, pollEvery: d.RevocationPoll,
		limiter: d.Limiter, unknownLimit: d.UnknownTokens,
	}, nil
}

func (s *Service) now() time.Time { return s.clock.Now().UTC().Truncate(time.Microsecond) }

// trust tracks whether this instance may read the cache. gen counts cache
// failures, so a reconciliation that raced with a new failure does not
// restore trust.
type trust struct {
	mu      sync.Mutex
	trusted bool
	gen     uint64
}

func (t *trust) state() (bool, uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.trusted, t.gen
}

// fail marks the cache suspect and reports whether it was trusted before.
func (t *trust) fail() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := t.trusted
	t.trusted = false
	t.gen++
	return was
}

// restore trusts the cache again unless a failure happened since gen.
func (t *trust) restore(gen uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.gen != gen {
		return false
	}
	was := t.trusted
	t.trusted = true
	return !was
}

// CacheTrusted reports whether this instance currently reads the cache.
func (s *Service) CacheTrusted() bool {
	ok, _ := s.trust.state()
	return ok
}

func (s *Service) cacheFailed(ctx context.Context, op string, err error) {
	if s.trust.fail() {
		s.log.WarnContext(ctx, "session cache failed; serving sessions from the database until it recovers",
			"op", op, "error", err.Error())
	}
}

func view(x *sessions.Session, current bool) sessionsport.SessionView {
	return sessionsport.SessionView{
		ID: x.ID(), UserID: x.User(), CreatedAt: x.CreatedAt(), LastSeenAt: x.LastSeenAt(),
		ExpiresAt: x.ExpiresAt(), AbsoluteExpiresAt: x.AbsoluteExpiresAt(),
		IP: x.IP(), UserAgent: x.UserAgent(), Current: current,
		Method: x.Method(), AuthTime: x.AuthTime(),
	}
}

func entry(x *sessions.Session, syncedAt time.Time) sessionsport.CachedSession {
	return sessionsport.CachedSession{
		ID: x.ID(), User: x.User(), Hash: x.TokenHash(), CreatedAt: x.CreatedAt(),
		LastSeenAt: x.LastSeenAt(), ExpiresAt: x.ExpiresAt(), AbsoluteExpiresAt: x.AbsoluteExpiresAt(),
		SyncedAt: syncedAt, Method: x.Method(), AuthTime: x.AuthTime(),
	}
}

// putCache writes e when the cache is trusted; a failure only makes it
// suspect (the Store already holds the truth).
func (s *Service) putCache(ctx context.Context, e sessionsport.CachedSession, now time.Time) {
	if ok, _ := s.trust.state(); !ok {
		return
	}
	if err := s.cache.Put(ctx, e, now); err != nil {
		s.cacheFailed(ctx, "put", err)
	}
}

// storeErr turns an unexpected store failure into Unavailable, keeping
// typed errors as they are.
func storeErr(op string, err error) error {
	if shared.KindOf(err) != shared.KindUnknown {
		return err
	}
	return errStoreUnavailable.WithCause(errors.New(op + ": " + err.Error()))
}
