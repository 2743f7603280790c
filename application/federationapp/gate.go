package federationapp

import (
	"context"

	"github.com/secuird/authy/ports/identityport"
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
