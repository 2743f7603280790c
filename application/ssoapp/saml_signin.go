package ssoapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// reasonUnsolicited names an IdP-initiated response to a connection that
// does not accept one.
const reasonUnsolicited = "unsolicited_response"

// samlRequest makes c's AuthnRequest carrying relayState and returns the
// identity provider's address for the browser and the request's id.
func (s *Service) samlRequest(ctx context.Context, c *sso.Connection, relayState string) (string, string, error) {
	cfg, err := s.samlConfig(ctx, c)
	if err != nil {
		return "", "", err
	}
	return s.d.SAML.AuthnRequest(cfg, relayState)
}

// CompleteSAML implements ssoport.SignIn.
func (s *Service) CompleteSAML(ctx context.Context, cmd ssoport.SAMLCommand) (ssoport.Completion, error) {
	out, org, reason, err := s.completeSAML(ctx, cmd)
	if err != nil {
		if shared.KindOf(err) != shared.KindUnknown {
			if reason == "" {
				reason = reasonOf(err)
			}
			s.recordFailure(ctx, cmd.Connection, org, reason)
		}
		return ssoport.Completion{ReturnTo: out.ReturnTo, Foreign: out.Foreign}, err
	}
	return out, nil
}

func (s *Service) completeSAML(ctx context.Context, cmd ssoport.SAMLCommand) (ssoport.Completion, shared.OrganizationID, string, error) {
	var org shared.OrganizationID
	out := ssoport.Completion{}
	delivery := shared.DeliverCookie
	var requestIDs []string
	c, cerr := s.signInConnection(ctx, cmd.Connection)
	if c != nil {
		org = c.Organization()
	}
	if cmd.RelayState != "" {
		// Taking the flow spends it, whatever happens next.
		flow, err := s.d.Flows.Take(ctx, digest(cmd.RelayState))
		if err != nil {
			return out, org, "", fmt.Errorf("complete saml sign-in: %w", err)
		}
		sp := flow.Spec()
		out.ReturnTo, out.Foreign, delivery = sp.ReturnTo, sp.Delivery == shared.DeliverCode, sp.Delivery
		binding := ""
		if cmd.Binding != "" {
			binding = digest(cmd.Binding)
		}
		if err := flow.Check(cmd.Connection, binding, s.now()); err != nil {
			return out, org, "", err
		}
		requestIDs = []string{sp.Nonce}
	}
	if cerr != nil {
		return out, org, "", cerr
	}
	if c.Kind() != sso.KindSAML {
		return out, org, "", sso.ErrStateInvalid
	}
	if requestIDs == nil && !c.SAML().AllowIdPInitiated {
		return out, org, reasonUnsolicited, sso.ErrStateInvalid
	}
	cfg, err := s.samlConfig(ctx, c)
	if err != nil {
		return out, org, "", err
	}
	a, err := s.d.SAML.ParseResponse(ctx, cfg, cmd.SAMLResponse, requestIDs)
	if err != nil {
		s.d.Log.WarnContext(ctx, "saml response refused", "connection", c.ID().String(), "error", err.Error())
		return out, org, "", err
	}
	if a.NameID == "" {
		return out, org, "", sso.ErrTokenInvalid
	}
	if a.Email == "" {
		return out, org, "", sso.ErrEmailMissing
	}
	email, problem := shared.ParseEmail(a.Email)
	if problem != "" || !c.Covers(email.String()) {
		return out, org, "", sso.ErrEmailOutsideDomains
	}
	verified, err := s.DomainVerified(ctx, org, sso.EmailDomain(email.String()))
	if err != nil {
		return out, org, "", err
	}
	if !verified {
		return out, org, "", sso.ErrEmailOutsideDomains
	}
	res, err := s.signIn(ctx, c, delivery, a.NameID, email.String(), a.Name)
	if err != nil {
		return out, org, "", err
	}
	res.ReturnTo, res.Foreign = out.ReturnTo, out.Foreign
	return res, org, "", nil
}
