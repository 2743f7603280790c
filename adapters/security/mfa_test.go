package security_test

import (
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/adapters/security"
)

func TestTOTPCodes_MatchReturnsTheStepWithinOneStepOfDrift(t *testing.T) {
	secret, uri, err := security.TOTPCodes{}.Generate("Authy", "bob@acme-corp.com")
	if err != nil || len(secret) != 32 || uri == "" {
		t.Fatalf("generate: %q %q %v", secret, uri, err)
	}
	at := time.Unix(1_800_000_015, 0).UTC() // 15 s into step 60000000
	code := func(d time.Duration) string {
		c, err := totp.GenerateCodeCustom(secret, at.Add(d), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for _, tt := range []struct {
		name string
		code string
		step int64
		ok   bool
	}{
		{"current", code(0), 60000000, true},
		{"one behind", code(-30 * time.Second), 59999999, true},
		{"one ahead", code(30 * time.Second), 60000001, true},
		{"two behind", code(-60 * time.Second), 0, false},
		{"two ahead", code(60 * time.Second), 0, false},
		{"letters", "12a456", 0, false},
		{"too short", "12345", 0, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			step, ok := security.TOTPCodes{}.Match(secret, tt.code, at)
			if ok != tt.ok || (ok && step != tt.step) {
				t.Fatalf("Match = %d %v, want %d %v", step, ok, tt.step, tt.ok)
			}
		})
	}
}

func TestRecoveryCodes_MatchAnyCaseWithOrWithoutTheDashUnderARetiredKey(t *testing.T) {
	old, err := security.NewSigner("an-old-secret-key-of-enough-length-000")
	if err != nil {
		t.Fatal(err)
	}
	code, d, err := security.RecoveryCodes{Signer: old}.New()
	if err != nil || len(code) != 11 || code[5] != '-' {
		t.Fatalf("new: %q %v", code, err)
	}
	rotated, err := security.NewSigner("a-new-secret-key-of-enough-length-1111", "an-old-secret-key-of-enough-length-000")
	if err != nil {
		t.Fatal(err)
	}
	r := security.RecoveryCodes{Signer: rotated}
	for _, typed := range []string{code, code[:5] + code[6:], " " + code + " "} {
		if !r.Match(typed, d) {
			t.Fatalf("%q does not match", typed)
		}
	}
	other, _, _ := r.New()
	if r.Match(other, d) {
		t.Fatal("another code matches")
	}
}
