package federationapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/sessionsport"
)

// maxLoginCode bounds what Exchange hashes.
const maxLoginCode = 128

// Exchange implements federationport.Service. The code is spent by the
// first attempt whatever follows, so it cannot be tried twice.
func (s *Service) Exchange(ctx context.Context, code string) (federationport.ExchangeResult, error) {
	res, err := s.exchange(ctx, code)
	if err != nil && shared.KindOf(err) == shared.KindUnauthenticated {
		s.recordFailure(ctx, "", reasonOf(federation.ErrLoginCodeInvalid), "")
	}
	return res, err
}

func (s *Service) exchange(ctx context.Context, code string) (federationport.ExchangeResult, error) {
	if code == "" || len(code) > maxLoginCode {
		return federationport.ExchangeResult{}, federation.ErrLoginCodeInvalid
	}
	lc, err := s.codes.Take(ctx, digest(code))
	if err != nil {
		return federationport.ExchangeResult{}, fmt.Errorf("exchange login code: %w", err)
	}
	if err := lc.Check(s.now()); err != nil {
		return federationport.ExchangeResult{}, err
	}
	m, err := sessionsport.ParseAuthMethod(lc.Method(), lc.AMR())
	if err != nil {
		return federationport.ExchangeResult{}, fmt.Errorf("stored login code: %w", err)
	}
	var out federationport.ExchangeResult
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		user, _, err := s.live(ctx, lc.UserID())
		if err != nil {
			return federation.ErrLoginCodeInvalid
		}
		ch, err := s.challenge(ctx, user.ID, m)
		if err != nil {
			return err
		}
		if ch != nil {
			out = federationport.ExchangeResult{User: user, MFA: ch}
			return nil
		}
		issued, err := s.sessions.Start(ctx, user.ID, m)
		if err != nil {
			return fmt.Errorf("start session: %w", err)
		}
		if err := s.audit.Record(ctx, userEvent(actionExchanged, user.ID.String(), map[string]any{
			"session_id": issued.Session.ID.String(), "method": m.Name(),
		}, s.now())); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		out = federationport.ExchangeResult{Session: issued, User: user}
		return nil
	})
	if err != nil {
		return federationport.ExchangeResult{}, fmt.Errorf("exchange login code: %w", err)
	}
	return out, nil
}
