package organizationsapp

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// FuzzDecodeCursor checks that any client cursor is refused as a validation
// error or decodes to a position of a known kind that encodes and decodes
// back to itself.
func FuzzDecodeCursor(f *testing.F) {
	at := time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)
	for _, c := range []cursor{{kind: "m", at: at, id: uuid.MustParse("00000000-0000-4000-8000-000000000001")}, {kind: "i"}, {kind: "n", at: at, id: uuid.New()}, {kind: "o", at: at, id: uuid.New()}} {
		f.Add(c.encode())
	}
	for _, s := range []string{"", "garbage", "bXx8", "eHx5fHo", strings.Repeat("A", 300), "bXw5OTk5LTEyLTMxVDIzOjU5OjU5Wnx4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := decodeCursor(s, "m", "i", "n", "o")
		if err != nil {
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("%q: %v is not a validation error", s, err)
			}
			return
		}
		if s == "" {
			return
		}
		if c.kind != "m" && c.kind != "i" && c.kind != "n" && c.kind != "o" {
			t.Fatalf("%q decoded to kind %q", s, c.kind)
		}
		back, err := decodeCursor(c.encode(), c.kind)
		if err != nil || back.kind != c.kind || back.id != c.id || !back.at.Equal(c.at) {
			t.Fatalf("%q decoded to %+v, which does not round-trip: %+v %v", s, c, back, err)
		}
	})
}
