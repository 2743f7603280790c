package organizations_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

func TestNormalizeEmail_IsTheCanonicalFormRegistrationUses(t *testing.T) {
	tests := []struct{ in, want string }{
		{" Bob@Acme-Corp.COM ", "bob@acme-corp.com"},
		{"jose\u0301@bu\u0308cher.example", "jos\u00e9@xn--bcher-kva.example"},
		{"bob@XN--BCHER-KVA.example", "bob@xn--bcher-kva.example"},
	}
	for _, tt := range tests {
		got, err := organizations.NormalizeEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("NormalizeEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeEmail_RefusesWhatRegistrationRefuses(t *testing.T) {
	for _, in := range []string{
		"bob@acme..com", "bob@-acme.com", "bob smith@acme.com", "\"bob\"@acme.com", "bob..b@acme.com",
		"bob\u200b@acme.com", "bob\u202e@acme.com", "bob@ac_me.com", "bob@192.0.2.1", "",
	} {
		_, err := organizations.NormalizeEmail(in)
		var e *shared.Error
		if !errors.As(err, &e) || e.Kind() != shared.KindInvalid || len(e.Fields()["email"]) != 1 {
			t.Errorf("NormalizeEmail(%q) = %v, want a validation error on email", in, err)
		}
	}
}

func TestNewOrganization_RefusesInvisibleAndBidiControlCharactersInTheName(t *testing.T) {
	slug, err := organizations.ParseSlug("acme")
	if err != nil {
		t.Fatal(err)
	}
	id := shared.OrganizationID(uuid.MustParse("00000000-0000-4000-8000-0000000000aa"))
	creator := shared.UserID(uuid.MustParse("00000000-0000-4000-8000-0000000000bb"))
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, name := range []string{"Acme \u202eproC", "\u2067Acme", "Ac\u200bme", "Acme\u200f", "\ufeffAcme", "Acme\u2028Corp"} {
		_, err := organizations.NewOrganization(id, name, slug, creator, now)
		var e *shared.Error
		if !errors.As(err, &e) || len(e.Fields()["name"]) != 1 {
			t.Errorf("NewOrganization(%q) = %v, want a validation error on name", name, err)
		}
	}
	if _, err := organizations.NewOrganization(id, "\u0634\u0631\u0643\u0629 Acme", slug, creator, now); err != nil {
		t.Fatalf("a right-to-left name without controls must pass: %v", err)
	}
}
