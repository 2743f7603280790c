// Package mfaporttest holds the executable contracts of the multi-factor
// stores (mfaport's FactorRepository, RecoveryCodeRepository,
// ChallengeRepository and StepUpRepository), run by each adapter's tests
// on SQLite and, in the integration run, on PostgreSQL.
package mfaporttest

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
)

// Harness is one backend's stores, with a way to create the users they
// refer to and to run several calls in one transaction.
type Harness struct {
	Factors       mfaport.FactorRepository
	RecoveryCodes mfaport.RecoveryCodeRepository
	Challenges    mfaport.ChallengeRepository
	StepUps       mfaport.StepUpRepository
	NewUser       func(t *testing.T) shared.UserID
}

var t0 = time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)

var errBoom = errors.New("the closure failed")

// Run runs every contract on fresh stores from newHarness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("factors", func(t *testing.T) { runFactors(t, newHarness(t)) })
	t.Run("recovery codes", func(t *testing.T) { runRecoveryCodes(t, newHarness(t)) })
	t.Run("challenges", func(t *testing.T) { runChallenges(t, newHarness(t)) })
	t.Run("step-ups", func(t *testing.T) { runStepUps(t, newHarness(t)) })
}

func sealed(t *testing.T, s string) mfa.SealedSecret {
	t.Helper()
	v, err := mfa.NewSealedSecret(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func factor(t *testing.T, user shared.UserID, at time.Time, confirm bool) *mfa.Factor {
	t.Helper()
	f, err := mfa.NewTOTPFactor(uuid.New(), user, sealed(t, "sealed-"+uuid.NewString()), at)
	if err != nil {
		t.Fatal(err)
	}
	if confirm {
		if err := f.Confirm(100, at); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func runFactors(t *testing.T, h Harness) {
	ctx := context.Background()
	user, other := h.NewUser(t), h.NewUser(t)
	first := factor(t, user, t0, true)
	pending := factor(t, user, t0.Add(time.Minute), false)
	theirs := factor(t, other, t0, true)
	for _, f := range []*mfa.Factor{first, pending, theirs} {
		if err := h.Factors.Add(ctx, f); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a stored factor reads back whole; an unknown one is not found", func(t *testing.T) {
		got, err := h.Factors.Find(ctx, first.ID())
		if err != nil {
			t.Fatal(err)
		}
		if got.User() != user || got.Kind() != mfa.KindTOTP || got.Secret() != first.Secret() || !got.Confirmed() ||
			got.LastStep() != 100 || !got.CreatedAt().Equal(t0) || !got.ConfirmedAt().Equal(t0) {
			t.Fatalf("read back %+v", got)
		}
		if _, err := h.Factors.Find(ctx, uuid.New()); !errors.Is(err, mfa.ErrFactorNotFound) {
			t.Fatalf("unknown factor: %v", err)
		}
		if err := h.Factors.Update(ctx, uuid.New(), func(*mfa.Factor) error { return nil }); !errors.Is(err, mfa.ErrFactorNotFound) {
			t.Fatalf("update of an unknown factor: %v", err)
		}
		if err := h.Factors.Delete(ctx, uuid.New()); !errors.Is(err, mfa.ErrFactorNotFound) {
			t.Fatalf("delete of an unknown factor: %v", err)
		}
	})

	t.Run("a user's factors list oldest first, and only theirs", func(t *testing.T) {
		list, err := h.Factors.List(ctx, user)
		if err != nil || len(list) != 2 || list[0].ID() != first.ID() || list[1].ID() != pending.ID() {
			t.Fatalf("list %v %v", list, err)
		}
		if none, err := h.Factors.List(ctx, shared.UserID(uuid.New())); err != nil || len(none) != 0 {
			t.Fatalf("list of a stranger: %v %v", none, err)
		}
	})

	t.Run("an update is kept, and rolled back when the closure fails", func(t *testing.T) {
		if err := h.Factors.Update(ctx, first.ID(), func(f *mfa.Factor) error { return f.Use(101, t0.Add(time.Hour)) }); err != nil {
			t.Fatal(err)
		}
		if err := h.Factors.Update(ctx, first.ID(), func(f *mfa.Factor) error {
			if err := f.Use(105, t0.Add(2*time.Hour)); err != nil {
				return err
			}
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("failing closure: %v", err)
		}
		got, err := h.Factors.Find(ctx, first.ID())
		if err != nil || got.LastStep() != 101 || !got.LastUsedAt().Equal(t0.Add(time.Hour)) {
			t.Fatalf("after the rollback %+v %v", got, err)
		}
	})

	t.Run("of two uses of one time step racing, exactly one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Factors.Update(ctx, first.ID(), func(f *mfa.Factor) error { return f.Use(200, t0.Add(3*time.Hour)) })
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, mfa.ErrInvalidCode):
				t.Fatalf("a losing use: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d uses of one step won", won)
		}
	})

	t.Run("a secret is replaced only while it is still the one read", func(t *testing.T) {
		to := sealed(t, "resealed")
		if ok, err := h.Factors.ReplaceSecret(ctx, theirs.ID(), sealed(t, "not-the-stored-one"), to); err != nil || ok {
			t.Fatalf("replace from another secret: %v %v", ok, err)
		}
		if ok, err := h.Factors.ReplaceSecret(ctx, theirs.ID(), theirs.Secret(), to); err != nil || !ok {
			t.Fatalf("replace: %v %v", ok, err)
		}
		if got, err := h.Factors.Find(ctx, theirs.ID()); err != nil || got.Secret() != to {
			t.Fatalf("after the replacement %v %v", got, err)
		}
		if ok, err := h.Factors.ReplaceSecret(ctx, uuid.New(), to, to); err != nil || ok {
			t.Fatalf("replace of an unknown factor: %v %v", ok, err)
		}
	})

	t.Run("pages walk every user's factors in id order", func(t *testing.T) {
		seen := map[uuid.UUID]bool{}
		after := uuid.Nil
		for range 10 {
			page, err := h.Factors.Page(ctx, after, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(page) == 0 {
				break
			}
			if len(page) != 1 || page[0].ID().String() <= after.String() {
				t.Fatalf("page after %s: %v", after, page)
			}
			seen[page[0].ID()] = true
			after = page[0].ID()
		}
		for _, f := range []*mfa.Factor{first, pending, theirs} {
			if !seen[f.ID()] {
				t.Fatalf("factor %s never paged", f.ID())
			}
		}
	})

	t.Run("deleting pending factors keeps confirmed ones; deleting a user's removes theirs only", func(t *testing.T) {
		if err := h.Factors.DeletePending(ctx, user); err != nil {
			t.Fatal(err)
		}
		if list, err := h.Factors.List(ctx, user); err != nil || len(list) != 1 || list[0].ID() != first.ID() {
			t.Fatalf("after DeletePending %v %v", list, err)
		}
		if err := h.Factors.DeleteOfUser(ctx, user); err != nil {
			t.Fatal(err)
		}
		if list, err := h.Factors.List(ctx, user); err != nil || len(list) != 0 {
			t.Fatalf("after DeleteOfUser %v %v", list, err)
		}
		if err := h.Factors.Delete(ctx, theirs.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Factors.Find(ctx, theirs.ID()); !errors.Is(err, mfa.ErrFactorNotFound) {
			t.Fatalf("a deleted factor: %v", err)
		}
	})
}

func codes(t *testing.T, user shared.UserID, tag string, at time.Time) *mfa.RecoveryCodes {
	t.Helper()
	ds := make([]mfa.CodeDigest, mfa.RecoveryCodeCount)
	for i := range ds {
		d, err := mfa.NewCodeDigest(tag + "-" + strconv.Itoa(i))
		if err != nil {
			t.Fatal(err)
		}
		ds[i] = d
	}
	rc, err := mfa.NewRecoveryCodes(user, ds, at)
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func runRecoveryCodes(t *testing.T, h Harness) {
	ctx := context.Background()
	user := h.NewUser(t)

	t.Run("a user without a set reads nil", func(t *testing.T) {
		if rc, err := h.RecoveryCodes.Get(ctx, user); err != nil || rc != nil {
			t.Fatalf("no set: %v %v", rc, err)
		}
		if err := h.RecoveryCodes.Update(ctx, user, func(rc *mfa.RecoveryCodes) error {
			if rc != nil {
				return errors.New("a set where there is none")
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if err := h.RecoveryCodes.Delete(ctx, user); err != nil {
			t.Fatalf("delete of no set: %v", err)
		}
	})

	t.Run("a saved set reads back and a new one replaces it whole", func(t *testing.T) {
		if err := h.RecoveryCodes.Save(ctx, codes(t, user, "old", t0)); err != nil {
			t.Fatal(err)
		}
		if err := h.RecoveryCodes.Save(ctx, codes(t, user, "new", t0.Add(time.Hour))); err != nil {
			t.Fatal(err)
		}
		rc, err := h.RecoveryCodes.Get(ctx, user)
		if err != nil || rc == nil || rc.Remaining() != mfa.RecoveryCodeCount || !rc.GeneratedAt().Equal(t0.Add(time.Hour)) {
			t.Fatalf("read back %+v %v", rc, err)
		}
		for _, d := range rc.Unused() {
			if d.String()[:4] != "new-" {
				t.Fatalf("an old code survived: %s", d)
			}
		}
	})

	t.Run("a use is kept, and rolled back when the closure fails", func(t *testing.T) {
		if err := h.RecoveryCodes.Update(ctx, user, func(rc *mfa.RecoveryCodes) error { return rc.Use(0, t0.Add(2*time.Hour)) }); err != nil {
			t.Fatal(err)
		}
		if err := h.RecoveryCodes.Update(ctx, user, func(rc *mfa.RecoveryCodes) error {
			if err := rc.Use(1, t0.Add(3*time.Hour)); err != nil {
				return err
			}
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("failing closure: %v", err)
		}
		rc, err := h.RecoveryCodes.Get(ctx, user)
		if err != nil || rc.Remaining() != mfa.RecoveryCodeCount-1 {
			t.Fatalf("after the rollback %+v %v", rc, err)
		}
	})

	t.Run("of one code used twice at once, exactly one use wins", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.RecoveryCodes.Update(ctx, user, func(rc *mfa.RecoveryCodes) error { return rc.Use(5, t0.Add(4*time.Hour)) })
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			if err == nil {
				won++
			}
		}
		if rc, err := h.RecoveryCodes.Get(ctx, user); won != 1 || err != nil || rc.Remaining() != mfa.RecoveryCodeCount-2 {
			t.Fatalf("%d uses won: %v %v", won, errs, err)
		}
	})

	t.Run("a deleted set reads nil", func(t *testing.T) {
		if err := h.RecoveryCodes.Delete(ctx, user); err != nil {
			t.Fatal(err)
		}
		if rc, err := h.RecoveryCodes.Get(ctx, user); err != nil || rc != nil {
			t.Fatalf("after delete: %v %v", rc, err)
		}
	})
}

func challenge(t *testing.T, user shared.UserID, at time.Time) *mfa.Challenge {
	t.Helper()
	id := uuid.New()
	h, err := mfa.NewChallengeHash(append(id[:], id[:]...))
	if err != nil {
		t.Fatal(err)
	}
	c, err := mfa.NewChallenge(uuid.New(), user, h, "password", []string{"pwd"}, "10.0.0.1", at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runChallenges(t *testing.T, h Harness) {
	ctx := context.Background()
	user, other := h.NewUser(t), h.NewUser(t)
	c := challenge(t, user, t0)
	if err := h.Challenges.Add(ctx, c); err != nil {
		t.Fatal(err)
	}

	t.Run("a stored challenge reads back by its digest; an unknown digest is invalid", func(t *testing.T) {
		got, err := h.Challenges.FindByHash(ctx, c.Hash())
		if err != nil || got.ID() != c.ID() || got.User() != user || got.Method() != "password" || len(got.AMR()) != 1 ||
			got.Client() != "10.0.0.1" || !got.ExpiresAt().Equal(c.ExpiresAt()) || got.Failures() != 0 || !got.UsedAt().IsZero() {
			t.Fatalf("read back %+v %v", got, err)
		}
		if _, err := h.Challenges.FindByHash(ctx, challenge(t, user, t0).Hash()); !errors.Is(err, mfa.ErrChallengeInvalid) {
			t.Fatalf("unknown digest: %v", err)
		}
		if err := h.Challenges.Add(ctx, mfa.RehydrateChallenge(mfa.ChallengeState{
			ID: uuid.New(), User: other, Hash: c.Hash(), Method: "password", AMR: []string{"pwd"}, Client: "10.0.0.2", CreatedAt: t0, ExpiresAt: t0.Add(mfa.ChallengeTTL),
		})); err == nil {
			t.Fatal("a second challenge with the same digest was stored")
		}
	})

	t.Run("a failure is kept, and a change rolled back when the closure fails", func(t *testing.T) {
		if err := h.Challenges.Update(ctx, c.ID(), func(x *mfa.Challenge) error { x.Fail(t0); return nil }); err != nil {
			t.Fatal(err)
		}
		if err := h.Challenges.Update(ctx, c.ID(), func(x *mfa.Challenge) error {
			if err := x.Complete("10.0.0.1", t0.Add(time.Minute)); err != nil {
				return err
			}
			return errBoom
		}); !errors.Is(err, errBoom) {
			t.Fatalf("failing closure: %v", err)
		}
		got, err := h.Challenges.FindByHash(ctx, c.Hash())
		if err != nil || got.Failures() != 1 || !got.UsedAt().IsZero() {
			t.Fatalf("after the rollback %+v %v", got, err)
		}
	})

	t.Run("of completions racing, exactly one wins", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Challenges.Update(ctx, c.ID(), func(x *mfa.Challenge) error { return x.Complete("10.0.0.1", t0.Add(time.Minute)) })
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, mfa.ErrChallengeInvalid):
				t.Fatalf("a losing completion: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d completions won", won)
		}
	})

	t.Run("expired challenges are purged in batches, a user's on their deletion", func(t *testing.T) {
		for range 3 {
			if err := h.Challenges.Add(ctx, challenge(t, other, t0)); err != nil {
				t.Fatal(err)
			}
		}
		live := challenge(t, other, t0.Add(time.Hour))
		if err := h.Challenges.Add(ctx, live); err != nil {
			t.Fatal(err)
		}
		before := t0.Add(mfa.ChallengeTTL + time.Second)
		if n, err := h.Challenges.DeleteExpired(ctx, before, 2); err != nil || n != 2 {
			t.Fatalf("first batch: %d %v", n, err)
		}
		if n, err := h.Challenges.DeleteExpired(ctx, before, 10); err != nil || n != 2 {
			t.Fatalf("second batch: %d %v", n, err)
		}
		if _, err := h.Challenges.FindByHash(ctx, live.Hash()); err != nil {
			t.Fatalf("a live challenge was purged: %v", err)
		}
		if err := h.Challenges.DeleteOfUser(ctx, other); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Challenges.FindByHash(ctx, live.Hash()); !errors.Is(err, mfa.ErrChallengeInvalid) {
			t.Fatalf("a deleted user's challenge: %v", err)
		}
	})
}

func runStepUps(t *testing.T, h Harness) {
	ctx := context.Background()
	user := h.NewUser(t)
	session := uuid.New()
	if last, err := h.StepUps.Last(ctx, session); err != nil || !last.IsZero() {
		t.Fatalf("a session without a check: %v %v", last, err)
	}
	for _, at := range []time.Time{t0, t0.Add(time.Minute), t0.Add(30 * time.Second)} {
		if err := h.StepUps.Record(ctx, session, user, at); err != nil {
			t.Fatal(err)
		}
	}
	if last, err := h.StepUps.Last(ctx, session); err != nil || !last.Equal(t0.Add(time.Minute)) {
		t.Fatalf("last check %v %v, want the latest", last, err)
	}
	if last, err := h.StepUps.Last(ctx, uuid.New()); err != nil || !last.IsZero() {
		t.Fatalf("another session: %v %v", last, err)
	}
}
