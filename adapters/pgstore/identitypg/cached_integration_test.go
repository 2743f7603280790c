//go:build integration

package identitypg_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"
	"gorm.io/gorm"

	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/identityport/identityporttest"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

func cached(t *testing.T, db *pgstore.DB, cache identityport.ProfileCache, clock platformport.Clock) *identitypg.CachedStore {
	t.Helper()
	c, err := identitypg.NewCached(identitypg.New(db), cache, clock, quiet)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCachedStore_KeepsTheUserRepositoryContractOnPostgresWithRedis(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	opt, err := redis.ParseURL(testenv.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { _ = rdb.Close() })
	identityporttest.RunUserRepository(t, func(t *testing.T) (identityport.UserRepository, platformport.UnitOfWork) {
		c := cached(t, db, identityredis.NewProfileCache(rdb, testenv.RedisPrefix(t), time.Minute), platformport.SystemClock)
		return c, db
	})
}

// probe is a profile cache that records, for each call, whether it was
// made inside a transaction and what a fresh read of the user (outside
// any transaction) saw at that moment.
type probe struct {
	identityport.ProfileCache
	db    *pgstore.DB
	store *identitypg.Store

	mu   sync.Mutex
	seen []string
}

func (p *probe) Invalidate(ctx context.Context, id shared.UserID, now time.Time) error {
	var saw string
	if p.db.InTx(ctx) {
		saw = "in a transaction"
	} else if u, err := p.store.Get(context.WithoutCancel(context.Background()), id); err == nil {
		saw = u.Name().String()
	} else {
		saw = err.Error()
	}
	p.mu.Lock()
	p.seen = append(p.seen, saw)
	p.mu.Unlock()
	return p.ProfileCache.Invalidate(ctx, id, now)
}

func (p *probe) calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.seen...)
}

func newUser(t *testing.T, name string) *identity.User {
	t.Helper()
	e, _ := identity.ParseEmail("cached-" + uuid.NewString()[:8] + "@example.com")
	n, _ := identity.ParseName(name)
	u, err := identity.NewUser(shared.UserID(uuid.New()), e, n, identity.PasswordHashFromEncoded("x$y"), time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func rename(name string, at time.Time) func(*identity.User) error {
	return func(u *identity.User) error {
		n, _ := identity.ParseName(name)
		_, err := u.UpdateProfile(identity.ProfileChange{Name: &n}, at)
		return err
	}
}

func TestCachedStore_InvalidatesOnlyOnceTheChangeHasCommitted(t *testing.T) {
	for _, backend := range []struct {
		name string
		open func(t *testing.T) *pgstore.DB
	}{
		{"sqlite", func(t *testing.T) *pgstore.DB {
			return testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t), MaxOpenConns: 4})
		}},
		{"postgres", func(t *testing.T) *pgstore.DB {
			return testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
		}},
	} {
		t.Run(backend.name, func(t *testing.T) {
			db := backend.open(t)
			p := &probe{ProfileCache: identitymem.NewProfileCache(time.Minute), db: db, store: identitypg.New(db)}
			c := cached(t, db, p, platformport.SystemClock)
			ctx := context.Background()
			u := newUser(t, "First")
			if err := c.Add(ctx, u); err != nil {
				t.Fatal(err)
			}
			at := time.Now().UTC()
			if _, err := c.Update(ctx, u.ID(), rename("Second", at)); err != nil {
				t.Fatal(err)
			}
			err := db.Transaction(ctx, func(ctx context.Context) error {
				_, err := c.Update(ctx, u.ID(), rename("Third", at.Add(time.Second)))
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			err = db.Transaction(ctx, func(ctx context.Context) error {
				if _, err := c.Update(ctx, u.ID(), rename("Rolled Back", at.Add(2*time.Second))); err != nil {
					return err
				}
				return errors.New("closure failed")
			})
			if err == nil {
				t.Fatal("the failing closure must fail the transaction")
			}
			if got := p.calls(); len(got) != 2 || got[0] != "Second" || got[1] != "Third" {
				t.Fatalf("invalidations saw %q; want one after each commit, seeing the committed name, none for the rollback", got)
			}
		})
	}
}

func TestCachedStore_ServesProfilesWithoutReadingTheDatabaseOnceCached(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	var reads int
	var mu sync.Mutex
	if err := db.Gorm().Callback().Query().After("*").Register("test:count", func(tx *gorm.DB) {
		mu.Lock()
		reads++
		mu.Unlock()
	}); err != nil {
		t.Fatal(err)
	}
	c := cached(t, db, identitymem.NewProfileCache(time.Minute), platformport.SystemClock)
	ctx := context.Background()
	u := newUser(t, "Cached")
	if err := c.Add(ctx, u); err != nil {
		t.Fatal(err)
	}
	first, err := c.Profile(ctx, u.ID())
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	before := reads
	mu.Unlock()
	for range 3 {
		if v, err := c.Profile(ctx, u.ID()); err != nil || v != first {
			t.Fatalf("Profile = %+v, %v", v, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if reads != before {
		t.Fatalf("%d database reads once the view was cached, want none", reads-before)
	}
}

func TestCachedStore_AnUpdateThatChangesNothingShownKeepsTheCachedView(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	p := &probe{ProfileCache: identitymem.NewProfileCache(time.Minute), db: db, store: identitypg.New(db)}
	c := cached(t, db, p, platformport.SystemClock)
	ctx := context.Background()
	u := newUser(t, "Steady")
	if err := c.Add(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Update(ctx, u.ID(), func(*identity.User) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if got := p.calls(); len(got) != 0 {
		t.Fatalf("invalidations %q for an update that changed nothing", got)
	}
}

// steppingClock moves by step at every reading.
type steppingClock struct {
	mu   sync.Mutex
	now  time.Time
	step time.Duration
}

func (c *steppingClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(c.step)
	return c.now
}

func TestCachedStore_AReadSlowerThanHalfTheHoldDoesNotFill(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	cache := identitymem.NewProfileCache(time.Minute)
	clock := &steppingClock{now: time.Now().UTC(), step: 30 * time.Second}
	c := cached(t, db, cache, clock)
	ctx := context.Background()
	u := newUser(t, "Slow")
	if err := c.Add(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile(ctx, u.ID()); err != nil {
		t.Fatal(err)
	}
	if _, l, _ := cache.Get(ctx, u.ID(), clock.now); l != identityport.ProfileMiss {
		t.Fatalf("lookup %v: a view read over half the hold must not be cached", l)
	}
}

func TestCachedStore_InsideAUnitOfWorkProfileReadsTheUnitsOwnChange(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)})
	c := cached(t, db, identitymem.NewProfileCache(time.Minute), platformport.SystemClock)
	ctx := context.Background()
	u := newUser(t, "Before")
	if err := c.Add(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Profile(ctx, u.ID()); err != nil { // cached
		t.Fatal(err)
	}
	err := db.Transaction(ctx, func(ctx context.Context) error {
		if _, err := c.Update(ctx, u.ID(), rename("Inside", time.Now().UTC())); err != nil {
			return err
		}
		v, err := c.Profile(ctx, u.ID())
		if err != nil {
			return err
		}
		if v.Name != "Inside" {
			t.Errorf("inside the unit Profile shows %q, want its own change", v.Name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
