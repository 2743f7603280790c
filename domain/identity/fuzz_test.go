package identity_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
)

var fuzzTextSeeds = []string{
	"", " ", "bob@acme-corp.com", " Bob@Acme-Corp.com ", "a@b", "a@b.c", "@b.c", "a@.c", "a@b..c", "a@-b.c",
	"a b@c.d", "a\x00b@c.d", "a\r\n@c.d", "\xff@c.d", "ünï@cødé.com", "jose\u0301@bu\u0308cher.de", "bob\u200b@acme.com", "bob@xn--bcher-kva.de", "Bob", "  Bob  ", "B\u0007ob",
	strings.Repeat("a", 300), strings.Repeat("😀", 101), "\u202eevil", "abcdefgh\x00",
}

// FuzzParseEmail checks that ParseEmail never panics and that an accepted
// address re-validates to itself, with its invariants.
func FuzzParseEmail(f *testing.F) {
	for _, s := range fuzzTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, reason := identity.ParseEmail(s)
		if reason != "" {
			if !e.IsZero() {
				t.Fatalf("%q refused (%s) but not zero", s, reason)
			}
			return
		}
		v := e.String()
		if v == "" || len(v) > identity.MaxEmailLength || !utf8.ValidString(v) || strings.Count(v, "@") != 1 ||
			strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 || shared.HasInvisible(v) {
			t.Fatalf("%q accepted as %q, which breaks the invariants", s, v)
		}
		again, reason := identity.ParseEmail(v)
		if reason != "" || again != e || identity.NormalizeEmail(s) != v || identity.NormalizeEmail(v) != v {
			t.Fatalf("%q accepted as %q, which does not re-validate to itself: %q", s, v, reason)
		}
	})
}

// FuzzParseName checks ParseName the same way.
func FuzzParseName(f *testing.F) {
	for _, s := range fuzzTextSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, reason := identity.ParseName(s)
		if reason != "" {
			return
		}
		v := n.String()
		if v == "" || v != strings.TrimSpace(v) || !utf8.ValidString(v) || utf8.RuneCountInString(v) > identity.MaxNameRunes ||
			strings.IndexFunc(v, unicode.IsControl) >= 0 || shared.HasInvisible(v) {
			t.Fatalf("%q accepted as %q, which breaks the invariants", s, v)
		}
		if again, reason := identity.ParseName(v); reason != "" || again != n {
			t.Fatalf("%q accepted as %q, which does not re-validate: %q", s, v, reason)
		}
	})
}

// FuzzCheckNewPassword checks that an accepted password is valid text of 8
// to 128 characters without control characters.
func FuzzCheckNewPassword(f *testing.F) {
	for _, s := range fuzzTextSeeds {
		f.Add(s)
	}
	email, _ := identity.ParseEmail("bob@acme-corp.com")
	f.Fuzz(func(t *testing.T, s string) {
		if identity.CheckNewPassword(s, email) != nil {
			return
		}
		n := utf8.RuneCountInString(s)
		if !utf8.ValidString(s) || n < identity.MinPasswordRunes || n > identity.MaxPasswordRunes ||
			strings.IndexFunc(s, unicode.IsControl) >= 0 {
			t.Fatalf("accepted %q", s)
		}
	})
}
