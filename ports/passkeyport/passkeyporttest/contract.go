// Package passkeyporttest holds the executable contracts of the passkey
// stores (passkeyport.CredentialRepository and CeremonyRepository), run by
// each adapter's tests on SQLite and, in the integration run, on
// PostgreSQL.
package passkeyporttest

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/passkey"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/passkeyport"
)

// Harness is one backend's stores, with a way to create the users they
// refer to.
type Harness struct {
	Credentials passkeyport.CredentialRepository
	Ceremonies  passkeyport.CeremonyRepository
	NewUser     func(t *testing.T) shared.UserID
}

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

func credential(t *testing.T, user shared.UserID, id []byte, count uint32, at time.Time) *passkey.Credential {
	t.Helper()
	c, err := passkey.NewCredential(uuid.New(), user, passkey.Registered{
		CredentialID: id, PublicKey: []byte{0xa5, 1, 2}, AAGUID: make([]byte, 16), Transports: []string{"internal", "hybrid"},
		AttestationFormat: "none", SignCount: count, UserVerified: true, BackupEligible: true, BackupState: true,
	}, "Key", at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ceremony(t *testing.T, purpose passkey.Purpose, user shared.UserID, at time.Time) *passkey.Ceremony {
	t.Helper()
	var h passkey.TokenHash
	a, b := uuid.New(), uuid.New()
	copy(h[:16], a[:])
	copy(h[16:], b[:])
	c, err := passkey.NewCeremony(uuid.New(), h, purpose, user, "10.0.0.1", []byte(`{"challenge":"x"}`), at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// Run runs every contract on fresh stores from newHarness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("credentials", func(t *testing.T) { runCredentials(t, newHarness(t)) })
	t.Run("ceremonies", func(t *testing.T) { runCeremonies(t, newHarness(t)) })
}

func runCredentials(t *testing.T, h Harness) {
	ctx := context.Background()
	user, other := h.NewUser(t), h.NewUser(t)
	first := credential(t, user, []byte("cred-1"), 3, t0)
	if err := h.Credentials.Add(ctx, first); err != nil {
		t.Fatal(err)
	}

	t.Run("a stored passkey reads back whole, by id and by credential id", func(t *testing.T) {
		for _, got := range []func() (*passkey.Credential, error){
			func() (*passkey.Credential, error) { return h.Credentials.Find(ctx, first.ID()) },
			func() (*passkey.Credential, error) { return h.Credentials.FindByCredentialID(ctx, []byte("cred-1")) },
		} {
			c, err := got()
			if err != nil {
				t.Fatal(err)
			}
			if c.ID() != first.ID() || c.User() != user || !bytes.Equal(c.PublicKey(), first.PublicKey()) || c.SignCount() != 3 ||
				!c.UserVerified() || !c.BackupEligible() || !c.BackupState() || !slices.Equal(c.Transports(), []string{"internal", "hybrid"}) ||
				c.AttestationFormat() != "none" || len(c.AAGUID()) != 16 || !c.CreatedAt().Equal(t0) || !c.LastUsedAt().IsZero() {
				t.Fatalf("read back %+v", c)
			}
		}
	})
	t.Run("an unknown passkey is not found", func(t *testing.T) {
		if _, err := h.Credentials.Find(ctx, uuid.New()); !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("Find: %v", err)
		}
		if _, err := h.Credentials.FindByCredentialID(ctx, []byte("nope")); !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("FindByCredentialID: %v", err)
		}
		if err := h.Credentials.Delete(ctx, uuid.New()); !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("Delete: %v", err)
		}
		if err := h.Credentials.Update(ctx, uuid.New(), func(*passkey.Credential) error { return nil }); !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("Update: %v", err)
		}
	})
	t.Run("a credential id is registered once across accounts", func(t *testing.T) {
		if err := h.Credentials.Add(ctx, credential(t, other, []byte("cred-1"), 0, t0)); !errors.Is(err, passkey.ErrAlreadyRegistered) {
			t.Fatalf("second registration: %v", err)
		}
	})
	t.Run("a user's passkeys list oldest first, nobody else's", func(t *testing.T) {
		second := credential(t, user, []byte("cred-2"), 0, t0.Add(time.Minute))
		if err := h.Credentials.Add(ctx, second); err != nil {
			t.Fatal(err)
		}
		if err := h.Credentials.Add(ctx, credential(t, other, []byte("cred-3"), 0, t0)); err != nil {
			t.Fatal(err)
		}
		list, err := h.Credentials.List(ctx, user)
		if err != nil || len(list) != 2 || list[0].ID() != first.ID() || list[1].ID() != second.ID() {
			t.Fatalf("list %v %v", list, err)
		}
	})
	t.Run("an update keeps what fn did, and nothing when fn fails", func(t *testing.T) {
		at := t0.Add(time.Hour)
		if err := h.Credentials.Update(ctx, first.ID(), func(c *passkey.Credential) error {
			if err := c.Rename("Laptop"); err != nil {
				return err
			}
			return c.Use(passkey.Assertion{SignCount: 9, UserVerified: true, BackupEligible: true}, at)
		}); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		if err := h.Credentials.Update(ctx, first.ID(), func(c *passkey.Credential) error {
			_ = c.Rename("Lost")
			return boom
		}); !errors.Is(err, boom) {
			t.Fatalf("failing update: %v", err)
		}
		c, err := h.Credentials.Find(ctx, first.ID())
		if err != nil || c.Name() != "Laptop" || c.SignCount() != 9 || c.BackupState() || !c.LastUsedAt().Equal(at) {
			t.Fatalf("after updates %+v %v", c, err)
		}
	})
	t.Run("of two uses racing with one counter value exactly one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for n := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[n] = h.Credentials.Update(ctx, first.ID(), func(c *passkey.Credential) error {
					return c.Use(passkey.Assertion{SignCount: 10, BackupEligible: true}, t0.Add(2*time.Hour))
				})
			}()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("racing uses: %v, %v", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, passkey.ErrCloned) {
				t.Fatalf("the losing use: %v", err)
			}
		}
	})
	t.Run("deleting removes one passkey, or all of a user's", func(t *testing.T) {
		if err := h.Credentials.Delete(ctx, first.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Credentials.Find(ctx, first.ID()); !errors.Is(err, passkey.ErrNotFound) {
			t.Fatalf("after delete: %v", err)
		}
		if err := h.Credentials.DeleteOfUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		if list, err := h.Credentials.List(ctx, other); err != nil || len(list) != 0 {
			t.Fatalf("other's after DeleteOfUser: %v %v", list, err)
		}
		if list, err := h.Credentials.List(ctx, user); err != nil || len(list) != 1 {
			t.Fatalf("user's after other's deletion: %v %v", list, err)
		}
	})
}

