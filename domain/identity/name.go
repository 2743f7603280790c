package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes is the longest display name accepted.
const MaxNameRunes = 100

// Name is a user's display name.
//
// Invariants: trimmed, 1 to MaxNameRunes characters, valid UTF-8, no
// control characters (they could forge lines in logs and mails).
type Name struct{ value string }

// ParseName trims s and checks it; the returned reason is empty when s is
// acceptable.
func ParseName(s string) (Name, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Name{}, "is required"
	case !utf8.ValidString(s):
		return Name{}, "must be valid text"
	case utf8.RuneCountInString(s) > MaxNameRunes:
		return Name{}, "must be at most 100 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return Name{}, "must not contain control characters"
		}
	}
	return Name{value: s}, ""
}

// String returns the name.
func (n Name) String() string { return n.value }

// IsZero reports the zero Name.
func (n Name) IsZero() bool { return n.value == "" }
