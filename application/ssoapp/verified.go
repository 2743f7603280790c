package ssoapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

var _ ssoport.DomainVerifier = (*Service)(nil)

// DomainVerified implements ssoport.DomainVerifier.
func (s *Service) DomainVerified(ctx context.Context, org shared.OrganizationID, domain string) (bool, error) {
	name, reason := shared.ParseDomainName(domain)
	if reason != "" {
		return false, nil
	}
	d, err := s.d.Domains.FindVerified(ctx, name)
	switch {
	case errors.Is(err, sso.ErrDomainNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("find the verified domain: %w", err)
	}
	return d.Organization() == org && d.Verified(), nil
}
