package sessionsapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Revoke ends one of p's user's sessions. Another user's session, an
// unknown id and an already ended session are all sessions.ErrNotFound.
func (s *Service) Revoke(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error {
	if err := s.revokeOne(ctx, p.UserID, id, sessions.ReasonUser); err != nil {
		return fmt.Errorf("revoke session: %w", err)
	}
	return nil
}

// Logout ends p's own session. A session that ended meanwhile is
// sessions.ErrInvalidToken, as it would be on any other route.
func (s *Service) Logout(ctx context.Context, p sessionsport.Principal) error {
	err := s.revokeOne(ctx, p.UserID, p.SessionID, sessions.ReasonLogout)
	if errors.Is(err, sessions.ErrNotFound) {
		return sessions.ErrInvalidToken
	}
	if err != nil {
		return fmt.Errorf("logout: %w", err)
	}
	return nil
}

func (s *Service) revokeOne(ctx context.Context, user shared.UserID, id uuid.UUID, reason sessions.Reason) error {
	now := s.now()
	return s.uow.Transaction(ctx, func(ctx context.Context) error {
		var ended []*sessions.Session
		err := s.store.Update(ctx, id, func(x *sessions.Session) error {
			if x.User() != user {
				return sessions.ErrNotFound
			}
			if err := x.Revoke(now, reason, user); err != nil {
				if errors.Is(err, sessions.ErrEnded) {
					return sessions.ErrNotFound
				}
				return err
			}
			ended = append(ended, x)
			return nil
		})
		if err != nil {
			return err
		}
		return s.ended(ctx, ended, now)
	})
}

// RevokeAllOf ends every session of user stored as active except keep, in
// the transaction carried by ctx (identity's password change or account
// deletion), and returns how many ended.
func (s *Service) RevokeAllOf(ctx context.Context, user shared.UserID, keep uuid.UUID, reason string) (int, error) {
	n, err := s.revokeOf(ctx, user, reason, func(x *sessions.Session) bool { return x.ID() != keep })
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of user: %w", err)
	}
	return n, nil
}

var _ sessionsport.MethodRevoker = (*Service)(nil)

// RevokeMethodsOf implements sessionsport.MethodRevoker.
func (s *Service) RevokeMethodsOf(ctx context.Context, user shared.UserID, methods []string, keep uuid.UUID, reason string) (int, error) {
	if len(methods) == 0 {
		return 0, nil
	}
	n, err := s.revokeOf(ctx, user, reason, func(x *sessions.Session) bool {
		return x.ID() != keep && slices.Contains(methods, x.Method().Name())
	})
	if err != nil {
		return 0, fmt.Errorf("revoke sessions of user by method: %w", err)
	}
	return n, nil
}

// revokeOf ends the active sessions of user that match, with reason, in
// the transaction carried by ctx, and returns how many ended.
func (s *Service) revokeOf(ctx context.Context, user shared.UserID, reason string, match func(*sessions.Session) bool) (int, error) {
	r, err := sessions.ParseReason(reason)
	if err != nil {
		return 0, err
	}
	now := s.now()
	var n int
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		var ended []*sessions.Session
		err := s.store.UpdateActiveOf(ctx, user, func(list []*sessions.Session) error {
			ended = ended[:0]
			for _, x := range list {
				if !match(x) {
					continue
				}
				if err := x.Revoke(now, r, user); err != nil {
					return err
				}
				ended = append(ended, x)
			}
			return nil
		})
		if err != nil {
			return err
		}
		n = len(ended)
		return s.ended(ctx, ended, now)
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// ended records the audit events of sessions just revoked and their cache
// purges in the outbox, in the caller's transaction, and schedules the
// purge for after the commit.
func (s *Service) ended(ctx context.Context, list []*sessions.Session, now time.Time) error {
	if len(list) == 0 {
		return nil
	}
	var events []auditport.Event
	purges := make([]sessionsport.Purge, 0, len(list))
	for _, x := range list {
		events = append(events, auditEvents(x.PullEvents())...)
		purges = append(purges, sessionsport.Purge{Hash: x.TokenHash(), Until: x.AbsoluteExpiresAt()})
	}
	if t := sessionsport.TransportFrom(ctx); t != "" {
		// A sign-out through the pages says "cookie".
		for i := range events {
			if events[i].Action == "auth.logout" {
				events[i].Details = map[string]any{"transport": string(t)}
			}
		}
	}
	if err := s.audit.Record(ctx, events...); err != nil {
		return fmt.Errorf("record audit: %w", err)
	}
	if err := s.store.AddPurges(ctx, purges); err != nil {
		return err
	}
	s.uow.AfterCommit(ctx, func(ctx context.Context) {
		s.meter.Add(platformport.MetricSessions, "revoked", len(list))
		s.purgeCache(ctx, purges, now)
	})
	return nil
}

// purgeCache applies purges to the cache and, once applied, drops them from
// the outbox. On a cache failure the outbox keeps them for Reconcile and
// the cache becomes suspect, so nothing stale is served meanwhile.
func (s *Service) purgeCache(ctx context.Context, ps []sessionsport.Purge, now time.Time) {
	if err := s.cache.Purge(ctx, ps, now); err != nil {
		s.cacheFailed(ctx, "purge", err)
		return
	}
	hs := make([]sessions.TokenHash, len(ps))
	for i, p := range ps {
		hs[i] = p.Hash
	}
	if err := s.store.DeletePurges(ctx, hs); err != nil {
		s.log.WarnContext(ctx, "applied session purges stay in the outbox until the next reconciliation", "error", err.Error())
	}
}

func auditEvents(list []sessions.Event) []auditport.Event {
	out := make([]auditport.Event, 0, len(list))
	for _, e := range list {
		m := e.Meta()
		ev := auditport.Event{
			ActorType: auditport.ActorUser, ActorID: m.User.String(),
			TargetType: "session", TargetID: m.Session.String(), OccurredAt: m.At,
		}
		switch x := e.(type) {
		case sessions.SessionRevoked:
			ev.ActorID = x.Actor.String()
			if x.Reason == sessions.ReasonLogout {
				ev.Action = "auth.logout"
			} else {
				ev.Action = "session.revoked"
				ev.Details = map[string]any{"reason": x.Reason.String()}
			}
		case sessions.SessionRefreshed:
			ev.Action = "session.refreshed"
			ev.Details = map[string]any{"expires_at": x.ExpiresAt.Format(time.RFC3339)}
		default:
			continue
		}
		out = append(out, ev)
	}
	return out
}
