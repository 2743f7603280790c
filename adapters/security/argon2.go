package security

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"github.com/alexedwards/argon2id"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/ports/identityport"
)

// Argon2Params are the argon2id parameters. Every one is explicit so that
// hashes are identical on every machine (argon2id.DefaultParams derives
// parallelism from the CPU count).
type Argon2Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	SaltLength  uint32
	KeyLength   uint32
}

// OWASPMinimum is OWASP's lowest recommended argon2id setting (19 MiB, two
// passes, one lane) with a 16-byte salt and a 32-byte key.
var OWASPMinimum = Argon2Params{MemoryKiB: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HasherOptions configure NewPasswordHasher.
type HasherOptions struct {
	Params Argon2Params
	// AllowWeakParams admits parameters below OWASPMinimum (tests only).
	AllowWeakParams bool
	// Concurrency is how many hashes may run at once (default: the number
	// of CPUs). Each holds Params.MemoryKiB of memory while it runs.
	Concurrency int
	// MaxWaiters is how many callers may queue for a slot (default 32 per
	// slot); the next caller is refused at once with ErrHasherBusy.
	MaxWaiters int
	// MaxWait bounds a queued caller's wait (default 3s).
	MaxWait time.Duration
}

// PasswordHasher implements identityport.PasswordHasher with argon2id. It
// verifies argon2id hashes of any parameters and bcrypt hashes ($2a$, $2b$,
// $2y$) imported from Authy2, asking for a rehash of anything that is not
// argon2id with the current parameters.
//
// Concurrency is bounded: argon2id holds its whole memory cost per hash in
// flight, so an unbounded login flood could exhaust memory. Callers beyond
// Concurrency queue (at most MaxWaiters of them, each for at most MaxWait)
// and are otherwise refused with identityport.ErrHasherBusy.
//
// Equal work: every verification path (VerifyDummy for an unknown email, a
// current hash, a legacy or unreadable one) performs exactly one argon2id
// computation at the current parameters, so login time does not tell which
// kind of hash an account has. A legacy hash is verified while the dummy
// current-parameter verification runs alongside, in the same slot, and
// Verify returns when both are done: its wall time is the slower of the two
// (a legacy hash dearer than the current parameters stays dearer; it is
// replaced at the next successful login). While it runs, that slot holds
// both computations' memory.
type PasswordHasher struct {
	params     argon2id.Params
	slots      chan struct{}
	waiting    atomic.Int64
	maxWaiters int64
	maxWait    time.Duration
	dummy      string
	// currentWork and legacyWork count the computations verifications
	// performed at the current parameters and otherwise (the equal-work
	// tests read them).
	currentWork, legacyWork atomic.Int64
}

var _ identityport.PasswordHasher = (*PasswordHasher)(nil)

// NewPasswordHasher checks o and returns a hasher.
func NewPasswordHasher(o HasherOptions) (*PasswordHasher, error) {
	p := o.Params
	switch {
	case p.SaltLength < 16:
		return nil, errors.New("argon2id salt length must be at least 16 bytes")
	case p.KeyLength < 16:
		return nil, errors.New("argon2id key length must be at least 16 bytes")
	case p.MemoryKiB < 8*uint32(p.Parallelism) || p.Iterations < 1 || p.Parallelism < 1:
		return nil, errors.New("argon2id parameters are out of range")
	case !o.AllowWeakParams && (p.MemoryKiB < OWASPMinimum.MemoryKiB || p.Iterations < OWASPMinimum.Iterations):
		return nil, fmt.Errorf("argon2id parameters must be at least m=%d KiB, t=%d (OWASP)", OWASPMinimum.MemoryKiB, OWASPMinimum.Iterations)
	}
	if o.Concurrency <= 0 {
		o.Concurrency = runtime.NumCPU()
	}
	if o.MaxWaiters <= 0 {
		o.MaxWaiters = 32 * o.Concurrency
	}
	if o.MaxWait <= 0 {
		o.MaxWait = 3 * time.Second
	}
	h := &PasswordHasher{
		params: argon2id.Params{
			Memory: p.MemoryKiB, Iterations: p.Iterations, Parallelism: p.Parallelism,
			SaltLength: p.SaltLength, KeyLength: p.KeyLength,
		},
		slots:      make(chan struct{}, o.Concurrency),
		maxWaiters: int64(o.MaxWaiters),
		maxWait:    o.MaxWait,
	}
	dummy, err := dummyHash(h.params)
	if err != nil {
		return nil, err
	}
	h.dummy = dummy
	return h, nil
}

// dummyHash returns an encoded argon2id hash with parameters p, a random
// salt and a random key. Verifying against it costs what verifying a real
// user's hash costs (the same decoding and one argon2id computation with
// p), and no password matches it but with the chance of guessing a random
// key. Drawing the key instead of hashing a random password keeps a whole
// argon2id computation, and its p.Memory, out of the server's start.
func dummyHash(p argon2id.Params) (string, error) {
	salt, key := make([]byte, p.SaltLength), make([]byte, p.KeyLength)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("dummy hash salt: %w", err)
	}
	if _, err := rand.Read(key); err != nil {
		return "", fmt.Errorf("dummy hash key: %w", err)
	}
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Iterations, p.Parallelism,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key)), nil
}

