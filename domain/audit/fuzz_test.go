package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/domain/audit"
)

// FuzzDecodeCursor checks that any cursor string is refused or decodes to a
// position that encodes back to a cursor decoding to the same position.
func FuzzDecodeCursor(f *testing.F) {
	f.Add(audit.EncodeCursor(audit.Position{OccurredAt: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC), Pos: 7}))
	for _, s := range []string{"", "garbage", "YTE6MToy", "YTE6LTE6MQ", "YTE6OTIyMzM3MjAzNjg1NDc3NTgwNzo5MjIzMzcyMDM2ODU0Nzc1ODA3", strings.Repeat("A", 200), "%%%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := audit.DecodeCursor(s)
		if err != nil {
			return
		}
		if p.Pos < 1 || p.OccurredAt.Before(time.Unix(0, 0)) {
			t.Fatalf("%q decoded to %+v", s, p)
		}
		back, err := audit.DecodeCursor(audit.EncodeCursor(p))
		if err != nil || !back.OccurredAt.Equal(p.OccurredAt) || back.Pos != p.Pos {
			t.Fatalf("%q decoded to %+v, which does not round-trip: %+v %v", s, p, back, err)
		}
	})
}

// FuzzParseActionFilter checks that an accepted filter is a dotted name or
// prefix of lower-case segments, and that actions parse the same way.
func FuzzParseActionFilter(f *testing.F) {
	for _, s := range []string{"", "auth.login.failed", "auth.", "auth.*", "auth", ".", "..", "auth%", "AUTH.x", "a.b_c.d9", strings.Repeat("a.", 60), "auth.\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, err := audit.ParseAction(s); err == nil {
			if !dotted(a.String()) || !strings.Contains(a.String(), ".") {
				t.Fatalf("action %q accepted", s)
			}
			if again, err := audit.ParseAction(a.String()); err != nil || again != a {
				t.Fatalf("action %q does not re-validate: %v", s, err)
			}
		}
		flt, err := audit.ParseActionFilter(s)
		if err != nil || flt.IsZero() {
			return
		}
		v := flt.Value()
		if flt.IsPrefix() {
			if !strings.HasSuffix(v, ".") || !dotted(strings.TrimSuffix(v, ".")) || !flt.Matches(v+"x") {
				t.Fatalf("prefix filter %q accepted as %q", s, v)
			}
		} else if !dotted(v) || !flt.Matches(v) {
			t.Fatalf("filter %q accepted as %q", s, v)
		}
		if strings.ContainsAny(v, "%\\*") {
			t.Fatalf("filter %q holds LIKE metacharacters: %q", s, v)
		}
		again, err := audit.ParseActionFilter(v)
		if err != nil || again != flt {
			t.Fatalf("filter %q accepted as %q, which does not re-validate: %v", s, v, err)
		}
	})
}

func dotted(s string) bool {
	if s == "" || len(s) > audit.MaxActionLength {
		return false
	}
	for _, seg := range strings.Split(s, ".") {
		if seg == "" || strings.Trim(seg, "abcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return false
		}
	}
	return true
}

// FuzzNewActorAndTarget checks that accepted ids are printable text within
// the bound: they are query parameters and stored columns.
func FuzzNewActorAndTarget(f *testing.F) {
	for _, s := range []string{"", "u", "a\x00b", "\xff", "a\r\nb", strings.Repeat("x", 129), "ünïcødé"} {
		f.Add("user", s)
		f.Add("session", s)
	}
	f.Fuzz(func(t *testing.T, typ, id string) {
		if a, err := audit.NewActor(typ, id); err == nil {
			check(t, "actor", a.ID())
		}
		if tg, err := audit.NewTarget(typ, id); err == nil {
			check(t, "target", tg.ID())
		}
	})
}

func check(t *testing.T, what, id string) {
	t.Helper()
	if len(id) > audit.MaxIDLength || strings.ToValidUTF8(id, "") != id || strings.IndexFunc(id, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
		t.Fatalf("%s id %q accepted", what, id)
	}
}
