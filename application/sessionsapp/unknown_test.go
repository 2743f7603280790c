package sessionsapp_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

func randomToken(t *testing.T) string {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// authAs authenticates token as a request from ip.
func (f *fixture) authAs(ip, token string) (sessionsport.Principal, error) {
	return f.svc.Authenticate(ctxFrom(ip, "ua"), token)
}

func rateLimited(t *testing.T, err error) {
	t.Helper()
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || se.RetryAfter() <= 0 {
		t.Fatalf("err = %v, want rate limited with a retry delay", err)
	}
}

func TestAuthenticate_AThousandRandomTokensFromOneClientCostABoundedNumberOfStoreReadsThen429(t *testing.T) {
	f := newFixture(t)
	victim := f.start(t, f.newUser(t))
	attackersOwn := f.start(t, f.newUser(t))
	const attacker = "203.0.113.9"
	reads := f.reads.byHash.Load()
	var limited int
	for i := 0; i < 1000; i++ {
		_, err := f.authAs(attacker, randomToken(t))
		switch {
		case errors.Is(err, sessions.ErrInvalidToken):
		case err != nil:
			rateLimited(t, err)
			limited++
		default:
			t.Fatal("a random token authenticated")
		}
	}
	if n := f.reads.byHash.Load() - reads; n > int64(unknownLimit.Max) {
		t.Fatalf("1,000 random tokens cost %d store reads, want at most %d", n, unknownLimit.Max)
	}
	if limited != 1000-unknownLimit.Max {
		t.Fatalf("%d of 1,000 answered 429, want every one past the first %d", limited, unknownLimit.Max)
	}
	if m := f.meter.get("rate_limited:unknown_token"); m != limited {
		t.Fatalf("rate_limited metric %d, want %d", m, limited)
	}

	// Another client's valid session is untouched, and so is a cached
	// session of the throttled client itself (the cache answers for it).
	if _, err := f.authAs("198.51.100.20", victim.Token); err != nil {
		t.Fatalf("another client's valid session: %v", err)
	}
	if _, err := f.authAs(attacker, attackersOwn.Token); err != nil {
		t.Fatalf("a cached session from the throttled client: %v", err)
	}
	// Another client's unknown token still reaches the store.
	reads = f.reads.byHash.Load()
	if _, err := f.authAs("198.51.100.20", randomToken(t)); !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("another client's unknown token: %v", err)
	}
	if f.reads.byHash.Load() != reads+1 {
		t.Fatal("another client's look-up must not be throttled")
	}

	// A minute later the client may try again.
	f.clock.Advance(unknownLimit.Window)
	if _, err := f.authAs(attacker, randomToken(t)); !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("after the window: %v", err)
	}
}

func TestAuthenticate_ThrottlesAnIPv6ClientByItsSlash64(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < unknownLimit.Max; i++ {
		// Each request from another address of the same /64, zones too.
		ip := []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2::7%eth0"}[i%3]
		if _, err := f.authAs(ip, randomToken(t)); !errors.Is(err, sessions.ErrInvalidToken) {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	_, err := f.authAs("2001:db8:1:2:abcd::1", randomToken(t))
	rateLimited(t, err)
	if _, err := f.authAs("2001:db8:1:3::1", randomToken(t)); !errors.Is(err, sessions.ErrInvalidToken) {
		t.Fatalf("the next /64 is another client: %v", err)
	}
}

func TestAuthenticate_RepeatingAnUnknownOrEndedTokenIsAnsweredFromTheCache(t *testing.T) {
	f := newFixture(t)
	token := randomToken(t)
	reads := f.reads.byHash.Load()
	for i := 0; i < 5; i++ {
		f.refused(t, token)
	}
	if n := f.reads.byHash.Load() - reads; n != 1 {
		t.Fatalf("an unknown token repeated 5 times cost %d store reads, want 1", n)
	}
	if _, state, _ := f.cache.Get(context.Background(), f.tokens.Hash(token)); state != sessionsport.CacheUnknown {
		t.Fatalf("the unknown token must be marked in the cache, state %v", state)
	}

	// An expired session whose entry the cache has dropped (as Redis drops
	// it at its expiry) is read once, then remembered too.
	expired := f.start(t, f.newUser(t))
	f.clock.Advance(idle + time.Second)
	f.cache.inner.Store(sessionsmem.NewCache())
	reads = f.reads.byHash.Load()
	for i := 0; i < 5; i++ {
		f.refused(t, expired.Token)
	}
	if n := f.reads.byHash.Load() - reads; n != 1 {
		t.Fatalf("an expired token repeated 5 times cost %d store reads, want 1", n)
	}

	// The mark is short: once it is gone (Redis expires it after seconds)
	// the store is asked again.
	f.clock.Advance(10 * time.Second)
	f.cache.inner.Store(sessionsmem.NewCache())
	reads = f.reads.byHash.Load()
	f.refused(t, token)
	if f.reads.byHash.Load() != reads+1 {
		t.Fatal("after the mark is gone the store must be asked again")
	}
}

func TestAuthenticate_ANewSessionIsNeverRefusedByAnEarlierUnknownMark(t *testing.T) {
	token := randomToken(t)
	tokens := &fixedTokens{next: token}
	f := newFixture(t, func(d *sessionsapp.Deps) { d.Tokens = tokens })
	// The token is looked up (and marked unknown) before a session with it
	// exists: impossible with 256 random bits, forced here.
	f.refused(t, token)
	is := f.start(t, f.newUser(t))
	if is.Token != token {
		t.Fatal("set-up: the session must carry the forced token")
	}
	if _, err := f.svc.Authenticate(context.Background(), token); err != nil {
		t.Fatalf("a new session refused because of an earlier unknown mark: %v", err)
	}
}

func TestAuthenticate_WithoutTheCacheUnknownTokensAreStillThrottled(t *testing.T) {
	f := newFixture(t)
	f.cache.down.Store(true)
	reads := f.reads.byHash.Load()
	for i := 0; i < 100; i++ {
		_, _ = f.authAs("203.0.113.50", randomToken(t))
	}
	if n := f.reads.byHash.Load() - reads; n > int64(unknownLimit.Max) {
		t.Fatalf("with the cache down 100 random tokens cost %d store reads, want at most %d", n, unknownLimit.Max)
	}
	_, err := f.authAs("203.0.113.50", randomToken(t))
	rateLimited(t, err)
}

// fixedTokens issues one chosen token; hashing is the real one.
type fixedTokens struct {
	next string
}

func (x *fixedTokens) New() (string, sessions.TokenHash, error) {
	return x.next, x.Hash(x.next), nil
}

func (x *fixedTokens) Hash(token string) sessions.TokenHash {
	return security.SessionTokens{}.Hash(token)
}
