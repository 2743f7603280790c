package identity

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/shared"
)

// MaxNameRunes is the longest display name accepted.
const MaxNameRunes = 100

// Name is a user's display name.
//
// Invariants: trimmed, 1 to MaxNameRunes characters, valid UTF-8, no
// control characters or line separators (they could forge lines in logs and
// mails), no invisible or bidirectional control characters (they make a
// name display as another one, or reorder the text around it).
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
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return Name{}, "must not contain control characters"
		}
	}
	if shared.HasInvisible(s) {
		return Name{}, shared.ReasonInvisibleText
	}
	return Name{value: s}, ""
}

// RehydrateName rebuilds a name the user store saved under an earlier rule
// that ParseName now refuses (an emoji sequence with a zero-width joiner, a
// bidi mark), so the account stays readable; the next change of the name is
// checked as usual. Adapters call it only after ParseName refused a stored
// value.
func RehydrateName(stored string) Name { return Name{value: stored} }

// String returns the name.
func (n Name) String() string { return n.value }

// IsZero reports the zero Name.
func (n Name) IsZero() bool { return n.value == "" }
