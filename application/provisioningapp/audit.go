package provisioningapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/provisioningport"
)

// The audit actions of this context.
const (
	ActionTokenCreated    = "scim.token.created"
	ActionTokenRevoked    = "scim.token.revoked"
	ActionUserCreated     = "scim.user.created"
	ActionUserUpdated     = "scim.user.updated"
	ActionUserDeactivated = "scim.user.deactivated"
	ActionUserReactivated = "scim.user.reactivated"
	ActionUserDeleted     = "scim.user.deleted"
)

// actorClient is the audit actor type of a SCIM token: a client acting on
// its own behalf; its id is "scim-token:<id>".
const actorClient = "client"

func (s *Service) recordByUser(ctx context.Context, actor shared.UserID, org shared.OrganizationID, action string, token uuid.UUID, details map[string]any) error {
	return s.write(ctx, auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: actor.String(),
		TargetType: "scim_token", TargetID: token.String(), OrganizationID: org.String(), Details: details, OccurredAt: s.now(),
	})
}

func (s *Service) recordByToken(ctx context.Context, c provisioningport.Caller, action string, scimUser uuid.UUID, account shared.UserID, details map[string]any) error {
	if details == nil {
		details = map[string]any{}
	}
	details["scim_user_id"] = scimUser.String()
	details["owner_id"] = c.Owner.String()
	return s.write(ctx, auditport.Event{
		Action: action, ActorType: actorClient, ActorID: "scim-token:" + c.Token.String(),
		TargetType: "user", TargetID: account.String(), OrganizationID: c.Organization.String(), Details: details, OccurredAt: s.now(),
	})
}

func (s *Service) write(ctx context.Context, e auditport.Event) error {
	if err := s.d.Recorder.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}
