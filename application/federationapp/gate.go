package federationapp

import (
	"context"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// gateSocial names a sign-in through a social or OpenID Connect provider
// to the gate.
const gateSocial = "social"

// SetSignInGate installs the gate asked before a sign-in through a
// provider (an organization's enforced single sign-on); nil removes it.
func (s *Service) SetSignInGate(g identityport.SignInGate) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	s.gate = g
}

// checkGate asks the gate, if any, whether address may sign in through a
// provider; an empty address has nothing to ask about.
func (s *Service) checkGate(ctx context.Context, address string) error {
	s.gateMu.RLock()
	g := s.gate
	s.gateMu.RUnlock()
	if g == nil || address == "" {
		return nil
	}
	return g.Check(ctx, address, gateSocial)
}

// SetSecondFactor makes a sign-in through a provider of an account with a
// second factor start no session: it answers the factor's challenge
// instead, completed like a password sign-in's.
func (s *Service) SetSecondFactor(f identityport.SecondFactor) {
	s.gateMu.Lock()
	defer s.gateMu.Unlock()
	s.second = f
}

// challenge asks the second factor, if any, for a challenge of user after
// method passed (nil: the account has no factor).
func (s *Service) challenge(ctx context.Context, user shared.UserID, m sessionsport.AuthMethod) (*identityport.LoginChallenge, error) {
	s.gateMu.RLock()
	f := s.second
	s.gateMu.RUnlock()
	if f == nil {
		return nil, nil
	}
	return f.ChallengeLogin(ctx, user, m)
}