// enter takes a hashing slot, queueing within the bounds.
func (h *PasswordHasher) enter(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	if h.waiting.Add(1) > h.maxWaiters {
		h.waiting.Add(-1)
		return identityport.ErrHasherBusy
	}
	defer h.waiting.Add(-1)
	t := time.NewTimer(h.maxWait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		return identityport.ErrHasherBusy
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *PasswordHasher) leave() { <-h.slots }

// Hash implements identityport.PasswordHasher.
func (h *PasswordHasher) Hash(ctx context.Context, plain string) (identity.PasswordHash, error) {
	if err := h.enter(ctx); err != nil {
		return identity.PasswordHash{}, err
	}
	defer h.leave()
	s, err := argon2id.CreateHash(plain, &h.params)
	if err != nil {
		return identity.PasswordHash{}, fmt.Errorf("argon2id: %w", err)
	}
	return identity.PasswordHashFromEncoded(s), nil
}

// Verify implements identityport.PasswordHasher.
func (h *PasswordHasher) Verify(ctx context.Context, plain string, hash identity.PasswordHash) (bool, bool, error) {
	if err := h.enter(ctx); err != nil {
		return false, false, err
	}
	defer h.leave()
	enc := hash.Encoded()
	switch {
	case strings.HasPrefix(enc, "$argon2id$"):
		params, _, _, err := argon2id.DecodeHash(enc)
		if err != nil {
			// An unreadable hash matches nothing, but costs the usual work
			// so that it cannot be told apart from a wrong password.
			h.burn(plain)
			return false, false, nil
		}
		if h.current(params) {
			h.currentWork.Add(1)
			match, _, err := argon2id.CheckHash(plain, enc)
			return err == nil && match, false, nil
		}
		var match bool
		h.alongside(plain, func() {
			ok, _, err := argon2id.CheckHash(plain, enc)
			match = err == nil && ok
		})
		return match, match, nil
	case isBcrypt(enc):
		var match bool
		h.alongside(plain, func() {
			match = bcrypt.CompareHashAndPassword([]byte(enc), []byte(plain)) == nil
		})
		return match, match, nil
	default:
		h.burn(plain)
		return false, false, nil
	}
}

// VerifyDummy implements identityport.PasswordHasher.
func (h *PasswordHasher) VerifyDummy(ctx context.Context, plain string) error {
	if err := h.enter(ctx); err != nil {
		return err
	}
	defer h.leave()
	h.burn(plain)
	return nil
}

// burn does one current-parameter verification that matches nothing.
func (h *PasswordHasher) burn(plain string) {
	h.currentWork.Add(1)
	_, _ = argon2id.ComparePasswordAndHash(plain, h.dummy)
}

// alongside runs a legacy verification and the dummy current-parameter one
// at the same time and returns when both are done, so the caller's slot is
// held, and the answer delayed, for the slower of the two.
func (h *PasswordHasher) alongside(plain string, legacy func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.burn(plain)
	}()
	h.legacyWork.Add(1)
	legacy()
	<-done
}

func (h *PasswordHasher) current(p *argon2id.Params) bool {
	return p.Memory == h.params.Memory && p.Iterations == h.params.Iterations &&
		p.Parallelism == h.params.Parallelism && p.KeyLength == h.params.KeyLength &&
		p.SaltLength == h.params.SaltLength
}

func isBcrypt(s string) bool {
	return strings.HasPrefix(s, "$2a$") || strings.HasPrefix(s, "$2b$") || strings.HasPrefix(s, "$2y$")
}
