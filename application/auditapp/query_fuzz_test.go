package auditapp

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// FuzzListQuery checks that any filters a client sends are refused as a
// validation error or become a store query the database can take: printable
// UTF-8 actor id, a bounded page, an ordered time range.
func FuzzListQuery(f *testing.F) {
	f.Add("auth.*", "a@b", "2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z", "", 20)
	f.Add("", "a\x00b", "yesterday", "", "garbage", -1)
	f.Add("auth.", "\xff", "0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999+23:59", audit.EncodeCursor(audit.Position{Pos: 1}), 1<<30)
	f.Fuzz(func(t *testing.T, action, actor, from, to, cursor string, limit int) {
		q, n, err := listQuery(auditport.ListRequest{Action: action, ActorID: actor, From: from, To: to, Cursor: cursor, Limit: limit})
		if err != nil {
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("%v is not a validation error", err)
			}
			return
		}
		if n < 1 || n > auditport.MaxPageSize || q.Limit != n+1 {
			t.Fatalf("limit %d gave page %d, query limit %d", limit, n, q.Limit)
		}
		if len(q.ActorID) > audit.MaxIDLength || !utf8.ValidString(q.ActorID) || strings.IndexFunc(q.ActorID, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0 {
			t.Fatalf("actor id %q reaches the store", q.ActorID)
		}
		if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
			t.Fatalf("from %v is not before to %v", q.From, q.To)
		}
		if q.After != nil && q.After.Pos < 1 {
			t.Fatalf("cursor %q gave %+v", cursor, q.After)
		}
	})
}
