package organizationsapp

import (
	"context"
	"fmt"
	"slices"

	"github.com/secuird/authy/domain/organizations"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
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

// SetFederatedMFA lets the multi-factor policy accept sessions started
// through an organization's own SSO connection whose identity provider
// enforces MFA. Call it while wiring, before the server serves; without
// it only a second factor of the account meets the policy.
func (s *Service) SetFederatedMFA(f organizationsport.FederatedMFA) {
	s.factorsMu.Lock()
	defer s.factorsMu.Unlock()
	s.federated = f
}

func (s *Service) federatedMFA() organizationsport.FederatedMFA {
	s.factorsMu.RLock()
	defer s.factorsMu.RUnlock()
	return s.federated
}

// enforceMFA refuses a member without a second factor of an organization
// that requires one (organizations.ErrMFAEnrolmentRequired); a non-member
// is left to the read rule (NotFound). A member whose current session
// (the caller ctx carries) was started through one of this
// organization's connections that vouches for its identity provider's
// MFA passes too; such a session counts for that organization only, not
// for the other organizations of the member, whose policies that
// identity provider is not accountable to.
func (s *Service) enforceMFA(ctx context.Context, sum organizationsport.OrganizationSummary, actor shared.UserID) error {
	if !sum.RequireMFA || sum.Role.IsZero() {
		return nil
	}
	has, err := s.hasFactor(ctx, actor)
	if err != nil {
		return err
	}
	if has {
		return nil
	}
	vouched, err := s.vouchedMFA(ctx, sum.ID, actor)
	if err != nil {
		return err
	}
	if !vouched {
		return organizations.ErrMFAEnrolmentRequired
	}
	return nil
}

func (s *Service) vouchedMFA(ctx context.Context, org shared.OrganizationID, actor shared.UserID) (bool, error) {
	p, ok := sessionsport.CallerFrom(ctx)
	// Only the caller's own session speaks for them; what a request does
	// on another user's authority is that user's to pass.
	if !ok || p.UserID != actor {
		return false, nil
	}
	return s.methodVouches(ctx, org, p.Method)
}

// methodVouches reports whether a session of method meets org's policy
// without a factor of the account's own.
func (s *Service) methodVouches(ctx context.Context, org shared.OrganizationID, method sessionsport.AuthMethod) (bool, error) {
	if !slices.Contains(method.AMR(), amrMultiFactor) {
		return false, nil
	}
	f := s.federatedMFA()
	if f == nil {
		return false, nil
	}
	ok, err := f.VouchesMFA(ctx, org, method)
	if err != nil {
		return false, fmt.Errorf("read the session's connection: %w", err)
	}
	return ok, nil
}

// amrMultiFactor is the amr value of a multi-factor sign-in (RFC 8176).
const amrMultiFactor = "mfa"

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
	return s.gateBy(ctx, actor, id, interactive)
}

func (s *Service) gateBy(ctx context.Context, actor shared.UserID, id shared.OrganizationID, by access) error {
	_, err := s.readableBy(ctx, actor, id, by)
	return err
}
