package ssoapp

import (
	"context"
	"errors"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/ssoport"
)

var (
	_ identityport.SignInGate    = (*Service)(nil)
	_ identityport.DeletionGuard = (*Service)(nil)
)

var errDiscoverRateLimited = shared.RateLimited(sso.CodeDiscoverRateLimited, "too many look-ups from this address; retry later", 0)

// routing returns the enabled connection that routes address's domain, nil
// for an address that does not parse or that no enabled connection
// routes. Only the domain is read, never an account.
func (s *Service) routing(ctx context.Context, address string) (*sso.Connection, error) {
	email, problem := shared.ParseEmail(address)
	if problem != "" {
		return nil, nil
	}
	c, err := s.d.Connections.FindByDomain(ctx, sso.EmailDomain(email.String()))
	switch {
	case errors.Is(err, sso.ErrConnectionNotFound):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("find the connection of a domain: %w", err)
	case !c.Enabled() || !s.signsInThrough(c) || !c.Covers(email.String()):
		return nil, nil
	}
	return c, nil
}

// signsInThrough reports whether this server signs in through c's kind (a
// connection it cannot use is neither discovered nor enforced).
func (s *Service) signsInThrough(c *sso.Connection) bool {
	switch c.Kind() {
	case sso.KindOIDC:
		return s.d.OIDC != nil
	case sso.KindSAML:
		return s.d.SAML != nil
	}
	return false
}

// Discover implements ssoport.SignIn. Every address gets the same shape of
// answer; one that does not parse is simply not routed.
func (s *Service) Discover(ctx context.Context, address string) (ssoport.Discovery, error) {
	client := shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
	d, err := s.d.Limiter.Take(ctx, "sso:discover:ip:"+client, s.d.Limits.DiscoverPerClient)
	switch {
	case err != nil:
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
	case !d.Allowed:
		return ssoport.Discovery{}, errDiscoverRateLimited.WithRetryAfter(d.RetryAfter)
	}
	c, err := s.routing(ctx, address)
	if err != nil || c == nil {
		return ssoport.Discovery{}, err
	}
	return ssoport.Discovery{Found: true, ConnectionID: c.ID(), Name: c.Name(), Type: c.Kind().String(), Enforce: c.Enforce()}, nil
}

// Check implements identityport.SignInGate: an address an enabled,
// enforced connection routes signs in only through it. The refusal is
// audited (auth.sso.required) outside any unit of work.
func (s *Service) Check(ctx context.Context, address, via string) error {
	c, err := s.routing(ctx, address)
	if err != nil {
		return err
	}
	if c == nil || !c.Enforce() {
		return nil
	}
	if err := s.d.Audit.Record(ctx, auditport.Event{
		Action: ActionEnforcementRefusals, ActorType: auditport.ActorAnonymous, OrganizationID: c.Organization().String(),
		TargetType: "sso_connection", TargetID: c.ID().String(), OccurredAt: s.now(),
		Details: map[string]any{"via": via, "connection_id": c.ID().String()},
	}); err != nil {
		s.d.Log.ErrorContext(ctx, "audit record of an sso-required refusal lost", "error", err.Error())
	}
	return sso.ErrSSORequired
}

// BeforeAccountDeletion implements identityport.DeletionGuard: a deleted
// account's SSO identities go with it, so the person is provisioned
// afresh at their next sign-in.
func (s *Service) BeforeAccountDeletion(ctx context.Context, user shared.UserID) error {
	if _, err := s.d.Identities.DeleteAllOf(ctx, user); err != nil {
		return fmt.Errorf("delete sso identities: %w", err)
	}
	return nil
}
