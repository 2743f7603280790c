package identityapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/ports/identityport"
)

// Names of the proofs of an account's address, in the listeners' records.
const (
	proofVerification = "email_verification"
	proofEmailChange  = "email_change"
	proofReset        = "password_reset"
	proofOperator     = "operator"
)

// AddEmailProofListener makes l part of every proof of an account's
// address (a verification or email change link opened, a password reset
// completed, an operator vouching). Call it while wiring, before the
// server serves.
func (s *Service) AddEmailProofListener(l identityport.EmailProofListener) {
	s.hooksMu.Lock()
	defer s.hooksMu.Unlock()
	s.proofs = append(s.proofs, l)
}

// emailProven tells every listener, inside the proof's transaction (ctx),
// that proof was made, and sums what they did; an error aborts the proof.
func (s *Service) emailProven(ctx context.Context, proof identityport.EmailProof) (identityport.ProofEffects, error) {
	s.hooksMu.RLock()
	listeners := append([]identityport.EmailProofListener(nil), s.proofs...)
	s.hooksMu.RUnlock()
	var out identityport.ProofEffects
	for _, l := range listeners {
		eff, err := l.EmailProven(ctx, proof)
		if err != nil {
			return identityport.ProofEffects{}, fmt.Errorf("email proof listener: %w", err)
		}
		out.Unlinked = append(out.Unlinked, eff.Unlinked...)
		out.SessionsRevoked += eff.SessionsRevoked
	}
	return out, nil
}
