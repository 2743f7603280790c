package sessionsredis

import (
	"context"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

func TestCache_ReadAheadForAnotherUserThanTheEntrysIsNotHandedOver(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	key := func(u shared.UserID) string { return "h:profile:" + uuid.UUID(u).String() }
	c := New(rdb, "h:", key)
	now := time.Now().UTC()
	h, err := sessions.NewTokenHash([]byte("0123456789abcdef0123456789abcdef"))
	if err != nil {
		t.Fatal(err)
	}
	owner, stranger := shared.UserID(uuid.New()), shared.UserID(uuid.New())
	e := sessionsport.CachedSession{ID: uuid.New(), User: owner, Hash: h, Method: sessions.MethodPassword,
		AuthTime: now, CreatedAt: now, LastSeenAt: now, ExpiresAt: now.Add(time.Minute), AbsoluteExpiresAt: now.Add(time.Hour), SyncedAt: now}
	if err := c.Put(context.Background(), e, now); err != nil {
		t.Fatal(err)
	}
	for _, u := range []shared.UserID{owner, stranger} {
		if err := mr.Set(key(u), "view of "+uuid.UUID(u).String()); err != nil {
			t.Fatal(err)
		}
	}
	// A hint naming someone else (it cannot happen, but a hint only ever
	// chooses keys): the stranger's data is read, and never handed over.
	c.hints.remember(h, h.String(), stranger)
	ctx := sessionsport.WithReadAhead(context.Background())
	if _, state, err := c.Get(ctx, h); err != nil || state != sessionsport.CacheHit {
		t.Fatalf("Get = %v, %v", state, err)
	}
	ahead := sessionsport.ReadAheadFrom(ctx)
	if _, _, ok := ahead.Take(key(stranger)); ok {
		t.Fatal("another user's data was handed over")
	}
	if u, ok := c.hints.user(h, h.String()); !ok || u != owner {
		t.Fatalf("hint after the read: %v, %v; want the entry's user", u, ok)
	}
	ctx = sessionsport.WithReadAhead(context.Background())
	if _, _, err := c.Get(ctx, h); err != nil {
		t.Fatal(err)
	}
	if v, found, _ := sessionsport.ReadAheadFrom(ctx).Take(key(owner)); !found || v != "view of "+uuid.UUID(owner).String() {
		t.Fatalf("read ahead %q, %v", v, found)
	}
}

func TestHints_ATokenThatTakesASlotReplacesTheOneBefore(t *testing.T) {
	h := newHints()
	a, _ := sessions.NewTokenHash([]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"))
	u := shared.UserID(uuid.New())
	h.remember(a, a.String(), u)
	if got, ok := h.user(a, a.String()); !ok || got != u {
		t.Fatalf("user = %v, %v", got, ok)
	}
	// Find another hash landing on the same slot.
	slot := h.slot(a.String())
	for i := 0; ; i++ {
		b, _ := sessions.NewTokenHash([]byte(uuid.NewString()[:32]))
		if h.slot(b.String()) != slot {
			if i > 10*hintSlots {
				t.Fatal("no colliding hash found")
			}
			continue
		}
		v := shared.UserID(uuid.New())
		h.remember(b, b.String(), v)
		if _, ok := h.user(a, a.String()); ok {
			t.Fatal("the replaced token still has a hint")
		}
		if got, ok := h.user(b, b.String()); !ok || got != v {
			t.Fatalf("user = %v, %v", got, ok)
		}
		return
	}
}
