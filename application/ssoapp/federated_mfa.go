package ssoapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

var _ organizationsport.FederatedMFA = (*Service)(nil)

// VouchesMFA implements organizationsport.FederatedMFA: the connection is
// read as it is now, so an organization that switches idp_enforces_mfa
// (or the connection) off withdraws it from sessions already started.
func (s *Service) VouchesMFA(ctx context.Context, org shared.OrganizationID, method sessionsport.AuthMethod) (bool, error) {
	id, ok := sso.ConnectionOfMethod(method.Name())
	if !ok {
		return false, nil
	}
	c, err := s.d.Connections.Get(ctx, id)
	switch {
	case errors.Is(err, sso.ErrConnectionNotFound):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("find the connection: %w", err)
	}
	return c.Organization() == org && c.VouchesMFA(method.Name(), method.AMR()), nil
}
