package organizations

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Reasons carried by MemberRemoved and OrganizationDeleted.
const (
	ReasonSelfLeave      = "self-leave"
	ReasonRemoved        = "removed"
	ReasonAccountDeleted = "account_deleted"
	ReasonDeletedByOwner = "deleted_by_owner"
)

// Event is a fact the aggregate recorded; the application drains them with
// PullEvents and hands them to audit in the same transaction.
type Event interface {
	// Meta says which organization, who acted and when.
	Meta() EventMeta
}

// EventMeta is common to every event. Actor is the user who caused it.
type EventMeta struct {
	Organization shared.OrganizationID
	Actor        shared.UserID
	At           time.Time
}

// Meta implements Event.
func (m EventMeta) Meta() EventMeta { return m }

// OrganizationCreated: a user created an organization and became its owner.
type OrganizationCreated struct {
	EventMeta
	Name string
	Slug string
}

// FieldChange is one changed field of an organization.
type FieldChange struct {
	Field    string
	From, To string
}

// OrganizationUpdated lists the fields that changed.
type OrganizationUpdated struct {
	EventMeta
	Changes []FieldChange
}

// OrganizationDeleted: the organization is gone with its memberships and
// invitations. Reason is ReasonDeletedByOwner or ReasonAccountDeleted.
type OrganizationDeleted struct {
	EventMeta
	Reason string
}

// MemberAdded: an existing user was added by a manager.
type MemberAdded struct {
	EventMeta
	User shared.UserID
	Role Role
}

// MemberRemoved: a membership ended. Reason is ReasonSelfLeave,
// ReasonRemoved or ReasonAccountDeleted.
type MemberRemoved struct {
	EventMeta
	User   shared.UserID
	Role   Role
	Reason string
}

// MemberRoleChanged: a member's role went From → To.
type MemberRoleChanged struct {
	EventMeta
	User     shared.UserID
	From, To Role
}

// InvitationCreated: an email without an account was invited.
type InvitationCreated struct {
	EventMeta
	Invitation uuid.UUID
	Email      string
	Role       Role
}

// InvitationAccepted: the invited email registered and its invitation became
// a membership. Actor is the new user.
type InvitationAccepted struct {
	EventMeta
	Invitation uuid.UUID
	User       shared.UserID
	Email      string
	Role       Role
}