func runCeremonies(t *testing.T, h Harness) {
	ctx := context.Background()
	user := h.NewUser(t)

	t.Run("a ceremony is taken once, whole", func(t *testing.T) {
		c := ceremony(t, passkey.PurposeRegistration, user, t0)
		if err := h.Ceremonies.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := h.Ceremonies.Take(ctx, c.Hash())
		if err != nil || got.ID() != c.ID() || got.Purpose() != passkey.PurposeRegistration || got.User() != user ||
			got.Client() != "10.0.0.1" || !bytes.Equal(got.State(), c.State()) || !got.ExpiresAt().Equal(c.ExpiresAt()) {
			t.Fatalf("taken %+v %v", got, err)
		}
		if _, err := h.Ceremonies.Take(ctx, c.Hash()); !errors.Is(err, passkey.ErrCeremonyInvalid) {
			t.Fatalf("second take: %v", err)
		}
		if _, err := h.Ceremonies.Take(ctx, passkey.TokenHash{9}); !errors.Is(err, passkey.ErrCeremonyInvalid) {
			t.Fatalf("unknown: %v", err)
		}
	})
	t.Run("of two takes racing for one ceremony exactly one gets it", func(t *testing.T) {
		c := ceremony(t, passkey.PurposeLogin, shared.UserID{}, t0)
		if err := h.Ceremonies.Add(ctx, c); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for n := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[n] = h.Ceremonies.Take(ctx, c.Hash()) }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("racing takes: %v, %v", errs[0], errs[1])
		}
	})
	t.Run("expired ceremonies and a user's go", func(t *testing.T) {
		old := ceremony(t, passkey.PurposeLogin, shared.UserID{}, t0)
		fresh := ceremony(t, passkey.PurposeLogin, shared.UserID{}, t0.Add(10*time.Minute))
		mine := ceremony(t, passkey.PurposeRegistration, user, t0.Add(10*time.Minute))
		for _, c := range []*passkey.Ceremony{old, fresh, mine} {
			if err := h.Ceremonies.Add(ctx, c); err != nil {
				t.Fatal(err)
			}
		}
		if err := h.Ceremonies.DeleteExpired(ctx, t0.Add(10*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := h.Ceremonies.DeleteOfUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Ceremonies.Take(ctx, old.Hash()); !errors.Is(err, passkey.ErrCeremonyInvalid) {
			t.Fatalf("expired: %v", err)
		}
		if _, err := h.Ceremonies.Take(ctx, mine.Hash()); !errors.Is(err, passkey.ErrCeremonyInvalid) {
			t.Fatalf("the user's: %v", err)
		}
		if _, err := h.Ceremonies.Take(ctx, fresh.Hash()); err != nil {
			t.Fatalf("fresh: %v", err)
		}
	})
}
