package mfaapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// The audit actions of this context. Details name factors, kinds and
// purposes, never a secret or a code.
const (
	ActionEnrolmentStarted     = "mfa.enrolment.started"
	ActionFactorEnrolled       = "mfa.factor.enrolled"
	ActionFactorRemoved        = "mfa.factor.removed"
	ActionFactorVerified       = "mfa.factor.verified"
	ActionFactorFailed         = "mfa.factor.failed"
	ActionRecoveryCodeUsed     = "mfa.recovery_code.used"
	ActionRecoveryCodesCreated = "mfa.recovery_codes.generated"
	ActionChallengeIssued      = "mfa.challenge.issued"
	ActionLoginSucceeded       = "auth.login.succeeded"
)

func (s *Service) event(action string, user shared.UserID, details map[string]any) auditport.Event {
	return auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: user.String(),
		TargetType: "user", TargetID: user.String(), Details: details, OccurredAt: s.now(),
	}
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
