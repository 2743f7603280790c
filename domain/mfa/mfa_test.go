package mfa_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/mfa"
	"github.com/secuird/authy/domain/shared"
)

var now = time.Date(2026, 12, 2, 12, 0, 1, 0, time.UTC)

func newFactor(t *testing.T) *mfa.Factor {
	t.Helper()
	s, err := mfa.NewSealedSecret("v1:k:sealed")
	if err != nil {
		t.Fatal(err)
	}
	f, err := mfa.NewTOTPFactor(uuid.New(), shared.UserID(uuid.New()), s, now)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestFactor_AcceptsEachStepOnceAndNeverAnOlderOne(t *testing.T) {
	f := newFactor(t)
	if err := f.Use(100, now); !errors.Is(err, mfa.ErrNotConfirmed) {
		t.Fatalf("use before confirmation: %v", err)
	}
	if err := f.Confirm(100, now); err != nil {
		t.Fatal(err)
	}
	if err := f.Confirm(101, now); !errors.Is(err, mfa.ErrNotPending) {
		t.Fatalf("second confirmation: %v", err)
	}
	for _, tt := range []struct {
		step int64
		want error
	}{{100, mfa.ErrInvalidCode}, {99, mfa.ErrInvalidCode}, {102, nil}, {101, mfa.ErrInvalidCode}, {102, mfa.ErrInvalidCode}, {103, nil}} {
		if err := f.Use(tt.step, now); !errors.Is(err, tt.want) && !(err == nil && tt.want == nil) {
			t.Fatalf("step %d: %v, want %v", tt.step, err, tt.want)
		}
	}
	if f.LastStep() != 103 {
		t.Fatalf("last step %d", f.LastStep())
	}
}

func TestRecoveryCodes_EachCodeIsUsedOnce(t *testing.T) {
	ds := make([]mfa.CodeDigest, mfa.RecoveryCodeCount)
	for i := range ds {
		d, err := mfa.NewCodeDigest("d" + string(rune('a'+i)))
		if err != nil {
			t.Fatal(err)
		}
		ds[i] = d
	}
	if _, err := mfa.NewRecoveryCodes(shared.UserID(uuid.New()), ds[:9], now); err == nil {
		t.Fatal("a set of 9 codes was accepted")
	}
	rc, err := mfa.NewRecoveryCodes(shared.UserID(uuid.New()), ds, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.Use(3, now); err != nil {
		t.Fatal(err)
	}
	if err := rc.Use(3, now); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("second use: %v", err)
	}
	if err := rc.Use(10, now); !errors.Is(err, mfa.ErrInvalidCode) {
		t.Fatalf("unknown position: %v", err)
	}
	if _, ok := rc.Unused()[3]; ok || rc.Remaining() != 9 {
		t.Fatalf("remaining %d", rc.Remaining())
	}
}

func TestChallenge_OpensOnceForItsClientBeforeItExpiresAndFewerThanFiveFailures(t *testing.T) {
	h, err := mfa.NewChallengeHash(make([]byte, 32))
	if err != nil {
		t.Fatal(err)
	}
	mk := func() *mfa.Challenge {
		c, err := mfa.NewChallenge(uuid.New(), shared.UserID(uuid.New()), h, "password", []string{"pwd"}, "198.51.100.1", now)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := mk()
	if err := c.Open("198.51.100.2", now); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("another client: %v", err)
	}
	if err := c.Open("198.51.100.1", now.Add(mfa.ChallengeTTL)); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("expired: %v", err)
	}
	if err := c.Complete("198.51.100.1", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := c.Complete("198.51.100.1", now.Add(time.Minute)); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("second completion: %v", err)
	}
	c = mk()
	for range mfa.MaxChallengeFailures - 1 {
		c.Fail(now)
	}
	if err := c.Open("198.51.100.1", now); err != nil {
		t.Fatalf("after %d failures: %v", mfa.MaxChallengeFailures-1, err)
	}
	c.Fail(now)
	if err := c.Open("198.51.100.1", now); !errors.Is(err, mfa.ErrChallengeInvalid) {
		t.Fatalf("after %d failures: %v", mfa.MaxChallengeFailures, err)
	}
}
