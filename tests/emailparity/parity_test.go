// Package emailparity checks that every context that takes an email address
// from a client applies the one rule of shared.ParseEmail: registration
// (identity), invitations (organizations) and the contact form (contact)
// accept exactly the same addresses and spell each one the same way, so an
// invitation can always be redeemed by the account that registers its
// address, and no spelling of an address is ever a second account.
package emailparity_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

// tricky holds addresses that once split the contexts or that a client
// could use to make one address pass for another.
var tricky = []string{
	// plain and case
	"bob@acme-corp.com", " Bob@Acme-Corp.COM ", "BOB@ACME-CORP.COM", "a@b.c", "o'brien+tag=x/y@acme.com",
	// Unicode: NFC, NFD, case, IDNA
	"jos\u00e9@acme.com", "jose\u0301@acme.com", "JOS\u00c9@ACME.COM", "bob@b\u00fccher.example", "bob@bu\u0308cher.example",
	"bob@xn--bcher-kva.example", "bob@XN--BCHER-KVA.EXAMPLE", "bob@stra\u00dfe.de", "bob@\uff41\uff43\uff4d\uff45.com",
	"bob@acme\u3002com", "\u212a@acme.com", "\u0130@acme.com", "\u00fcn\u00ef@c\u00f8d\u00e9.com",
	// what organizations used to accept and registration refused
	"bob@acme..com", "bob@-acme.com", "bob@acme-.com", "bob@acme.com.", "bob@.acme.com", "a..b@acme.com",
	".bob@acme.com", "bob.@acme.com", "bob@ac_me.com", "bob@ab--cd.com", "bob@xn--zz.com", "bob@192.0.2.1",
	"\"bob smith\"@acme.com", "bob,eve@acme.com", "bob;eve@acme.com", "bob(c)@acme.com", "<bob@acme.com>",
	"Bob <bob@acme.com>", "bob@[192.0.2.1]", "bob@localhost", "bob@\U0001f600.com", "\U0001f600@acme.com",
	"bob\uff20acme.com@evil.example", "bob\u037eeve@acme.com",
	// invisible and bidi control characters
	"bob\u200b@acme.com", "bob@ac\u200dme.com", "\ufeffbob@acme.com", "bob@ac\u00adme.com", "bob\u202e@acme.com",
	"\u2066bob@acme.com", "bob@acme.com\u200f", "bob\u061c@acme.com", "bob\u3164@acme.com", "bob\ufe0f@acme.com",
	// controls, spaces, encoding, lengths
	"", "   ", "bob", "@acme.com", "bob@", "bob@x@acme.com", "bob smith@acme.com", "bob\x00@acme.com",
	"bob\r\nBcc: eve@acme.com", "bob\u0085@acme.com", "bob\xff@acme.com", "bob\u2028@acme.com",
	strings.Repeat("a", 64) + "@acme.com", strings.Repeat("a", 65) + "@acme.com",
	strings.Repeat("a", 64) + "@" + strings.Repeat(strings.Repeat("b", 60)+".", 3) + "com",
	strings.Repeat("a", 64) + "@" + strings.Repeat("\u00e9a\u65e5\u00f1b\u672c\u00f8c\u8a9e\u00e5d\u00e9\u8a9e.", 6) + "com",
}

type verdict struct {
	accepted  bool
	canonical string
}

func viaRegistration(s string) verdict {
	e, reason := identity.ParseEmail(s)
	return verdict{reason == "", e.String()}
}

func viaInvitation(s string) verdict {
	e, err := organizations.NormalizeEmail(s)
	return verdict{err == nil, e}
}

func viaContactForm(t *testing.T, s string) verdict {
	t.Helper()
	e, err := contact.NewEnquiry(contact.EnquiryID(uuid.MustParse("00000000-0000-4000-8000-000000000001")), contact.EnquiryDetails{
		Type: "general", Name: "Ada", Email: s, Message: "Hello",
	}, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		var se *shared.Error
		if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || len(se.Fields()) != 1 || len(se.Fields()["email"]) == 0 {
			t.Fatalf("contact refused %q for something else than its email: %v", s, err)
		}
		return verdict{}
	}
	return verdict{true, e.Email()}
}

func checkAgree(t *testing.T, s string) verdict {
	t.Helper()
	reg, inv, form := viaRegistration(s), viaInvitation(s), viaContactForm(t, s)
	if reg != inv || reg != form {
		t.Fatalf("%q: registration %+v, invitation %+v, contact form %+v", s, reg, inv, form)
	}
	if reg.accepted {
		// What was accepted is accepted again, as itself, everywhere.
		if again := viaRegistration(reg.canonical); again != reg || viaInvitation(reg.canonical) != reg {
			t.Fatalf("%q: the canonical form %q does not re-validate to itself", s, reg.canonical)
		}
	}
	return reg
}

func TestEmailRules_RegistrationInvitationsAndContactAgreeOnEveryTrickyAddress(t *testing.T) {
	accepted, refused := 0, 0
	for _, s := range tricky {
		if checkAgree(t, s).accepted {
			accepted++
		} else {
			refused++
		}
	}
	if accepted < 10 || refused < 30 {
		t.Fatalf("the corpus proves little: %d accepted, %d refused", accepted, refused)
	}
}

func TestEmailRules_EverySpellingOfOneAddressIsOneInvitee(t *testing.T) {
	groups := [][]string{
		{"bob@acme-corp.com", " Bob@Acme-Corp.COM ", "BOB@ACME-CORP.COM"},
		{"jos\u00e9@b\u00fccher.example", "jose\u0301@bu\u0308cher.example", "JOS\u00c9@XN--BCHER-KVA.EXAMPLE", "Jos\u00e9@B\u00dcCHER.example"},
		{"bob@acme.com", "bob@\uff41\uff43\uff4d\uff45.com", "bob@acme\u3002com"},
	}
	for _, g := range groups {
		want := checkAgree(t, g[0])
		if !want.accepted {
			t.Fatalf("%q refused", g[0])
		}
		for _, s := range g[1:] {
			if got := checkAgree(t, s); got != want {
				t.Errorf("%q is %+v, want the same invitee as %q (%+v)", s, got, g[0], want)
			}
		}
	}
}

func TestEmailRules_TheAddressOrganizationsUsedToAcceptIsRefusedEverywhere(t *testing.T) {
	for _, s := range []string{"bob@acme..com", "bob@-acme.com", "\"bob smith\"@acme.com", "bob@acme.com\u200b"} {
		if checkAgree(t, s).accepted {
			t.Errorf("%q accepted", s)
		}
	}
}

// FuzzEmailRulesAgree checks the same agreement on any input: registration,
// invitations and the contact form accept the same addresses, in the same
// canonical spelling.
func FuzzEmailRulesAgree(f *testing.F) {
	for _, s := range tricky {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkAgree(t, s) })
}
