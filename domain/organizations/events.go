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

// MemberAdded: a user became a member, by accepting Invitation (the actor
// is then the new member) or, with Invitation zero, added directly.
type MemberAdded struct {
	EventMeta
	User       shared.UserID
	Role       Role
	Invitation uuid.UUID
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

// InvitationCreated: an address was invited (whether or not it has an
// account). The link token is not part of the event: only its digest is
// kept, and the application hands the token to the notifier once.
type InvitationCreated struct {
	EventMeta
	Invitation uuid.UUID
	Email      string
	Role       Role
	ExpiresAt  time.Time
}

// InvitationAccepted: the invitee accepted and became a member with Role.
// Actor is the new member.
type InvitationAccepted struct {
	EventMeta
	Invitation uuid.UUID
	User       shared.UserID
	Email      string
	Role       Role
	InvitedBy  shared.UserID
}

// InvitationDeclined: the invitee declined. Actor is the invitee.
type InvitationDeclined struct {
	EventMeta
	Invitation uuid.UUID
	Email      string
	Role       Role
}

// InvitationCancelled: an owner or admin (the actor) withdrew it.
type InvitationCancelled struct {
	EventMeta
	Invitation uuid.UUID
	Email      string
	Role       Role
}

// InvitationExpired: an invitation was found past its expiry and closed.
// Actor is zero: time, not a user, ended it.
type InvitationExpired struct {
	EventMeta
	Invitation uuid.UUID
	Email      string
	Role       Role
	ExpiresAt  time.Time
}
