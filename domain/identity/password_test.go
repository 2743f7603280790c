package identity_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/secuird/authy/domain/identity"
)

func TestCheckNewPassword_BoundsLengthInCharactersWithoutCompositionRules(t *testing.T) {
	email, _ := identity.ParseEmail("bob@acme-corp.com")
	tests := []struct {
		name, password string
		reasons        []string
	}{
		{"empty", "", []string{"is required"}},
		{"seven characters", "abcdefg", []string{"must be at least 8 characters"}},
		{"eight lowercase letters", "abcdefgh", nil},
		{"seed password", "UserPass123!", nil},
		{"eight multibyte characters", "пароль12", nil},
		{"seven multibyte characters are too short though over 8 bytes", "ééééééé", []string{"must be at least 8 characters"}},
		{"128 characters", strings.Repeat("a", 128), nil},
		{"128 multibyte characters", strings.Repeat("é", 128), nil},
		{"129 characters", strings.Repeat("a", 129), []string{"must be at most 128 characters"}},
		{"spaces count", "a b c d ", nil},
		{"the account's email", "Bob@Acme-Corp.com", []string{"must not be your email address"}},
		{"invalid utf-8", "abcdefgh\xff", []string{"must be valid text"}},
		{"NUL", "abcdefgh\x00ijk", []string{"must not contain control characters"}},
		{"line break", "abcdefgh\r\nijk", []string{"must not contain control characters"}},
		{"C1 control", "abcdefgh\u0085ijk", []string{"must not contain control characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := identity.CheckNewPassword(tt.password, email)
			if fmt.Sprint(got) != fmt.Sprint(tt.reasons) {
				t.Fatalf("CheckNewPassword(%q) = %v, want %v", tt.password, got, tt.reasons)
			}
		})
	}
}

func TestPasswordHash_NeverPrintsItsValue(t *testing.T) {
	h := identity.PasswordHashFromEncoded("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$a2V5")
	if s := fmt.Sprint(h); strings.Contains(s, "argon2id") {
		t.Fatalf("hash leaked through fmt: %q", s)
	}
	if h.Encoded() == "" || h.IsZero() {
		t.Fatal("Encoded must return the stored form")
	}
}
