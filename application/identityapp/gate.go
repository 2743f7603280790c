package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/ports/identityport"
)

// gatePassword names a password sign-in to the gate.
const gatePassword = "password"

// SetSignInGate installs the gate asked before a password sign-in (an
// organization's enforced single sign-on); nil removes it.
func (s *Service) SetSignInGate(g identityport.SignInGate) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.gate = g
}

// checkGate asks the gate, if any, whether address may sign in by via. It
// runs after the rate limits and before the account is read or a password
// hashed: its answer depends only on the address's domain, so it tells
// nothing about accounts.
func (s *Service) checkGate(ctx context.Context, address, via string) error {
	s.hooksMu.RLock()
	g := s.gate
	s.hooksMu.RUnlock()
	if g == nil {
		return nil
	}
	if err := g.Check(ctx, address, via); err != nil {
		return fmt.Errorf("login: %w", err)
	}
	return nil
}
