package passkeyapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// The audit actions of this context. Details name passkeys, reasons and
// flags, never a key, a challenge, a signature or a token.
const (
	ActionRegistered     = "passkey.registered"
	ActionRenamed        = "passkey.renamed"
	ActionRemoved        = "passkey.removed"
	ActionUsed           = "passkey.used"
	ActionFailed         = "passkey.failed"
	ActionLoginSucceeded = "auth.login.succeeded"
)

func (s *Service) event(action string, user shared.UserID, details map[string]any) auditport.Event {
	e := auditport.Event{Action: action, Details: details, OccurredAt: s.now()}
	if user.IsZero() {
		e.ActorType = auditport.ActorAnonymous
		return e
	}
	e.ActorType, e.ActorID, e.TargetType, e.TargetID = auditport.ActorUser, user.String(), "user", user.String()
	return e
}

func (s *Service) write(ctx context.Context, e auditport.Event) error {
	if err := s.d.Recorder.Record(ctx, e); err != nil {
		return fmt.Errorf("record %s: %w", e.Action, err)
	}
	return nil
}

// recordAttempt writes the record of a failed attempt, which changed
// nothing: a store that cannot take it is logged, not failed on.
func (s *Service) recordAttempt(ctx context.Context, e auditport.Event) {
	if err := s.d.Recorder.Record(ctx, e); err != nil {
		s.d.Log.ErrorContext(ctx, "audit record of a failed attempt lost", "action", e.Action, "error", err.Error())
	}
}
