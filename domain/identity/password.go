package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length bounds, counted in characters (runes), not bytes, so a
// passphrase in any script gets the same allowance.
const (
	MinPasswordRunes = 8
	MaxPasswordRunes = 128
)

// PasswordHash is an encoded password hash. The domain never looks inside:
// hashing and verifying belong to the identityport.PasswordHasher port.
type PasswordHash struct{ encoded string }

// PasswordHashFromEncoded wraps an encoded hash produced by a hasher or read
// from storage.
func PasswordHashFromEncoded(s string) PasswordHash { return PasswordHash{encoded: s} }

// Encoded returns the stored form, for hashers and repositories only.
func (h PasswordHash) Encoded() string { return h.encoded }

// IsZero reports a missing hash (a deleted account keeps none).
func (h PasswordHash) IsZero() bool { return h.encoded == "" }

// Equal reports whether two hashes are the same stored value.
func (h PasswordHash) Equal(o PasswordHash) bool { return h.encoded == o.encoded }

// String hides the hash so that it never lands in a log by accident.
func (h PasswordHash) String() string { return "[password hash]" }

// CheckNewPassword applies the domain's rules to a password a user is
// choosing: 8 to 128 characters, valid UTF-8 without control characters
// (nobody can type them, and a NUL cuts the password short in C clients and
// in the bcrypt hashes imported from Authy2), not the account's own email.
// There are no composition rules. It returns the reasons the password is
// refused (nil when acceptable); the common-password list is checked by the
// identityport.PasswordPolicy port on top of these.
func CheckNewPassword(plain string, email Email) []string {
	if !utf8.ValidString(plain) {
		return []string{"must be valid text"}
	}
	if strings.IndexFunc(plain, unicode.IsControl) >= 0 {
		return []string{"must not contain control characters"}
	}
	n := utf8.RuneCountInString(plain)
	switch {
	case n == 0:
		return []string{"is required"}
	case n < MinPasswordRunes:
		return []string{"must be at least 8 characters"}
	case n > MaxPasswordRunes:
		return []string{"must be at most 128 characters"}
	}
	if !email.IsZero() && NormalizeEmail(plain) == email.String() {
		return []string{"must not be your email address"}
	}
	return nil
}
