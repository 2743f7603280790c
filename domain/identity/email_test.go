package identity_test

import (
	"strings"
	"testing"

	"github.com/secuird/authy/domain/identity"
)

func TestParseEmail_KeysAnAccountByTheCanonicalForm(t *testing.T) {
	a, reason := identity.ParseEmail("  Bob@Acme-Corp.com \n")
	if reason != "" {
		t.Fatalf("unexpected reason %q", reason)
	}
	if a.String() != "bob@acme-corp.com" {
		t.Fatalf("String() = %q, want the canonical form", a.String())
	}
	b, _ := identity.ParseEmail("bob@ACME-corp.COM")
	if !a.Equal(b) {
		t.Fatal("addresses differing only in case must be equal")
	}
	c, _ := identity.ParseEmail("alice@acme-corp.com")
	if a.Equal(c) {
		t.Fatal("different addresses must differ")
	}
	nfc, _ := identity.ParseEmail("Jos\u00e9@B\u00fccher.example")
	nfd, _ := identity.ParseEmail("jose\u0301@bu\u0308cher.example")
	if nfc.IsZero() || nfc != nfd || nfc.String() != "jos\u00e9@xn--bcher-kva.example" {
		t.Fatalf("NFC %q and NFD %q must be one account key", nfc.String(), nfd.String())
	}
}

func TestNormalizeEmail_IsTheCanonicalFormOrATrimmedLowerCaseKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Bob@Acme-Corp.com ", "bob@acme-corp.com"},
		{"jose\u0301@bu\u0308cher.example", "jos\u00e9@xn--bcher-kva.example"},
		{" NOT AN ADDRESS ", "not an address"},
		{"   ", ""},
	}
	for _, tt := range tests {
		if got := identity.NormalizeEmail(tt.in); got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseEmail_RefusesWhatCannotBeAnAddress(t *testing.T) {
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", "is required"},
		{"only spaces", "   ", "is required"},
		{"no at sign", "bob.acme.com", "must be a valid email address"},
		{"two at signs", "bob@x@acme.com", "must be a valid email address"},
		{"empty local part", "@acme.com", "must be a valid email address"},
		{"empty domain", "bob@", "must be a valid email address"},
		{"domain without dot", "bob@localhost", "must be a valid email address"},
		{"empty label", "bob@acme..com", "must be a valid email address"},
		{"label starting with hyphen", "bob@-acme.com", "must be a valid email address"},
		{"inner space", "bob smith@acme.com", "must be a valid email address"},
		{"control character", "bob\x00@acme.com", "must be a valid email address"},
		{"zero-width space", "bob\u200b@acme.com", "must not contain invisible or bidirectional control characters"},
		{"right-to-left override", "moc.emca@\u202ebob", "must not contain invisible or bidirectional control characters"},
		{"quoted local part", "\"bob\"@acme.com", "must be a valid email address"},
		{"local part over 64", strings.Repeat("a", 65) + "@acme.com", "must be a valid email address"},
		{"too long", strings.Repeat("a", 60) + "@" + strings.Repeat("b", 200) + ".com", "must be at most 254 characters"},
		{"invalid utf-8", "bob\xff@acme.com", "must be a valid email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, reason := identity.ParseEmail(tt.in)
			if reason != tt.reason {
				t.Fatalf("reason = %q, want %q", reason, tt.reason)
			}
			if !e.IsZero() {
				t.Fatal("a refused address must be the zero Email")
			}
		})
	}
}

func TestParseName_TrimsAndBoundsLength(t *testing.T) {
	tests := []struct {
		name, in, want, reason string
	}{
		{"plain", "Bob", "Bob", ""},
		{"trimmed", "  Bob Builder  ", "Bob Builder", ""},
		{"non latin counts runes", strings.Repeat("é", 100), strings.Repeat("é", 100), ""},
		{"empty", " ", "", "is required"},
		{"too long", strings.Repeat("x", 101), "", "must be at most 100 characters"},
		{"control character", "Bob\nAdmin", "", "must not contain control characters"},
		{"line separator", "Bob\u2028Admin", "", "must not contain control characters"},
		{"right-to-left override", "Bob \u202eredlohtnuocca", "", "must not contain invisible or bidirectional control characters"},
		{"right-to-left isolate", "\u2067Bob", "", "must not contain invisible or bidirectional control characters"},
		{"left-to-right mark", "Bob\u200e", "", "must not contain invisible or bidirectional control characters"},
		{"zero-width space", "B\u200bob", "", "must not contain invisible or bidirectional control characters"},
		{"zero-width joiner", "Bob\u200d", "", "must not contain invisible or bidirectional control characters"},
		{"byte order mark", "\ufeffBob", "", "must not contain invisible or bidirectional control characters"},
		{"only a Hangul filler", "\u3164", "", "must not contain invisible or bidirectional control characters"},
		{"right-to-left script", "\u0645\u062d\u0645\u062f", "\u0645\u062d\u0645\u062f", ""},
		{"emoji", "Bob \U0001f600", "Bob \U0001f600", ""},
		{"invalid utf-8", "Bob\xff", "", "must be valid text"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, reason := identity.ParseName(tt.in)
			if reason != tt.reason || n.String() != tt.want {
				t.Fatalf("ParseName(%q) = %q, %q; want %q, %q", tt.in, n.String(), reason, tt.want, tt.reason)
			}
		})
	}
}
