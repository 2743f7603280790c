package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxEmailLength is the longest address accepted (RFC 5321's path limit).
const MaxEmailLength = 254

// Email is a syntactically plausible address, trimmed, with its
// case-insensitive comparison key. The zero value is "no email".
//
// Invariants: one "@" with a non-empty local part of at most 64 bytes and a
// domain of dot-separated labels; no spaces or control characters; at most
// MaxEmailLength bytes.
type Email struct {
	value      string
	normalized string
}

// ParseEmail trims s and checks it; the returned reason (empty when s is
// acceptable) is meant for a validation error's field details.
func ParseEmail(s string) (Email, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Email{}, "is required"
	case len(s) > MaxEmailLength:
		return Email{}, "must be at most 254 characters"
	case !utf8.ValidString(s):
		return Email{}, "must be a valid email address"
	}
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return Email{}, "must be a valid email address"
		}
	}
	at := strings.LastIndexByte(s, '@')
	if at <= 0 || at == len(s)-1 || at > 64 || strings.Count(s, "@") != 1 {
		return Email{}, "must be a valid email address"
	}
	domain := s[at+1:]
	labels := strings.Split(domain, ".")
	if len(labels) < 2 {
		return Email{}, "must be a valid email address"
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || strings.HasPrefix(l, "-") || strings.HasSuffix(l, "-") {
			return Email{}, "must be a valid email address"
		}
	}
	return Email{value: s, normalized: NormalizeEmail(s)}, ""
}

// NormalizeEmail returns the comparison key of an address: trimmed and
// lower-cased. Two accounts can never share a key.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// String returns the address as the user typed it, trimmed.
func (e Email) String() string { return e.value }

// Normalized returns the case-insensitive comparison key.
func (e Email) Normalized() string { return e.normalized }

// IsZero reports the zero Email.
func (e Email) IsZero() bool { return e.value == "" }

// Equal reports whether two addresses are the same account key.
func (e Email) Equal(o Email) bool { return e.normalized == o.normalized }
