package shared_test

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/secuird/authy/domain/shared"
)

// FuzzParseIDs checks that only canonical UUIDs are accepted, so every id
// has one spelling.
func FuzzParseIDs(f *testing.F) {
	for _, s := range []string{
		"", "not-a-uuid", "0c6f2e0e-8f0e-4c8e-9b1e-1f2e3d4c5b6a", "0C6F2E0E-8F0E-4C8E-9B1E-1F2E3D4C5B6A",
		"{0c6f2e0e-8f0e-4c8e-9b1e-1f2e3d4c5b6a}", "urn:uuid:0c6f2e0e-8f0e-4c8e-9b1e-1f2e3d4c5b6a", "0c6f2e0e8f0e4c8e9b1e1f2e3d4c5b6a",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if u, err := shared.ParseUserID(s); err == nil {
			if again, err := shared.ParseUserID(u.String()); err != nil || again != u || len(u.String()) != 36 {
				t.Fatalf("user id %q does not round-trip: %v", s, err)
			}
		} else if shared.KindOf(err) != shared.KindInvalid {
			t.Fatalf("%q: %v", s, err)
		}
		if o, err := shared.ParseOrganizationID(s); err == nil {
			if again, err := shared.ParseOrganizationID(o.String()); err != nil || again != o {
				t.Fatalf("organization id %q does not round-trip: %v", s, err)
			}
		}
	})
}

// FuzzParseEmail checks that ParseEmail never panics and that an accepted
// address is canonical: it re-parses to itself, is NFC, holds no white
// space, control, invisible or bidi control character, has a dot-atom local
// part within its limit and an ASCII LDH domain.
func FuzzParseEmail(f *testing.F) {
	for _, s := range []string{
		"", "bob@acme-corp.com", " Bob@Acme-Corp.com ", "a@b.c", "bob@acme..com", "jose\u0301@bu\u0308cher.de",
		"bob@xn--bcher-kva.de", "bob\u200b@acme.com", "bob\u202e@acme.com", "bob@\uff41\uff43\uff4d\uff45.com",
		"bob@acme\u3002com", "\u212a@x.com", "\u0130@x.com", "\"a b\"@x.com", "a..b@x.com", "bob@ab--cd.com", "\xff@x.com",
		"bob@\U0001f600.com", "\u00fcn\u00ef@c\u00f8d\u00e9.com", "o'brien+tag@acme.com",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, reason := shared.ParseEmail(s)
		if reason != "" {
			if !e.IsZero() {
				t.Fatalf("%q refused (%s) but not zero", s, reason)
			}
			return
		}
		v := e.String()
		local, domain, ok := strings.Cut(v, "@")
		if !ok || strings.Contains(domain, "@") || len(v) > shared.MaxEmailLength || len(local) > shared.MaxEmailLocalLength ||
			!utf8.ValidString(v) || !norm.NFC.IsNormalString(v) || shared.HasInvisible(v) ||
			strings.IndexFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0 ||
			strings.ContainsAny(local, "\"(),:;<>[\\]") || strings.Contains(local, "..") || e.Domain() != domain {
			t.Fatalf("%q accepted as %q, which breaks the invariants", s, v)
		}
		for i := 0; i < len(domain); i++ {
			if c := domain[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '-' && c != '.' {
				t.Fatalf("%q accepted with a domain %q that is not lower-case ASCII LDH", s, domain)
			}
		}
		if again, reason := shared.ParseEmail(v); reason != "" || again != e {
			t.Fatalf("%q accepted as %q, which does not re-parse to itself: %q %q", s, v, again.String(), reason)
		}
	})
}
