package shared_test

import (
	"strings"
	"testing"

	"github.com/secuird/authy/domain/shared"
)

func TestParseEmail_GivesEverySpellingOfAnAddressOneCanonicalForm(t *testing.T) {
	tests := []struct {
		name, in, want, domain string
	}{
		{"trimmed and lower-cased", "  Bob@Acme-Corp.COM \n", "bob@acme-corp.com", "acme-corp.com"},
		{"composed accent (NFC)", "jos\u00e9@acme.com", "jos\u00e9@acme.com", "acme.com"},
		{"decomposed accent (NFD) composes", "jose\u0301@acme.com", "jos\u00e9@acme.com", "acme.com"},
		{"upper-case accented letter", "JOS\u00c9@ACME.COM", "jos\u00e9@acme.com", "acme.com"},
		{"Unicode domain to its A-label", "bob@B\u00fccher.example", "bob@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"decomposed Unicode domain", "bob@bu\u0308cher.example", "bob@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"A-label stays", "bob@xn--bcher-kva.example", "bob@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"upper-case A-label", "bob@XN--BCHER-KVA.EXAMPLE", "bob@xn--bcher-kva.example", "xn--bcher-kva.example"},
		{"sharp s is not folded to ss", "bob@stra\u00dfe.de", "bob@xn--strae-oqa.de", "xn--strae-oqa.de"},
		{"full-width domain", "bob@\uff41\uff43\uff4d\uff45.com", "bob@acme.com", "acme.com"},
		{"ideographic full stop", "bob@acme\u3002com", "bob@acme.com", "acme.com"},
		{"Kelvin sign composes to k", "\u212a@acme.com", "k@acme.com", "acme.com"},
		{"Unicode local part", "\u00fcn\u00ef@acme.com", "\u00fcn\u00ef@acme.com", "acme.com"},
		{"atext specials", "o'brien+tag=x/y@acme.com", "o'brien+tag=x/y@acme.com", "acme.com"},
		{"single-letter labels", "a@b.c", "a@b.c", "b.c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, reason := shared.ParseEmail(tt.in)
			if reason != "" {
				t.Fatalf("ParseEmail(%q) refused: %s", tt.in, reason)
			}
			if e.String() != tt.want || e.Domain() != tt.domain {
				t.Fatalf("ParseEmail(%q) = %q (domain %q), want %q (domain %q)", tt.in, e.String(), e.Domain(), tt.want, tt.domain)
			}
			again, reason := shared.ParseEmail(e.String())
			if reason != "" || again != e {
				t.Fatalf("the canonical form %q does not re-parse to itself: %q %s", e.String(), again.String(), reason)
			}
		})
	}
}

func TestParseEmail_NFCAndNFDSpellingsAreEqual(t *testing.T) {
	nfc, _ := shared.ParseEmail("Ren\u00e9e@Caf\u00e9.example")
	nfd, _ := shared.ParseEmail("Rene\u0301e@Cafe\u0301.example")
	if nfc.IsZero() || !nfc.Equal(nfd) || nfc.String() != nfd.String() {
		t.Fatalf("NFC %q and NFD %q must be one address", nfc.String(), nfd.String())
	}
	other, _ := shared.ParseEmail("renee@cafe.example")
	if nfc.Equal(other) {
		t.Fatal("an address without the accents is another mailbox")
	}
}

