package identity_test

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
)

func tokenHash(t *testing.T, b byte) identity.TokenHash {
	t.Helper()
	h, err := identity.NewTokenHash(bytes.Repeat([]byte{b}, identity.TokenHashSize))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newToken(t *testing.T, purpose identity.TokenPurpose) *identity.Token {
	t.Helper()
	tk, err := identity.NewToken(uuid.New(), userID, purpose, tokenHash(t, 1), mustEmail(t, "bob@acme-corp.com"), uuid.Nil, t0)
	if err != nil {
		t.Fatal(err)
	}
	return tk
}

func TestNewToken_ExpiresAfterThePurposesLifetime(t *testing.T) {
	tests := []struct {
		purpose identity.TokenPurpose
		ttl     time.Duration
	}{
		{identity.PurposeVerifyEmail, 24 * time.Hour},
		{identity.PurposeChangeEmail, 24 * time.Hour},
		{identity.PurposeResetPassword, 30 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.purpose.String(), func(t *testing.T) {
			tk := newToken(t, tt.purpose)
			if !tk.ExpiresAt().Equal(t0.Add(tt.ttl)) || tk.Used() || tk.Purpose() != tt.purpose {
				t.Fatalf("expires %v used %v", tk.ExpiresAt(), tk.Used())
			}
			p, err := identity.ParseTokenPurpose(tt.purpose.String())
			if err != nil || p != tt.purpose {
				t.Fatalf("ParseTokenPurpose(%q) = %v, %v", tt.purpose, p, err)
			}
		})
	}
	if _, err := identity.ParseTokenPurpose("admin"); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("an unknown purpose must be refused, got %v", err)
	}
}

func TestNewToken_RefusesMissingParts(t *testing.T) {
	_, err := identity.NewToken(uuid.Nil, shared.UserID{}, identity.TokenPurpose{}, identity.TokenHash{}, identity.Email{}, uuid.Nil, time.Time{})
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindInvalid {
		t.Fatalf("want a validation error, got %v", err)
	}
	for _, f := range []string{"id", "user", "purpose", "hash", "email", "created_at"} {
		if len(se.Fields()[f]) == 0 {
			t.Errorf("no reason for %s", f)
		}
	}
	if _, err := identity.NewTokenHash([]byte("short")); err == nil {
		t.Fatal("a hash of the wrong size must be refused")
	}
}

func TestUse_WorksOnceBeforeTheDeadline(t *testing.T) {
	tk := newToken(t, identity.PurposeVerifyEmail)
	at := t0.Add(24*time.Hour - time.Nanosecond)
	if err := tk.Use(identity.PurposeVerifyEmail, at); err != nil {
		t.Fatalf("the last instant before the deadline must work: %v", err)
	}
	if !tk.Used() || !tk.UsedAt().Equal(at) {
		t.Fatal("the token must be marked used")
	}
	if err := tk.Use(identity.PurposeVerifyEmail, at); !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("a second use: want ErrTokenUsed, got %v", err)
	}
	if !tk.UsedAt().Equal(at) {
		t.Fatal("a refused use must not move used_at")
	}
}

func TestCheck_TellsWhatUseWouldAnswerWithoutSpendingTheToken(t *testing.T) {
	tk := newToken(t, identity.PurposeResetPassword)
	if err := tk.Check(identity.PurposeResetPassword, t0); err != nil || tk.Used() {
		t.Fatalf("Check = %v, used %v", err, tk.Used())
	}
	if err := tk.Check(identity.PurposeVerifyEmail, t0); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("another purpose: %v", err)
	}
	if err := tk.Check(identity.PurposeResetPassword, t0.Add(time.Hour)); !errors.Is(err, identity.ErrTokenExpired) {
		t.Fatalf("past the deadline: %v", err)
	}
	if err := tk.Use(identity.PurposeResetPassword, t0); err != nil {
		t.Fatal(err)
	}
	if err := tk.Check(identity.PurposeResetPassword, t0); !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("after use: %v", err)
	}
}

func TestUse_AtOrPastTheDeadlineIsExpired(t *testing.T) {
	for _, at := range []time.Time{t0.Add(30 * time.Minute), t0.Add(31 * time.Minute)} {
		tk := newToken(t, identity.PurposeResetPassword)
		if err := tk.Use(identity.PurposeResetPassword, at); !errors.Is(err, identity.ErrTokenExpired) {
			t.Fatalf("at %v: want ErrTokenExpired, got %v", at, err)
		}
		if tk.Used() {
			t.Fatal("an expired token must stay unused")
		}
	}
}

func TestUse_ForAnotherPurposeIsInvalid(t *testing.T) {
	tk := newToken(t, identity.PurposeVerifyEmail)
	if err := tk.Use(identity.PurposeResetPassword, t0); !errors.Is(err, identity.ErrTokenInvalid) {
		t.Fatalf("a verification token must not reset a password: %v", err)
	}
	if tk.Used() {
		t.Fatal("a refused use must leave the token unused")
	}
}

func TestUse_AUsedAndExpiredTokenAnswersUsed(t *testing.T) {
	tk := newToken(t, identity.PurposeChangeEmail)
	if err := tk.Use(identity.PurposeChangeEmail, t0); err != nil {
		t.Fatal(err)
	}
	if err := tk.Use(identity.PurposeChangeEmail, t0.Add(48*time.Hour)); !errors.Is(err, identity.ErrTokenUsed) {
		t.Fatalf("want ErrTokenUsed, got %v", err)
	}
}

func TestTokenErrors_AreBadRequestsWithStableCodes(t *testing.T) {
	for code, err := range map[string]error{
		"identity.token_invalid": identity.ErrTokenInvalid,
		"identity.token_expired": identity.ErrTokenExpired,
		"identity.token_used":    identity.ErrTokenUsed,
	} {
		var se *shared.Error
		if !errors.As(err, &se) || se.Code() != code || se.Kind() != shared.KindBadRequest {
			t.Fatalf("%s: %v", code, err)
		}
	}
}

func TestRehydrateToken_RestoresTheState(t *testing.T) {
	st := identity.TokenState{
		ID: uuid.New(), User: userID, Purpose: identity.PurposeChangeEmail, Hash: tokenHash(t, 7),
		Email: mustEmail(t, "new@acme-corp.com"), Session: uuid.New(), CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), UsedAt: t0.Add(time.Minute),
	}
	tk := identity.RehydrateToken(st)
	if tk.State() != st || !tk.Used() {
		t.Fatalf("State() = %+v, want %+v", tk.State(), st)
	}
	if tk.Hash().String() != "[token hash]" {
		t.Fatal("a token hash must not print its bytes")
	}
}
