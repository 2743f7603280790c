package identitypg

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/platformport"
)

// CachedStore is Store with the users' profile views kept in an
// identityport.ProfileCache: a decorator implementing the same port
// (identityport.UserRepository), so the use cases neither
// know nor care that Profile is cached.
//
//   - Profile reads the cache first. A miss reads the database and fills
//     the cache, unless a change holds the user (see below). Inside a unit
//     of work it reads the database, so a use case sees its own changes.
//   - Every Update through it (alone or inside a unit of work) that
//     changes what Profile shows (or deletes the user) invalidates the
//     user's view once the transaction has committed, through the
//     database's after-commit hooks: no cache call is made while the
//     transaction holds the user's row lock. The invalidation leaves a hold
//     for the cache's TTL, which refuses fills, so a reader that read the
//     database before the commit and fills after the hold cannot store the
//     old view; one that filled before the hold is overwritten by it. A
//     change is therefore seen on every instance by the time the request
//     that made it is answered. A reader whose database read took half the
//     TTL or more does not fill at all, so no fill can outlive the hold it
//     raced with.
//   - A cache that fails is not read for its TTL on this instance (any
//     entry written before the failure has expired by then), and the
//     change that could not invalidate is still committed: another
//     instance may then show the previous view for at most the TTL.
//   - Add needs no invalidation: nothing can be cached for a new user id.
type CachedStore struct {
	store *Store
	cache identityport.ProfileCache
	clock platformport.Clock
	log   *slog.Logger
	// suspectUntil is when Profile may read the cache again after a
	// failure (Unix nanoseconds).
	suspectUntil atomic.Int64
}

var _ identityport.UserRepository = (*CachedStore)(nil)

// NewCached decorates s with cache. clock and log are required.
func NewCached(s *Store, cache identityport.ProfileCache, clock platformport.Clock, log *slog.Logger) (*CachedStore, error) {
	if s == nil || cache == nil || clock == nil || log == nil {
		return nil, errors.New("identitypg: a store, a profile cache, a clock and a logger are required")
	}
	if cache.TTL() <= 0 {
		return nil, errors.New("identitypg: the profile cache needs a positive TTL")
	}
	return &CachedStore{store: s, cache: cache, clock: clock, log: log}, nil
}

// Tokens returns the token repository on the same database.
func (c *CachedStore) Tokens() *TokenStore { return c.store.Tokens() }

// Add implements identityport.UserRepository.
func (c *CachedStore) Add(ctx context.Context, u *identity.User) error { return c.store.Add(ctx, u) }

// Get implements identityport.UserRepository (never cached: the aggregate
// holds the password hash, which no cache may hold).
func (c *CachedStore) Get(ctx context.Context, id shared.UserID) (*identity.User, error) {
	return c.store.Get(ctx, id)
}

// FindByEmail implements identityport.UserRepository.
func (c *CachedStore) FindByEmail(ctx context.Context, email identity.Email) (*identity.User, error) {
	return c.store.FindByEmail(ctx, email)
}

// GetMany implements identityport.UserRepository.
func (c *CachedStore) GetMany(ctx context.Context, ids []shared.UserID) ([]*identity.User, error) {
	return c.store.GetMany(ctx, ids)
}

// Update implements identityport.UserRepository, invalidating the user's
// view after the commit when the closure changed it.
func (c *CachedStore) Update(ctx context.Context, id shared.UserID, fn func(u *identity.User) error) (*identity.User, error) {
	var changed bool
	u, err := c.store.Update(ctx, id, func(u *identity.User) error {
		before := profileStateOf(u)
		if err := fn(u); err != nil {
			return err
		}
		changed = profileStateOf(u) != before
		return nil
	})
	if err != nil {
		return nil, err
	}
	if changed {
		// Joins the caller's transaction when ctx carries one (the hook
		// runs after its commit); else the update has committed already
		// and the hook runs at once.
		c.store.db.AfterCommit(ctx, func(ctx context.Context) { c.invalidate(ctx, id) })
	}
	return u, nil
}

// Profile implements identityport.UserRepository from the cache.
func (c *CachedStore) Profile(ctx context.Context, id shared.UserID) (identityport.UserView, error) {
	if c.store.db.InTx(ctx) {
		return c.store.Profile(ctx, id)
	}
	now := c.clock.Now()
	fill := false
	if c.trusted(now) {
		v, l, err := c.cache.Get(ctx, id, now)
		switch {
		case err != nil:
			c.failed(ctx, "get", err, now)
		case l == identityport.ProfileHit && v.ID == id:
			return v, nil
		default:
			fill = l == identityport.ProfileMiss
		}
	}
	v, err := c.store.Profile(ctx, id)
	if err != nil {
		return identityport.UserView{}, err
	}
	if fill && c.clock.Now().Sub(now) < c.cache.TTL()/2 {
		if err := c.cache.Fill(ctx, v, now); err != nil {
			c.failed(ctx, "fill", err, now)
		}
	}
	return v, nil
}

func (c *CachedStore) invalidate(ctx context.Context, id shared.UserID) {
	now := c.clock.Now()
	if err := c.cache.Invalidate(context.WithoutCancel(ctx), id, now); err != nil {
		c.failed(ctx, "invalidate", err, now)
	}
}

func (c *CachedStore) trusted(now time.Time) bool {
	return now.UnixNano() >= c.suspectUntil.Load()
}

// failed stops reading the cache for its TTL.
func (c *CachedStore) failed(ctx context.Context, op string, err error, now time.Time) {
	until := now.Add(c.cache.TTL()).UnixNano()
	for {
		cur := c.suspectUntil.Load()
		if cur >= until {
			return
		}
		if c.suspectUntil.CompareAndSwap(cur, until) {
			if cur <= now.UnixNano() {
				c.log.WarnContext(ctx, "profile cache failed; reading profiles from the database for its TTL",
					"op", op, "error", err.Error())
			}
			return
		}
	}
}

// profileState is what Profile shows of a user, plus whether it is
// deleted, in comparable form.
type profileState struct {
	email, name                  string
	verifiedAt, created, updated int64
	deletedAt                    int64
}

func profileStateOf(u *identity.User) profileState {
	nanos := func(t time.Time) int64 {
		if t.IsZero() {
			return 0
		}
		return t.UnixNano()
	}
	return profileState{
		email: u.Email().String(), name: u.Name().String(), verifiedAt: nanos(u.EmailVerifiedAt()),
		created: nanos(u.CreatedAt()), updated: nanos(u.UpdatedAt()), deletedAt: nanos(u.DeletedAt()),
	}
}
