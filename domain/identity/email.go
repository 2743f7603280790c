package identity

import (
	"strings"

	"github.com/secuird/authy/domain/shared"
)

// MaxEmailLength is the longest address accepted (RFC 5321's path limit).
const MaxEmailLength = shared.MaxEmailLength

// Email is an account's address: the one value object every context shares
// (shared.Email), in its canonical form. Accounts are keyed by that form,
// so two spellings of one address (letter case, composed or decomposed
// accents, a Unicode or an ASCII domain) can never be two accounts.
type Email = shared.Email

// ParseEmail is shared.ParseEmail: it trims s, checks it and returns its
// canonical form; the reason (empty when s is acceptable) is meant for a
// validation error's field details.
func ParseEmail(s string) (Email, string) { return shared.ParseEmail(s) }

// RehydrateEmail is shared.RehydrateEmail, for the user store loading an
// address that ParseEmail no longer accepts as its key.
func RehydrateEmail(stored string) Email { return shared.RehydrateEmail(stored) }

// NormalizeEmail returns the account key of s: its canonical form when s is
// an acceptable address, else s trimmed and lower-cased (no account has
// such a key, but rate limits still need one). It is empty only for blank
// input.
func NormalizeEmail(s string) string {
	if e, reason := shared.ParseEmail(s); reason == "" {
		return e.String()
	}
	return strings.ToLower(strings.TrimSpace(s))
}
