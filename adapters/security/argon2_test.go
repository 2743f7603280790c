package security

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/ports/identityport"
)

// cheap keeps the suite fast; one test below uses the real minimum.
var cheap = Argon2Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}

func newHasher(t *testing.T, o HasherOptions) *PasswordHasher {
	t.Helper()
	if o.Params == (Argon2Params{}) {
		o.Params = cheap
		o.AllowWeakParams = true
	}
	h, err := NewPasswordHasher(o)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestPasswordHasher_HashesWithEveryParameterExplicit(t *testing.T) {
	h := newHasher(t, HasherOptions{Params: OWASPMinimum})
	ctx := context.Background()
	a, err := h.Hash(ctx, "UserPass123!")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := h.Hash(ctx, "UserPass123!")
	if !strings.HasPrefix(a.Encoded(), "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Fatalf("unexpected encoding %q", a.Encoded())
	}
	parts := strings.Split(a.Encoded(), "$")
	if len(parts) != 6 || len(parts[4]) != 22 || len(parts[5]) != 43 {
		t.Fatalf("want a 16-byte salt and a 32-byte key, got %q", a.Encoded())
	}
	if a.Equal(b) {
		t.Fatal("two hashes of one password must differ (random salt)")
	}
	match, rehash, err := h.Verify(ctx, "UserPass123!", a)
	if err != nil || !match || rehash {
		t.Fatalf("Verify = %v %v %v, want a current match", match, rehash, err)
	}
	if match, _, _ := h.Verify(ctx, "userpass123!", a); match {
		t.Fatal("verification must be case-sensitive")
	}
}

func TestPasswordHasher_RefusesParametersBelowTheMinimum(t *testing.T) {
	tests := []struct {
		name string
		o    HasherOptions
	}{
		{"little memory", HasherOptions{Params: Argon2Params{MemoryKiB: 4096, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"one pass", HasherOptions{Params: Argon2Params{MemoryKiB: 19456, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}}},
		{"short salt", HasherOptions{Params: Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLength: 8, KeyLength: 32}, AllowWeakParams: true}},
		{"short key", HasherOptions{Params: Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 8}, AllowWeakParams: true}},
		{"no lanes", HasherOptions{Params: Argon2Params{MemoryKiB: 19456, Iterations: 2, Parallelism: 0, SaltLength: 16, KeyLength: 32}, AllowWeakParams: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := NewPasswordHasher(tt.o); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestPasswordHasher_AsksToRehashOtherParameters(t *testing.T) {
	ctx := context.Background()
	old := newHasher(t, HasherOptions{})
	stronger := Argon2Params{MemoryKiB: 128, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	cur := newHasher(t, HasherOptions{Params: stronger, AllowWeakParams: true})
	h, _ := old.Hash(ctx, "correct horse")
	match, rehash, err := cur.Verify(ctx, "correct horse", h)
	if err != nil || !match || !rehash {
		t.Fatalf("Verify = %v %v %v, want a match that asks for a rehash", match, rehash, err)
	}
	if match, rehash, _ := cur.Verify(ctx, "wrong horse", h); match || rehash {
		t.Fatal("a wrong password never asks for a rehash")
	}
}

func TestPasswordHasher_VerifiesLegacyBcryptAndAsksToRehash(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherOptions{})
	raw, err := bcrypt.GenerateFromPassword([]byte("Authy2 password"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		t.Run(prefix, func(t *testing.T) {
			legacy := identity.PasswordHashFromEncoded(prefix + string(raw[4:]))
			match, rehash, err := h.Verify(ctx, "Authy2 password", legacy)
			if err != nil || !match || !rehash {
				t.Fatalf("Verify = %v %v %v, want a match that asks for a rehash", match, rehash, err)
			}
			if match, rehash, _ := h.Verify(ctx, "authy2 password", legacy); match || rehash {
				t.Fatal("a wrong password must not match a bcrypt hash")
			}
		})
	}
}

func TestPasswordHasher_UnreadableHashesMatchNothing(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherOptions{})
	for _, enc := range []string{"", "plaintext", "$argon2id$garbage", "$argon2i$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$a2V5", "$2b$xx"} {
		match, rehash, err := h.Verify(ctx, "plaintext", identity.PasswordHashFromEncoded(enc))
		if err != nil || match || rehash {
			t.Fatalf("Verify(%q) = %v %v %v, want no match", enc, match, rehash, err)
		}
	}
	if err := h.VerifyDummy(ctx, "anything"); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordHasher_QueuesWithinBoundsThenRefuses(t *testing.T) {
	h := newHasher(t, HasherOptions{Concurrency: 1, MaxWaiters: 1, MaxWait: 50 * time.Millisecond})
	ctx := context.Background()
	if err := h.enter(ctx); err != nil {
		t.Fatal(err)
	}
	// The only slot is taken: one caller may queue and gives up after the
	// bounded wait; a second queued caller is refused at once.
	queued := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "queued password")
		queued <- err
	}()
	deadline := time.Now().Add(5 * time.Second)
	for h.waiting.Load() != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the caller never queued")
		}
		time.Sleep(time.Millisecond)
	}
	if _, err := h.Hash(ctx, "over the queue"); !errors.Is(err, identityport.ErrHasherBusy) {
		t.Fatalf("a caller beyond the queue must be refused, got %v", err)
	}
	if err := <-queued; !errors.Is(err, identityport.ErrHasherBusy) {
		t.Fatalf("a queued caller must give up after the bounded wait, got %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if err := h.VerifyDummy(cctx, "x"); !errors.Is(err, context.Canceled) {
		t.Fatalf("a cancelled caller gets its context's error, got %v", err)
	}
	h.leave()
	if _, err := h.Hash(ctx, "free again"); err != nil {
		t.Fatalf("a free slot must admit: %v", err)
	}
	if len(h.slots) != 0 {
		t.Fatal("every slot must be returned")
	}
}

func TestPasswordHasher_EveryVerificationPathDoesOneCurrentParameterComputation(t *testing.T) {
	ctx := context.Background()
	h := newHasher(t, HasherOptions{})
	const password = "Authy2 password"
	current, err := h.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	bcryptHash := identity.PasswordHashFromEncoded(string(raw))
	older := newHasher(t, HasherOptions{Params: Argon2Params{MemoryKiB: 32, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}, AllowWeakParams: true})
	olderHash, err := older.Hash(ctx, password)
	if err != nil {
		t.Fatal(err)
	}
	paths := []struct {
		name   string
		legacy int64
		run    func() (bool, error)
	}{
		{"unknown email", 0, func() (bool, error) { return false, h.VerifyDummy(ctx, password) }},
		{"current hash, wrong password", 0, func() (bool, error) { m, _, err := h.Verify(ctx, "wrong", current); return m, err }},
		{"current hash, right password", 0, func() (bool, error) { m, _, err := h.Verify(ctx, password, current); return !m, err }},
		{"bcrypt, wrong password", 1, func() (bool, error) { m, _, err := h.Verify(ctx, "wrong", bcryptHash); return m, err }},
		{"bcrypt, right password", 1, func() (bool, error) { m, _, err := h.Verify(ctx, password, bcryptHash); return !m, err }},
		{"older argon2id, wrong password", 1, func() (bool, error) { m, _, err := h.Verify(ctx, "wrong", olderHash); return m, err }},
		{"older argon2id, right password", 1, func() (bool, error) { m, _, err := h.Verify(ctx, password, olderHash); return !m, err }},
		{"unreadable argon2id", 0, func() (bool, error) {
			m, _, err := h.Verify(ctx, password, identity.PasswordHashFromEncoded("$argon2id$garbage"))
			return m, err
		}},
		{"unknown format", 0, func() (bool, error) {
			m, _, err := h.Verify(ctx, password, identity.PasswordHashFromEncoded("plaintext"))
			return m, err
		}},
	}
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			cur, leg := h.currentWork.Load(), h.legacyWork.Load()
			wrongAnswer, err := p.run()
			if err != nil || wrongAnswer {
				t.Fatalf("unexpected answer (wrong=%v err=%v)", wrongAnswer, err)
			}
			if got := h.currentWork.Load() - cur; got != 1 {
				t.Fatalf("%d current-parameter computations, want exactly 1 like an unknown email", got)
			}
			if got := h.legacyWork.Load() - leg; got != p.legacy {
				t.Fatalf("%d legacy computations, want %d", got, p.legacy)
			}
		})
	}
	if len(h.slots) != 0 {
		t.Fatal("every slot must be returned")
	}
}

