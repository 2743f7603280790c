package identity_test

import (
	"strings"
	"testing"

	"github.com/secuird/authy/domain/identity"
)

func TestParseEmail_TrimsAndComparesIgnoringCase(t *testing.T) {
	a, reason := identity.ParseEmail("  Bob@Acme-Corp.com \n")
	if reason != "" {
		t.Fatalf("unexpected reason %q", reason)
	}
	if a.String() != "Bob@Acme-Corp.com" {
		t.Fatalf("String() = %q, want the trimmed input", a.String())
	}
	if a.Normalized() != "bob@acme-corp.com" {
		t.Fatalf("Normalized() = %q", a.Normalized())
	}
	b, _ := identity.ParseEmail("bob@ACME-corp.COM")
	if !a.Equal(b) {
		t.Fatal("addresses differing only in case must be equal")
	}
	c, _ := identity.ParseEmail("alice@acme-corp.com")
	if a.Equal(c) {
		t.Fatal("different addresses must differ")
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
