package organizations

import (
	"time"

	"github.com/secuird/authy/domain/shared"
)

// JoinThroughSSO adds user as a member with role on the authority of the
// organization's own SSO connection (just-in-time provisioning): the
// member is the actor of the record. An identity provider never makes
// owners (ErrOwnerRequired); a member already is ErrAlreadyMember; a
// deleted organization is ErrNotFound. Only user's membership needs to be
// loaded.
func (o *Organization) JoinThroughSSO(user shared.UserID, role Role, now time.Time) (Membership, error) {
	switch {
	case o.deleted:
		return Membership{}, ErrNotFound
	case user.IsZero():
		return Membership{}, shared.Invalid(CodeInvalid, "a user is required", nil)
	case role.IsZero():
		return Membership{}, shared.Invalid(CodeInvalid, "the request has invalid fields", map[string][]string{"role": {"is required"}})
	case role == RoleOwner:
		return Membership{}, ErrOwnerRequired
	}
	if _, ok, err := o.membership(user); err != nil {
		return Membership{}, err
	} else if ok {
		return Membership{}, ErrAlreadyMember
	}
	m := Membership{user: user, role: role, joinedAt: now}
	o.join(m)
	o.record(MemberAdded{EventMeta: o.meta(user, now), User: user, Role: role})
	return m, nil
}
