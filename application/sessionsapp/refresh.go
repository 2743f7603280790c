package sessionsapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/sessionsport"
)

// Refresh slides p's idle window now, stores it at once (not on the
// coalesced schedule) and records session.refreshed.
func (s *Service) Refresh(ctx context.Context, p sessionsport.Principal) (sessionsport.SessionView, error) {
	now := s.now()
	var out *sessions.Session
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		err := s.store.Update(ctx, p.SessionID, func(x *sessions.Session) error {
			if x.User() != p.UserID {
				return sessions.ErrInvalidToken
			}
			if err := x.Refresh(now, s.policy); err != nil {
				if errors.Is(err, sessions.ErrEnded) {
					return sessions.ErrInvalidToken
				}
				return err
			}
			out = x
			return nil
		})
		if errors.Is(err, sessions.ErrNotFound) {
			return sessions.ErrInvalidToken
		}
		if err != nil {
			return err
		}
		if err := s.audit.Record(ctx, auditEvents(out.PullEvents())...); err != nil {
			return fmt.Errorf("record audit: %w", err)
		}
		s.uow.AfterCommit(ctx, func(ctx context.Context) { s.putCache(ctx, entry(out, now), now) })
		return nil
	})
	if err != nil {
		return sessionsport.SessionView{}, fmt.Errorf("refresh session: %w", err)
	}
	return view(out, true), nil
}
