package organizations

import (
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// InvitationStatus is where an invitation is in its life: it starts pending
// and ends exactly once, accepted, declined, cancelled or expired.
type InvitationStatus struct{ s string }

// The invitation statuses.
var (
	StatusPending   = InvitationStatus{"pending"}
	StatusAccepted  = InvitationStatus{"accepted"}
	StatusDeclined  = InvitationStatus{"declined"}
	StatusCancelled = InvitationStatus{"cancelled"}
	StatusExpired   = InvitationStatus{"expired"}
)

// ParseInvitationStatus reads a stored status.
func ParseInvitationStatus(s string) (InvitationStatus, error) {
	for _, st := range []InvitationStatus{StatusPending, StatusAccepted, StatusDeclined, StatusCancelled, StatusExpired} {
		if s == st.s {
			return st, nil
		}
	}
	return InvitationStatus{}, shared.Invalid(CodeInvalid, "unknown invitation status", nil)
}

// String returns the status name ("" for the zero status).
func (s InvitationStatus) String() string { return s.s }

// IsZero reports the zero status.
func (s InvitationStatus) IsZero() bool { return s.s == "" }

// TokenHashSize is the length of an invitation token hash (SHA-256).
const TokenHashSize = 32

// TokenHash is the digest of an invitation's link token: only the digest is
// stored, so a database dump yields no usable link.
type TokenHash struct{ b string }

// NewTokenHash wraps a TokenHashSize-byte digest.
func NewTokenHash(b []byte) (TokenHash, error) {
	if len(b) != TokenHashSize {
		return TokenHash{}, shared.Invalid(CodeInvalid, "an invitation token hash has 32 bytes", nil)
	}
	return TokenHash{b: string(b)}, nil
}

// Bytes returns a copy of the digest.
func (h TokenHash) Bytes() []byte { return []byte(h.b) }

// IsZero reports the zero value (an invitation made before link tokens
// existed has none and can be accepted only from the invitee's list).
func (h TokenHash) IsZero() bool { return h.b == "" }

// Invitation invites an email address to join an organization with a role.
// It is accepted, never assumed: it becomes a membership only when a
// signed-in user whose email is the invited address accepts it, before it
// expires, and only while whoever sent it may still grant its role.
//
// Invariants: email is a normalized address; expiresAt is after createdAt;
// a pending invitation has no closedAt and no closedBy; a closed one never
// changes again.
type Invitation struct {
	id        uuid.UUID
	email     string
	role      Role
	invitedBy shared.UserID
	tokenHash TokenHash
	createdAt time.Time
	expiresAt time.Time
	status    InvitationStatus
	closedAt  time.Time
	closedBy  shared.UserID
}

// InvitationState is a stored invitation, for RehydrateInvitation.
type InvitationState struct {
	ID        uuid.UUID
	Email     string
	Role      Role
	InvitedBy shared.UserID
	TokenHash TokenHash
	CreatedAt time.Time
	ExpiresAt time.Time
	// Status zero means pending.
	Status   InvitationStatus
	ClosedAt time.Time
	ClosedBy shared.UserID
}

// RehydrateInvitation rebuilds a stored invitation (adapters only).
func RehydrateInvitation(s InvitationState) Invitation {
	if s.Status.IsZero() {
		s.Status = StatusPending
	}
	return Invitation{
		id: s.ID, email: s.Email, role: s.Role, invitedBy: s.InvitedBy, tokenHash: s.TokenHash,
		createdAt: s.CreatedAt, expiresAt: s.ExpiresAt, status: s.Status, closedAt: s.ClosedAt, closedBy: s.ClosedBy,
	}
}

// ID identifies the invitation.
func (i Invitation) ID() uuid.UUID { return i.id }

// Email is the invited address, normalized.
func (i Invitation) Email() string { return i.email }

// Role is the role the membership will have.
func (i Invitation) Role() Role { return i.role }

// InvitedBy is the user who invited (zero once that account is gone).
func (i Invitation) InvitedBy() shared.UserID { return i.invitedBy }

// TokenHash is the digest of the link token (zero for old invitations).
func (i Invitation) TokenHash() TokenHash { return i.tokenHash }

// CreatedAt is when the invitation was made.
func (i Invitation) CreatedAt() time.Time { return i.createdAt }

// ExpiresAt is when it stops being usable.
func (i Invitation) ExpiresAt() time.Time { return i.expiresAt }

// Status is the stored status. A pending invitation past ExpiresAt is
// expired in effect (see StatusAt) until something records the expiry.
func (i Invitation) Status() InvitationStatus { return i.status }

// StatusAt is the status in effect at now: a pending invitation whose
// expiry has passed is expired.
func (i Invitation) StatusAt(now time.Time) InvitationStatus {
	if i.status == StatusPending && !now.Before(i.expiresAt) {
		return StatusExpired
	}
	return i.status
}

// ClosedAt is when it was accepted, declined, cancelled or found expired
// (zero while pending).
func (i Invitation) ClosedAt() time.Time { return i.closedAt }

// ClosedBy is the user who accepted, declined or cancelled it (zero while
// pending, for an expiry, and once that account is gone).
func (i Invitation) ClosedBy() shared.UserID { return i.closedBy }

// IsFor reports whether email is the invited address. Addresses compare in
// their normalized form; one that does not parse matches nothing.
func (i Invitation) IsFor(email string) bool {
	e, err := NormalizeEmail(email)
	return err == nil && e == i.email
}

func (i Invitation) close(status InvitationStatus, by shared.UserID, now time.Time) Invitation {
	i.status, i.closedBy, i.closedAt = status, by, now
	return i
}

// ClosedInvitationError is the error for using an invitation that is no
// longer pending: its code names the status, so a client can tell "already
// accepted" from "cancelled" or "expired". It answers only the invitee (an
// invitation that is not theirs is ErrInvitationNotFound).
func ClosedInvitationError(s InvitationStatus) error {
	switch s {
	case StatusAccepted:
		return ErrInvitationAccepted
	case StatusDeclined:
		return ErrInvitationDeclined
	case StatusCancelled:
		return ErrInvitationCancelled
	case StatusExpired:
		return ErrInvitationExpired
	}
	return ErrInvitationNotFound
}
