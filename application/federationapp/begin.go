package federationapp

import (
	"context"
	"fmt"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

var errStartRateLimited = shared.RateLimited(federation.CodeRateLimited, "too many sign-ins started from this address; retry later", 0)

// BeginSignIn implements federationport.Service.
func (s *Service) BeginSignIn(ctx context.Context, cmd federationport.BeginCommand) (federationport.Begun, error) {
	return s.begin(ctx, cmd, shared.UserID{})
}

// BeginLink implements federationport.Service. Linking adds a way to sign
// in to the account, so a stolen session alone must not do it: the
// session's sign-in must be recent.
func (s *Service) BeginLink(ctx context.Context, p sessionsport.Principal, cmd federationport.BeginCommand) (federationport.Begun, error) {
	if p.AuthTime.IsZero() || s.now().Sub(p.AuthTime) > identityport.ReauthWindow {
		return federationport.Begun{}, federation.ErrReauthRequired
	}
	cmd.Delivery = shared.DeliverCookie
	return s.begin(ctx, cmd, p.UserID)
}

func (s *Service) begin(ctx context.Context, cmd federationport.BeginCommand, linkTo shared.UserID) (federationport.Begun, error) {
	up, err := s.provider(cmd.Provider)
	if err != nil {
		return federationport.Begun{}, err
	}
	if cmd.Binding == "" {
		return federationport.Begun{}, shared.Invalid(federation.CodeInvalidInput, "a browser binding is required", nil)
	}
	if s.limiter != nil {
		client := shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
		d, err := s.limiter.Take(ctx, "federation:start:ip:"+client, s.starts)
		switch {
		case err != nil:
			// A limiter that cannot answer admits: the flows still expire.
			s.log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
		case !d.Allowed:
			return federationport.Begun{}, errStartRateLimited.WithRetryAfter(d.RetryAfter)
		}
	}
	secrets := make([]string, 3)
	for i := range secrets {
		if secrets[i], err = s.newSecret(); err != nil {
			return federationport.Begun{}, fmt.Errorf("begin: %w", err)
		}
	}
	state, nonce, verifier := secrets[0], secrets[1], secrets[2]
	authURL, session, err := up.AuthCodeURL(ctx, federationport.AuthRequest{State: state, Nonce: nonce, Verifier: verifier})
	if err != nil {
		return federationport.Begun{}, fmt.Errorf("begin: %w", err)
	}
	delivery := cmd.Delivery
	if delivery.IsZero() {
		delivery = shared.DeliverCookie
	}
	flow, err := federation.StartFlow(federation.FlowSpec{
		StateHash: digest(state), BindingHash: digest(cmd.Binding), Provider: up.Name(), Nonce: nonce, Verifier: verifier,
		ReturnTo: cmd.ReturnTo, Delivery: delivery, LinkTo: linkTo, ProviderSession: session,
	}, s.now())
	if err != nil {
		return federationport.Begun{}, err
	}
	if err := s.flows.Put(ctx, flow); err != nil {
		return federationport.Begun{}, fmt.Errorf("begin: %w", err)
	}
	return federationport.Begun{AuthorizationURL: authURL, ExpiresAt: flow.ExpiresAt()}, nil
}
