package shared

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
	"golang.org/x/text/unicode/norm"
)

// Email limits, in bytes of the canonical form.
const (
	// MaxEmailLength is RFC 5321's path limit.
	MaxEmailLength = 254
	// MaxEmailLocalLength is RFC 5321's local-part limit.
	MaxEmailLocalLength = 64
	// maxDomainLength is RFC 1035's name limit without the root's dot.
	maxDomainLength = 253
)

// Validation reasons of ParseEmail, meant for a field's details.
const (
	ReasonEmailRequired = "is required"
	ReasonEmailTooLong  = "must be at most 254 characters"
	ReasonEmailInvalid  = "must be a valid email address"
)

// emailDomains maps a domain to its ASCII form (IDNA2008 through UTS #46,
// non-transitional): it folds case and width, applies NFC, checks the
// bidirectional and joiner rules, the hyphen rules and RFC 1034's letters,
// digits and hyphen, and refuses empty and over-long labels.
var emailDomains = idna.New(
	idna.MapForLookup(),
	idna.BidiRule(),
	idna.VerifyDNSLength(true),
	idna.Transitional(false),
)

// Email is an address in its one canonical form, the form every context
// stores, compares and mails to: the local part in NFC and lower case, the
// domain in its ASCII (IDNA A-label) form. "Bob@Bücher.example" and its
// decomposed spelling "Bob@Bu\u0308cher.example" both become
// "bob@xn--bcher-kva.example", so they can never be two accounts. The zero
// value is "no email".
//
// The ASCII domain is the form DNS and SMTP use and the form that shows a
// look-alike Unicode domain for what it is; the local part stays Unicode
// (RFC 6531) because it has no ASCII encoding.
//
// Invariants: at most MaxEmailLength bytes; one "@"; a local part of 1 to
// MaxEmailLocalLength bytes that is a dot-atom (RFC 5322 atext and
// non-ASCII letters, marks and digits, dots neither first, last nor
// doubled; no quoted strings, comments or address literals); a domain of at
// least two LDH labels of 1 to 63 bytes, neither starting nor ending with a
// hyphen, with a top-level label that is not all digits; no white space,
// control, invisible or bidirectional control character anywhere.
type Email struct{ value string }

// ParseEmail trims s, refuses what cannot be a deliverable address and
// returns its canonical form. The reason (empty when s is acceptable) is
// meant for a validation error's field details. ParseEmail(e.String())
// returns e for every accepted e.
func ParseEmail(s string) (Email, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return Email{}, ReasonEmailRequired
	case len(s) > MaxEmailLength:
		return Email{}, ReasonEmailTooLong
	case !utf8.ValidString(s):
		return Email{}, ReasonEmailInvalid
	case HasInvisible(s):
		return Email{}, ReasonInvisibleText
	case strings.Count(s, "@") != 1:
		return Email{}, ReasonEmailInvalid
	}
	local, domain, _ := strings.Cut(s, "@")
	local = norm.NFC.String(strings.ToLower(norm.NFC.String(local)))
	if !validLocalPart(local) {
		return Email{}, ReasonEmailInvalid
	}
	domain, ok := asciiDomain(domain)
	if !ok {
		return Email{}, ReasonEmailInvalid
	}
	v := local + "@" + domain
	if len(v) > MaxEmailLength {
		return Email{}, ReasonEmailTooLong
	}
	return Email{value: v}, ""
}

// RehydrateEmail rebuilds an address an adapter stored under an earlier,
// looser rule that ParseEmail now refuses (a zero-width character, a quoted
// local part), so the account it belongs to stays readable. It keeps the
// stored value as it is: no look-up can produce it, since every look-up key
// comes from ParseEmail, so such an address can neither sign in nor be
// invited until its owner changes it. Adapters call it only for a stored
// value, and only after ParseEmail refused it or gave another key.
func RehydrateEmail(stored string) Email { return Email{value: stored} }

// String returns the canonical address.
func (e Email) String() string { return e.value }

// IsZero reports the zero Email.
func (e Email) IsZero() bool { return e.value == "" }

// Domain returns the domain in its ASCII form ("" for the zero Email).
func (e Email) Domain() string {
	_, d, _ := strings.Cut(e.value, "@")
	return d
}

// Equal reports whether two addresses are the same mailbox key.
func (e Email) Equal(o Email) bool { return e.value == o.value }

func validLocalPart(l string) bool {
	if l == "" || len(l) > MaxEmailLocalLength || l[0] == '.' || l[len(l)-1] == '.' || strings.Contains(l, "..") {
		return false
	}
	for i, r := range l {
		switch {
		case r < utf8.RuneSelf:
			if !isAtext(byte(r)) && r != '.' {
				return false
			}
		case i == 0 && unicode.Is(unicode.M, r):
			// A leading combining mark would draw itself onto whatever
			// text precedes the address.
			return false
		case !unicode.In(r, unicode.L, unicode.M, unicode.N):
			// Non-ASCII punctuation and symbols include look-alikes of
			// "@" and "." (U+FF20, U+FF0E) that make one address read as
			// another.
			return false
		}
	}
	return true
}

// isAtext reports RFC 5322's atext: letters, digits and
// !#$%&'*+-/=?^_`{|}~ (no specials, so the address can stand in a header
// without quoting).
func isAtext(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0
}

// asciiDomain returns d's canonical ASCII form, or false when d is not a
// domain a mail can be delivered to.
func asciiDomain(d string) (string, bool) {
	if d == "" || strings.HasPrefix(d, "[") {
		return "", false
	}
	a, err := emailDomains.ToASCII(d)
	if err != nil || a == "" || len(a) > maxDomainLength {
		return "", false
	}
	labels := strings.Split(a, ".")
	if len(labels) < 2 {
		return "", false
	}
	for _, l := range labels {
		if !ldhLabel(l) {
			return "", false
		}
	}
	// UTS #46 still maps symbols such as emoji that IDNA2008 disallows;
	// keep the letters, marks and digits a registry can delegate.
	u, err := emailDomains.ToUnicode(a)
	if err != nil || strings.IndexFunc(u, func(r rune) bool {
		return r >= utf8.RuneSelf && !unicode.In(r, unicode.L, unicode.M, unicode.N)
	}) >= 0 {
		return "", false
	}
	if strings.Trim(labels[len(labels)-1], "0123456789") == "" {
		return "", false // an all-digit top-level label is a dotted IP address, not a domain
	}
	return a, true
}

// ldhLabel reports a lower-case LDH label of 1 to 63 bytes that neither
// starts nor ends with a hyphen.
func ldhLabel(l string) bool {
	if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' {
			return false
		}
	}
	return true
}
