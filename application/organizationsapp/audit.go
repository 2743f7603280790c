package organizationsapp

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/ports/auditport"
)

// The audit actions of this context.
const (
	ActionCreated             = "organization.created"
	ActionUpdated             = "organization.updated"
	ActionDeleted             = "organization.deleted"
	ActionMemberAdded         = "organization.member.added"
	ActionMemberRemoved       = "organization.member.removed"
	ActionMemberRoleChanged   = "organization.member.role_changed"
	ActionInvitationCreated   = "organization.invitation.created"
	ActionInvitationAccepted  = "organization.invitation.accepted"
	ActionInvitationDeclined  = "organization.invitation.declined"
	ActionInvitationCancelled = "organization.invitation.cancelled"
	ActionInvitationExpired   = "organization.invitation.expired"
)

// record hands domain events to audit; ctx carries the unit of work.
func (s *Service) record(ctx context.Context, events []organizations.Event) error {
	if len(events) == 0 {
		return nil
	}
	out := make([]auditport.Event, 0, len(events))
	for _, e := range events {
		out = append(out, auditEvent(e))
	}
	if err := s.rec.Record(ctx, out...); err != nil {
		return fmt.Errorf("record organization events: %w", err)
	}
	return nil
}

func auditEvent(e organizations.Event) auditport.Event {
	m := e.Meta()
	ev := auditport.Event{
		ActorType:      auditport.ActorUser,
		ActorID:        m.Actor.String(),
		OrganizationID: m.Organization.String(),
		TargetType:     "organization",
		TargetID:       m.Organization.String(),
		OccurredAt:     m.At,
	}
	if m.Actor.IsZero() {
		// Time, not a user, did it (an expiry).
		ev.ActorType, ev.ActorID = auditport.ActorSystem, ""
	}
	switch e := e.(type) {
	case organizations.OrganizationCreated:
		ev.Action = ActionCreated
		ev.Details = map[string]any{"name": e.Name, "slug": e.Slug}
	case organizations.OrganizationUpdated:
		ev.Action = ActionUpdated
		fields := make([]string, 0, len(e.Changes))
		changes := make(map[string]any, len(e.Changes))
		for _, c := range e.Changes {
			fields = append(fields, c.Field)
			changes[c.Field] = map[string]any{"from": c.From, "to": c.To}
		}
		ev.Details = map[string]any{"fields": fields, "changes": changes}
	case organizations.OrganizationDeleted:
		ev.Action = ActionDeleted
		ev.Details = map[string]any{"reason": e.Reason}
	case organizations.MemberAdded:
		ev.Action = ActionMemberAdded
		ev.TargetType, ev.TargetID = "user", e.User.String()
		ev.Details = map[string]any{"role": e.Role.String()}
		if e.Invitation != uuid.Nil {
			ev.Details["invitation_id"] = e.Invitation.String()
		}
	case organizations.MemberRemoved:
		ev.Action = ActionMemberRemoved
		ev.TargetType, ev.TargetID = "user", e.User.String()
		ev.Details = map[string]any{"reason": e.Reason, "role": e.Role.String()}
	case organizations.MemberRoleChanged:
		ev.Action = ActionMemberRoleChanged
		ev.TargetType, ev.TargetID = "user", e.User.String()
		ev.Details = map[string]any{"from": e.From.String(), "to": e.To.String()}
	case organizations.InvitationCreated:
		ev.Action = ActionInvitationCreated
		ev.TargetType, ev.TargetID = "invitation", e.Invitation.String()
		ev.Details = map[string]any{"email": e.Email, "role": e.Role.String(), "expires_at": e.ExpiresAt.UTC().Format(time.RFC3339)}
	case organizations.InvitationAccepted:
		ev.Action = ActionInvitationAccepted
		ev.TargetType, ev.TargetID = "invitation", e.Invitation.String()
		ev.Details = map[string]any{"user_id": e.User.String(), "email": e.Email, "role": e.Role.String()}
		if !e.InvitedBy.IsZero() {
			ev.Details["invited_by"] = e.InvitedBy.String()
		}
	case organizations.InvitationDeclined:
		ev.Action = ActionInvitationDeclined
		ev.TargetType, ev.TargetID = "invitation", e.Invitation.String()
		ev.Details = map[string]any{"email": e.Email, "role": e.Role.String()}
	case organizations.InvitationCancelled:
		ev.Action = ActionInvitationCancelled
		ev.TargetType, ev.TargetID = "invitation", e.Invitation.String()
		ev.Details = map[string]any{"email": e.Email, "role": e.Role.String()}
	case organizations.InvitationExpired:
		ev.Action = ActionInvitationExpired
		ev.TargetType, ev.TargetID = "invitation", e.Invitation.String()
		ev.Details = map[string]any{"email": e.Email, "role": e.Role.String(), "expires_at": e.ExpiresAt.UTC().Format(time.RFC3339)}
	default:
		// A new event type without a mapping is a programming error that
		// tests catch; record it under a visible name rather than drop it.
		ev.Action = "organization.unmapped_event"
		ev.Details = map[string]any{"event": fmt.Sprintf("%T", e)}
	}
	return ev
}
