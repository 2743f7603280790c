package audit

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"
)

// Position is a record's place in list order: newest first means
// descending (OccurredAt, Pos); the insert position breaks ties, so the
// order is total and pages never skip or repeat a record, sealed or not.
type Position struct {
	OccurredAt time.Time
	Pos        int64
}

// Before reports whether p comes before q in ascending order.
func (p Position) Before(q Position) bool {
	if !p.OccurredAt.Equal(q.OccurredAt) {
		return p.OccurredAt.Before(q.OccurredAt)
	}
	return p.Pos < q.Pos
}

// cursorVersion a1 carried the chain sequence as the tie-breaker until
// records were sealed after their commit; every record sealed before that
// has an insert position equal to its sequence (migration 00017), so a
// cursor issued then continues where it was.
const cursorVersion = "a1"

// EncodeCursor makes the opaque cursor that continues a listing after p.
func EncodeCursor(p Position) string {
	raw := cursorVersion + ":" + strconv.FormatInt(p.OccurredAt.UnixMicro(), 10) + ":" + strconv.FormatInt(p.Pos, 10)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor reads a cursor made by EncodeCursor; anything else is
// ErrInvalidCursor.
func DecodeCursor(s string) (Position, error) {
	if s == "" || len(s) > 128 {
		return Position{}, ErrInvalidCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Position{}, ErrInvalidCursor
	}
	parts := strings.Split(string(raw), ":")
	if len(parts) != 3 || parts[0] != cursorVersion {
		return Position{}, ErrInvalidCursor
	}
	micros, err1 := strconv.ParseInt(parts[1], 10, 64)
	pos, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || pos < 1 || micros < 0 {
		return Position{}, ErrInvalidCursor
	}
	return Position{OccurredAt: time.UnixMicro(micros).UTC(), Pos: pos}, nil
}
