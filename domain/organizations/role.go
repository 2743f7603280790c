package organizations

import (
	"strings"

	"github.com/secuird/authy/domain/shared"
)

// Role is a member's role. The zero Role means "not a member".
type Role struct{ name string }

// The roles, strongest first.
var (
	RoleOwner  = Role{"owner"}
	RoleAdmin  = Role{"admin"}
	RoleMember = Role{"member"}
)

// ParseRole reads "owner", "admin" or "member" (case-insensitively).
func ParseRole(s string) (Role, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "owner":
		return RoleOwner, nil
	case "admin":
		return RoleAdmin, nil
	case "member":
		return RoleMember, nil
	}
	return Role{}, shared.Invalid(CodeInvalid, "the request has invalid fields",
		map[string][]string{"role": {"must be one of owner, admin, member"}})
}

// String returns the role's name ("" for the zero role).
func (r Role) String() string { return r.name }

// IsZero reports the zero role.
func (r Role) IsZero() bool { return r.name == "" }

// AuthorizeRead is the read rule: every member may read the organization
// and its member list; anyone else gets ErrNotFound. role is the caller's
// role, zero when they are not a member.
func AuthorizeRead(role Role) error {
	if role.IsZero() {
		return ErrNotFound
	}
	return nil
}

// AuthorizeListInvitations is the rule for seeing an organization's
// pending invitations: owners and admins; a member gets ErrForbidden and
// anyone else ErrNotFound. role is the caller's, zero when not a member.
func AuthorizeListInvitations(role Role) error {
	switch role {
	case RoleOwner, RoleAdmin:
		return nil
	case Role{}:
		return ErrNotFound
	}
	return ErrForbidden
}
