package ssoapp

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// oidcConfig opens c's secret and names its callback.
func (s *Service) oidcConfig(ctx context.Context, c *sso.Connection) (ssoport.OIDCConfig, error) {
	o := c.OIDC()
	secret, err := s.d.Sealer.Open(ctx, o.SealedSecret, secretAD(c.ID()))
	if err != nil {
		return ssoport.OIDCConfig{}, fmt.Errorf("open client secret of connection %s: %w", c.ID(), err)
	}
	return ssoport.OIDCConfig{
		Connection: c.ID(), Version: c.UpdatedAt(), Issuer: o.Issuer, ClientID: o.ClientID, ClientSecret: string(secret),
		RedirectURL: strings.TrimRight(s.d.PublicURL, "/") + CallbackPath(c.ID()),
	}, nil
}

// TestConnection implements ssoport.Admin: it reads the discovery
// document now and reports whether it can be used.
func (s *Service) TestConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (ssoport.TestResult, error) {
	c, err := s.connection(ctx, actor, org, id)
	if err != nil {
		return ssoport.TestResult{}, err
	}
	if c.Kind() == sso.KindSAML {
		return s.testSAML(ctx, c)
	}
	if s.d.OIDC == nil {
		return ssoport.TestResult{}, sso.ErrIdPUnavailable
	}
	cfg, err := s.oidcConfig(ctx, c)
	if err != nil {
		return ssoport.TestResult{}, err
	}
	err = s.d.OIDC.Discover(ctx, cfg)
	switch {
	case err == nil:
		return ssoport.TestResult{OK: true}, nil
	case errors.Is(err, sso.ErrIdPInvalid):
		return ssoport.TestResult{Problem: "the discovery document cannot be used: " + problemOf(err)}, nil
	case errors.Is(err, sso.ErrIdPUnavailable):
		return ssoport.TestResult{Problem: "the issuer cannot be reached: " + problemOf(err)}, nil
	}
	return ssoport.TestResult{}, err
}

// problemOf is the part of an adapter's error an owner may read: its
// first line, bounded.
func problemOf(err error) string {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	if len(msg) > 300 {
		msg = msg[:300]
	}
	return msg
}
