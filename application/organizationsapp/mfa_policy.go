package organizationsapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
)

// SetFactorEnrolment makes the multi-factor policy enforceable: until it
// is set, no organization can turn the policy on. Call it while wiring,
// before the server serves.
func (s *Service) SetFactorEnrolment(f organizationsport.FactorEnrolment) {
	s.factorsMu.Lock()
	defer s.factorsMu.Unlock()
	s.factors = f
}

func (s *Service) enrolment() organizationsport.FactorEnrolment {
	s.factorsMu.RLock()
	defer s.factorsMu.RUnlock()
	return s.factors
}

// enforceMFA refuses a member without a second factor of an organization
// that requires one (organizations.ErrMFAEnrolmentRequired); a non-member
// is left to the read rule (NotFound).
func (s *Service) enforceMFA(ctx context.Context, sum organizationsport.OrganizationSummary, actor shared.UserID) error {
	if !sum.RequireMFA || sum.Role.IsZero() {
		return nil
	}
	has, err := s.hasFactor(ctx, actor)
	if err != nil {
		return err
	}
	if !has {
		return organizations.ErrMFAEnrolmentRequired
	}
	return nil
}

func (s *Service) hasFactor(ctx context.Context, user shared.UserID) (bool, error) {
	f := s.enrolment()
	if f == nil {
		return false, nil
	}
	has, err := f.HasFactor(ctx, user)
	if err != nil {
		return false, fmt.Errorf("read second factors: %w", err)
	}
	return has, nil
}

// gate applies the read rule and the multi-factor policy before a change
// by actor (one more read; the change locks the row after).
func (s *Service) gate(ctx context.Context, actor shared.UserID, id shared.OrganizationID) error {
	_, err := s.readable(ctx, actor, id)
	return err
}
