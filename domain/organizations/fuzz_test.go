package organizations_test

import (
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
)

var fuzzSeeds = []string{
	"", "a", "ab", "Acme-Corp", " acme ", "acme--corp", "-acme", "acme-", "ACME 2024", "Ünïcødé Straße",
	"a\x00b", "a\r\nb", "\xff\xfe", strings.Repeat("a", 64), strings.Repeat("é", 101), "owner", "OWNER", " admin ",
	"member", "superuser", "😀😀", "Robert'); DROP TABLE organizations; --",
}

// FuzzParseSlug checks that an accepted slug follows the grammar and
// re-validates to itself.
func FuzzParseSlug(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slug, err := organizations.ParseSlug(s)
		if err != nil {
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("%q: %v is not a validation error", s, err)
			}
			return
		}
		checkSlug(t, s, slug)
	})
}

// FuzzDeriveSlug checks that any organization name yields a valid slug, and
// that suffixing it keeps it valid.
func FuzzDeriveSlug(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		slug := organizations.DeriveSlug(name)
		checkSlug(t, name, slug)
		suffixed, err := slug.WithSuffix("a1b2")
		if err != nil {
			t.Fatalf("%q: suffix: %v", name, err)
		}
		checkSlug(t, name, suffixed)
	})
}

func checkSlug(t *testing.T, in string, slug organizations.Slug) {
	t.Helper()
	v := slug.String()
	if len(v) < organizations.MinSlugLength || len(v) > organizations.MaxSlugLength ||
		strings.HasPrefix(v, "-") || strings.HasSuffix(v, "-") || strings.Contains(v, "--") ||
		strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789-") != "" {
		t.Fatalf("%q gave slug %q, which breaks the grammar", in, v)
	}
	if again, err := organizations.ParseSlug(v); err != nil || again != slug {
		t.Fatalf("%q gave slug %q, which does not re-validate: %v", in, v, err)
	}
}

// FuzzParseRole checks that only the three roles are accepted.
func FuzzParseRole(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := organizations.ParseRole(s)
		if err != nil {
			return
		}
		switch r {
		case organizations.RoleOwner, organizations.RoleAdmin, organizations.RoleMember:
		default:
			t.Fatalf("%q accepted as %q", s, r.String())
		}
		if again, err := organizations.ParseRole(r.String()); err != nil || again != r {
			t.Fatalf("%q accepted as %q, which does not re-validate: %v", s, r.String(), err)
		}
	})
}

// FuzzOrganizationName checks that a name the aggregate accepts, on
// creation or rename, is printable, trimmed text within the bound.
func FuzzOrganizationName(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	owner := shared.UserID(uuid.MustParse("00000000-0000-4000-8000-000000000001"))
	id := shared.OrganizationID(uuid.MustParse("00000000-0000-4000-8000-000000000002"))
	f.Fuzz(func(t *testing.T, name string) {
		check := func(got string) {
			if got == "" || got != strings.TrimSpace(got) || !utf8.ValidString(got) ||
				utf8.RuneCountInString(got) > organizations.MaxNameLength || strings.IndexFunc(got, unicode.IsControl) >= 0 {
				t.Fatalf("%q accepted as name %q", name, got)
			}
		}
		if o, err := organizations.NewOrganization(id, name, organizations.DeriveSlug(name), owner, now); err == nil {
			check(o.Name())
		}
		o, err := organizations.NewOrganization(id, "Acme", organizations.DeriveSlug("Acme"), owner, now)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := o.Update(owner, organizations.Changes{Name: &name}, now); err == nil {
			check(o.Name())
		} else if o.Name() != "Acme" {
			t.Fatalf("a refused rename of %q changed the name to %q", name, o.Name())
		}
	})
}
