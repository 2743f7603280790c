package organizationsapp

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// Cursors are opaque to clients: base64url of "<kind>|<time>|<id>". Kind
// "m" is a member position, "i" a position in an organization's
// invitations, "n" one in the caller's own invitations, "o" one in the
// caller's organizations. Each list accepts only its own kind.

var errInvalidCursor = shared.Invalid("organizations.invalid_cursor", "the request has invalid fields",
	map[string][]string{"cursor": {"is not a cursor issued by this list"}})

type cursor struct {
	kind string
	at   time.Time
	id   uuid.UUID
}

func (c cursor) encode() string {
	raw := c.kind + "||"
	if c.id != uuid.Nil {
		raw = c.kind + "|" + c.at.UTC().Format(time.RFC3339Nano) + "|" + c.id.String()
	}
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// decodeCursor reads a cursor of one of kinds; "" is the zero cursor.
func decodeCursor(s string, kinds ...string) (cursor, error) {
	if s == "" {
		return cursor{}, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 128 {
		return cursor{}, errInvalidCursor
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 {
		return cursor{}, errInvalidCursor
	}
	c := cursor{kind: parts[0]}
	known := false
	for _, k := range kinds {
		known = known || k == c.kind
	}
	if !known {
		return cursor{}, errInvalidCursor
	}
	if parts[1] == "" && parts[2] == "" {
		return c, nil
	}
	if c.at, err = time.Parse(time.RFC3339Nano, parts[1]); err != nil {
		return cursor{}, errInvalidCursor
	}
	if c.id, err = uuid.Parse(parts[2]); err != nil || len(parts[2]) != 36 {
		return cursor{}, errInvalidCursor
	}
	c.at = c.at.UTC()
	return c, nil
}

func (c cursor) memberKey() *organizationsport.MemberKey {
	if c.id == uuid.Nil {
		return nil
	}
	return &organizationsport.MemberKey{JoinedAt: c.at, User: shared.UserID(c.id)}
}

func (c cursor) invitationKey() *organizationsport.InvitationKey {
	if c.id == uuid.Nil {
		return nil
	}
	return &organizationsport.InvitationKey{CreatedAt: c.at, ID: c.id}
}

func (c cursor) membershipKey() *organizationsport.MembershipKey {
	if c.id == uuid.Nil {
		return nil
	}
	return &organizationsport.MembershipKey{JoinedAt: c.at, Organization: shared.OrganizationID(c.id)}
}