func TestParseEmail_RefusesWhatCannotBeADeliverableAddress(t *testing.T) {
	const invalid, invisible = shared.ReasonEmailInvalid, shared.ReasonInvisibleText
	tests := []struct {
		name, in, reason string
	}{
		{"empty", "", shared.ReasonEmailRequired},
		{"blank", " \t ", shared.ReasonEmailRequired},
		{"no at sign", "bob.acme.com", invalid},
		{"two at signs", "bob@x@acme.com", invalid},
		{"empty local part", "@acme.com", invalid},
		{"empty domain", "bob@", invalid},
		{"domain without dot", "bob@localhost", invalid},
		{"empty label", "bob@acme..com", invalid},
		{"empty label through an ideographic full stop", "bob@acme\u3002\u3002com", invalid},
		{"trailing dot", "bob@acme.com.", invalid},
		{"leading dot in domain", "bob@.acme.com", invalid},
		{"label starting with hyphen", "bob@-acme.com", invalid},
		{"label ending with hyphen", "bob@acme-.com", invalid},
		{"reserved hyphens in positions 3 and 4", "bob@ab--cd.com", invalid},
		{"broken A-label", "bob@xn--zz.com", invalid},
		{"underscore in domain", "bob@ac_me.com", invalid},
		{"label over 63", "bob@" + strings.Repeat("a", 64) + ".com", invalid},
		{"dotted IP address", "bob@192.0.2.1", invalid},
		{"address literal", "bob@[192.0.2.1]", invalid},
		{"quoted local part", "\"bob smith\"@acme.com", invalid},
		{"inner space", "bob smith@acme.com", invalid},
		{"comma", "bob,eve@acme.com", invalid},
		{"angle brackets", "<bob@acme.com>", invalid},
		{"leading dot in local part", ".bob@acme.com", invalid},
		{"trailing dot in local part", "bob.@acme.com", invalid},
		{"double dot in local part", "bob..smith@acme.com", invalid},
		{"full-width at sign in local part", "bob\uff20acme.com@evil.example", invalid},
		{"Greek question mark composes to a semicolon", "bob\u037eeve@acme.com", invalid},
		{"emoji local part", "\U0001f600@acme.com", invalid},
		{"leading combining mark", "\u0301bob@acme.com", invalid},
		{"emoji domain", "bob@\U0001f600.com", invalid},
		{"NUL", "bob\x00@acme.com", invalid},
		{"line break", "bob\r\n@acme.com", invalid},
		{"C1 control", "bob\u0085@acme.com", invalid},
		{"invalid UTF-8", "bob\xff@acme.com", invalid},
		{"local part over 64", strings.Repeat("a", 65) + "@acme.com", invalid},
		{"too long", strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 3) + strings.Repeat("c", 8) + ".com", shared.ReasonEmailTooLong},
		// 230 bytes as typed, 266 once the domain is in its ASCII form.
		{"too long once the domain is ASCII", strings.Repeat("a", 64) + "@" + strings.Repeat("\u00e9a\u65e5\u00f1b\u672c\u00f8c\u8a9e\u00e5d\u00e9\u8a9e.", 6) + "com", shared.ReasonEmailTooLong},
		{"zero-width space", "bob\u200b@acme.com", invisible},
		{"zero-width joiner in domain", "bob@ac\u200dme.com", invisible},
		{"zero-width non-joiner", "bo\u200cb@acme.com", invisible},
		{"byte order mark", "\ufeffbob@acme.com", invisible},
		{"soft hyphen (IDNA would drop it)", "bob@ac\u00adme.com", invisible},
		{"word joiner", "bob\u2060@acme.com", invisible},
		{"Hangul filler", "bob\u3164@acme.com", invisible},
		{"variation selector", "bob\ufe0f@acme.com", invisible},
		{"tag character", "bob\U000e0041@acme.com", invisible},
		{"right-to-left override", "bob\u202e@acme.com", invisible},
		{"left-to-right embedding", "\u202abob@acme.com", invisible},
		{"first strong isolate", "bob\u2068@acme.com", invisible},
		{"right-to-left mark", "bob@acme.com\u200f", invisible},
		{"Arabic letter mark", "bob\u061c@acme.com", invisible},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, reason := shared.ParseEmail(tt.in)
			if reason != tt.reason {
				t.Fatalf("ParseEmail(%q) reason = %q (value %q), want %q", tt.in, reason, e.String(), tt.reason)
			}
			if !e.IsZero() {
				t.Fatal("a refused address must be the zero Email")
			}
		})
	}
}

func TestEmail_ZeroValueIsNoEmail(t *testing.T) {
	var e shared.Email
	if !e.IsZero() || e.String() != "" || e.Domain() != "" {
		t.Fatalf("zero Email = %q %q", e.String(), e.Domain())
	}
}

func TestHasInvisible_FindsFormatCharactersAndBidiControls(t *testing.T) {
	for _, r := range []rune{'\u200b', '\u200c', '\u200d', '\ufeff', '\u00ad', '\u2060', '\u180e', '\u034f', '\u115f', '\u3164', '\ufe0f', '\u2800',
		'\u202a', '\u202b', '\u202c', '\u202d', '\u202e', '\u2066', '\u2067', '\u2068', '\u2069', '\u200e', '\u200f', '\u061c', '\U000e0001'} {
		if !shared.HasInvisible("a" + string(r) + "b") {
			t.Errorf("U+%04X not found", r)
		}
	}
	for _, s := range []string{"Bob", "Renée", "Zoë O'Brien-Smith", "محمد", "日本語", "\U0001f600", "a b"} {
		if shared.HasInvisible(s) {
			t.Errorf("%q reported as invisible", s)
		}
	}
	for _, r := range []rune{'\u202a', '\u202e', '\u2066', '\u2069', '\u200e', '\u200f', '\u061c'} {
		if !shared.IsBidiControl(r) {
			t.Errorf("U+%04X is a bidi control", r)
		}
	}
}

func TestParseDomainName_KeepsTheEmailDomainFormAndRefusesWhatCannotBeProven(t *testing.T) {
	for in, want := range map[string]string{"Example.COM": "example.com", " bücher.example ": "xn--bcher-kva.example", "a.b.example.org": "a.b.example.org"} {
		if got, reason := shared.ParseDomainName(in); got != want || reason != "" {
			t.Errorf("%q: got %q (%s), want %q", in, got, reason, want)
		}
	}
	for _, bad := range []string{"", "*.example.com", "example.com.", "localhost", "127.0.0.1", "[::1]", "example.com:443",
		"exa mple.com", "-a.example", "a..example", "http://example.com", strings.Repeat("a", 64) + ".example", strings.Repeat("abc.", 70) + "com"} {
		if got, reason := shared.ParseDomainName(bad); reason == "" {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
}
