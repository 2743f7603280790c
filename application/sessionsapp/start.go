package sessionsapp

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Start opens a session for user, who authenticated with method, with a
// fresh token, joining the transaction in ctx when there is one (identity's
// login). The cache is filled after the commit, so the first request with
// the token is a hit.
func (s *Service) Start(ctx context.Context, user shared.UserID, method sessions.AuthMethod) (sessionsport.IssuedSession, error) {
	token, hash, err := s.tokens.New()
	if err != nil {
		return sessionsport.IssuedSession{}, fmt.Errorf("start session: %w", err)
	}
	id, err := uuid.NewV7()
	if err != nil {
		return sessionsport.IssuedSession{}, fmt.Errorf("start session: %w", err)
	}
	meta := shared.RequestMetaFrom(ctx)
	now := s.now()
	sess, err := sessions.New(id, user, hash, method, meta.ClientIP, meta.UserAgent, now, s.policy)
	if err != nil {
		return sessionsport.IssuedSession{}, err
	}
	sess.PullEvents() // identity records the login itself
	var due []sessionsport.EnrolmentDue
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		if err := s.store.Create(ctx, sess); err != nil {
			return err
		}
		if p := s.enrolmentPolicy(); p != nil {
			var err error
			if due, err = p.EnrolmentDue(ctx, user, method); err != nil {
				return fmt.Errorf("multi-factor policy: %w", err)
			}
		}
		s.uow.AfterCommit(ctx, func(ctx context.Context) {
			s.meter.Add(platformport.MetricSessions, "created", 1)
			s.putCache(ctx, entry(sess, now), now)
		})
		return nil
	})
	if err != nil {
		return sessionsport.IssuedSession{}, fmt.Errorf("start session: %w", err)
	}
	return sessionsport.IssuedSession{Token: token, Session: view(sess, true), EnrolmentDue: due}, nil
}