func TestPasswordHasher_StartsWithoutComputingAHash(t *testing.T) {
	// A hash at these parameters allocates 64 MiB; building the hasher must
	// not (it runs at every server start).
	params := Argon2Params{MemoryKiB: 64 * 1024, Iterations: 1, Parallelism: 1, SaltLength: 16, KeyLength: 32}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := NewPasswordHasher(HasherOptions{Params: params, AllowWeakParams: true})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > uint64(params.MemoryKiB)*1024/4 {
		t.Fatalf("NewPasswordHasher allocated %d bytes: it computed an argon2id hash", got)
	}
	if h.dummy == "" {
		t.Fatal("no dummy hash")
	}
}

func TestPasswordHasher_DummyHashCostsACurrentParameterVerification(t *testing.T) {
	h := newHasher(t, HasherOptions{})
	// The dummy must decode with exactly the current parameters: otherwise
	// verifying against it would fail early, or cost something else, and an
	// unknown email would answer faster than a wrong password.
	params, salt, key, err := argon2id.DecodeHash(h.dummy)
	if err != nil {
		t.Fatalf("dummy hash %q does not decode: %v", h.dummy, err)
	}
	if !h.current(params) || len(salt) != int(cheap.SaltLength) || len(key) != int(cheap.KeyLength) {
		t.Fatalf("dummy hash %q does not have the current parameters", h.dummy)
	}
	other := newHasher(t, HasherOptions{})
	if h.dummy == other.dummy {
		t.Fatal("two hashers share a dummy hash: its salt and key must be random")
	}
	for _, plain := range []string{"", "anything", h.dummy} {
		if match, _, err := h.Verify(context.Background(), plain, identity.PasswordHashFromEncoded(h.dummy)); err != nil || match {
			t.Fatalf("the dummy hash matched %q (err %v)", plain, err)
		}
	}
}
