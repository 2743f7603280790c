package shared_test

import (
	"testing"

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
