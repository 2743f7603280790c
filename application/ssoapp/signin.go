package ssoapp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/ssoport"
)

var _ ssoport.SignIn = (*Service)(nil)

// amrFederated is the amr value of a sign-in through another identity
// provider (RFC 8176 "fed").
const amrFederated = "fed"

// amrMultiFactor is the amr value of a sign-in that passed more than one
// factor (RFC 8176 "mfa").
const amrMultiFactor = "mfa"

// methodOf is the session method of a sign-in through c. A connection
// whose organization says its identity provider enforces MFA records
// "mfa" beside "fed": the organization's multi-factor policy accepts such
// a session, and the OpenID Provider's ID tokens say so (amr, acr). What
// the identity provider itself asserts (an OpenID Connect provider's amr
// or acr, a SAML AuthnContext) is not read: their values differ from one
// provider to the next, and the organization's word is the one Authy can
// hold it to.
func methodOf(c *sso.Connection) (sessionsport.AuthMethod, error) {
	amr := []string{amrFederated}
	if c.IdPEnforcesMFA() {
		amr = append(amr, amrMultiFactor)
	}
	return sessionsport.ParseAuthMethod(c.MethodName(), amr)
}

// providerSSO names SSO in the account's registration record.
const providerSSO = "sso"

var errStartRateLimited = shared.RateLimited(sso.CodeStartRateLimited, "too many sign-ins started from this address; retry later", 0)

// reasonOf names err in an auth.sso.failed record: an sso error by its
// code without "sso." (state_invalid, email_outside_domains, …), as the
// federation context names its own.
func reasonOf(err error) string { return shared.RefusalReason(err, "sso") }

func codeOf(err error) string {
	var se *shared.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return ""
}

// digest is the stored form of a secret: SHA-256, hex.
func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// signInConnection returns the connection id signs in through: one that
// does not exist (or whose organization is gone) or that this server
// cannot sign in through is sso.ErrSignInUnavailable, a switched-off one
// sso.ErrConnectionDisabled.
func (s *Service) signInConnection(ctx context.Context, id uuid.UUID) (*sso.Connection, error) {
	c, err := s.d.Connections.Get(ctx, id)
	switch {
	case errors.Is(err, sso.ErrConnectionNotFound):
		return nil, sso.ErrSignInUnavailable
	case err != nil:
		return nil, err
	case c.Kind() == sso.KindOIDC && s.d.OIDC == nil, c.Kind() == sso.KindSAML && s.d.SAML == nil:
		return nil, sso.ErrSignInUnavailable
	case !c.Enabled():
		return c, sso.ErrConnectionDisabled
	}
	return c, nil
}

// BeginSignIn implements ssoport.SignIn.
func (s *Service) BeginSignIn(ctx context.Context, cmd ssoport.BeginCommand) (ssoport.Begun, error) {
	out, org, err := s.begin(ctx, cmd)
	if err != nil && shared.KindOf(err) != shared.KindUnknown && shared.KindOf(err) != shared.KindRateLimited {
		s.recordFailure(ctx, cmd.Connection, org, reasonOf(err))
	}
	return out, err
}

func (s *Service) begin(ctx context.Context, cmd ssoport.BeginCommand) (ssoport.Begun, shared.OrganizationID, error) {
	if cmd.Binding == "" {
		return ssoport.Begun{}, shared.OrganizationID{}, shared.Invalid(sso.CodeInvalidInput, "a browser binding is required", nil)
	}
	client := shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
	d, err := s.d.Limiter.Take(ctx, "sso:start:ip:"+client, s.d.Limits.StartsPerClient)
	switch {
	case err != nil:
		// A limiter that cannot answer admits: the flows still expire.
		s.d.Log.WarnContext(ctx, "rate limiter unavailable; admitting", "error", err.Error())
	case !d.Allowed:
		return ssoport.Begun{}, shared.OrganizationID{}, errStartRateLimited.WithRetryAfter(d.RetryAfter)
	}
	c, err := s.signInConnection(ctx, cmd.Connection)
	if err != nil {
		var org shared.OrganizationID
		if c != nil {
			org = c.Organization()
		}
		return ssoport.Begun{}, org, err
	}
	secrets := make([]string, 3)
	for i := range secrets {
		if secrets[i], err = s.d.NewToken(); err != nil {
			return ssoport.Begun{}, c.Organization(), fmt.Errorf("begin sso sign-in: %w", err)
		}
	}
	state, nonce, verifier := secrets[0], secrets[1], secrets[2]
	var authURL string
	if c.Kind() == sso.KindSAML {
		// The relay state carries the flow's state; the response must
		// answer the AuthnRequest, whose id the flow keeps as its nonce.
		if authURL, nonce, err = s.samlRequest(ctx, c, state); err != nil {
			return ssoport.Begun{}, c.Organization(), fmt.Errorf("begin sso sign-in: %w", err)
		}
		verifier = ""
	} else {
		cfg, err := s.oidcConfig(ctx, c)
		if err != nil {
			return ssoport.Begun{}, c.Organization(), err
		}
		authURL, err = s.d.OIDC.AuthCodeURL(ctx, cfg, ssoport.AuthRequest{State: state, Nonce: nonce, Verifier: verifier})
		if err != nil {
			return ssoport.Begun{}, c.Organization(), fmt.Errorf("begin sso sign-in: %w", err)
		}
	}
	delivery := shared.DeliverCookie
	if cmd.Foreign {
		delivery = shared.DeliverCode
	}
	flow, err := sso.StartFlow(sso.FlowSpec{
		StateHash: digest(state), BindingHash: digest(cmd.Binding), Connection: c.ID(), Nonce: nonce, Verifier: verifier,
		ReturnTo: cmd.ReturnTo, Delivery: delivery,
	}, s.now())
	if err != nil {
		return ssoport.Begun{}, c.Organization(), err
	}
	if err := s.d.Flows.Put(ctx, flow); err != nil {
		return ssoport.Begun{}, c.Organization(), fmt.Errorf("begin sso sign-in: %w", err)
	}
	return ssoport.Begun{AuthorizationURL: authURL, ExpiresAt: flow.ExpiresAt()}, c.Organization(), nil
}

// CompleteSignIn implements ssoport.SignIn.
func (s *Service) CompleteSignIn(ctx context.Context, cmd ssoport.CallbackCommand) (ssoport.Completion, error) {
	out, org, err := s.complete(ctx, cmd)
	if err != nil {
		if shared.KindOf(err) != shared.KindUnknown {
			s.recordFailure(ctx, cmd.Connection, org, reasonOf(err))
		}
		return ssoport.Completion{ReturnTo: out.ReturnTo, Foreign: out.Foreign}, err
	}
	return out, nil
}

func (s *Service) complete(ctx context.Context, cmd ssoport.CallbackCommand) (ssoport.Completion, shared.OrganizationID, error) {
	var org shared.OrganizationID
	if cmd.State == "" {
		return ssoport.Completion{}, org, sso.ErrStateInvalid
	}
	// Taking the flow spends it: whatever happens next, this state cannot
	// be presented again.
	flow, err := s.d.Flows.Take(ctx, digest(cmd.State))
	if err != nil {
		return ssoport.Completion{}, org, fmt.Errorf("complete sso sign-in: %w", err)
	}
	sp := flow.Spec()
	out := ssoport.Completion{ReturnTo: sp.ReturnTo, Foreign: sp.Delivery == shared.DeliverCode}
	binding := ""
	if cmd.Binding != "" {
		binding = digest(cmd.Binding)
	}
	// The flow names its connection, so a refusal from here on is
	// recorded in that organization's log.
	c, cerr := s.signInConnection(ctx, sp.Connection)
	if c != nil {
		org = c.Organization()
	}
	if err := flow.Check(cmd.Connection, binding, s.now()); err != nil {
		return out, org, err
	}
	if cerr != nil {
		return out, org, cerr
	}
	if c.Kind() != sso.KindOIDC {
		return out, org, sso.ErrStateInvalid
	}
	if cmd.Error != "" {
		if cmd.Error == "access_denied" {
			return out, org, sso.ErrConsentDenied
		}
		return out, org, sso.ErrProviderError
	}
	if cmd.Code == "" {
		return out, org, sso.ErrProviderError
	}
	cfg, err := s.oidcConfig(ctx, c)
	if err != nil {
		return out, org, err
	}
	profile, err := s.d.OIDC.Exchange(ctx, cfg, cmd.Code, ssoport.AuthRequest{Nonce: sp.Nonce, Verifier: sp.Verifier})
	if err != nil {
		s.d.Log.WarnContext(ctx, "sso sign-in refused by the identity provider step", "connection", c.ID().String(), "error", err.Error())
		return out, org, err
	}
	if profile.Email == "" {
		return out, org, sso.ErrEmailMissing
	}
	email, problem := shared.ParseEmail(profile.Email)
	if problem != "" || !c.Covers(email.String()) {
		return out, org, sso.ErrEmailOutsideDomains
	}
	// Only an address in a domain the organization verified is taken as
	// proven by its identity provider.
	verified, err := s.DomainVerified(ctx, org, sso.EmailDomain(email.String()))
	if err != nil {
		return out, org, err
	}
	if !verified {
		return out, org, sso.ErrEmailOutsideDomains
	}
	res, err := s.signIn(ctx, c, sp.Delivery, profile.Subject, email.String(), profile.Name)
	if err != nil {
		return out, org, err
	}
	res.ReturnTo, res.Foreign = out.ReturnTo, out.Foreign
	return res, org, nil
}

// signIn, in one unit of work: finds the account linked to the subject or
// opens one (just in time), links the identity, makes the account a
// member with the connection's default role, and starts the session (or
// issues the login code), with their audit records.
func (s *Service) signIn(ctx context.Context, c *sso.Connection, delivery shared.Delivery, subject, email, name string) (ssoport.Completion, error) {
	m, err := methodOf(c)
	if err != nil {
		return ssoport.Completion{}, err
	}
	var out ssoport.Completion
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		out = ssoport.Completion{}
		now := s.now()
		user, created, err := s.accountOf(ctx, c, subject, email, name, now)
		if err != nil {
			return err
		}
		joined := true
		switch err := s.d.Members.JoinThroughSSO(ctx, c.Organization(), user.ID, c.DefaultRole().String()); {
		case codeOf(err) == "organizations.already_member":
			joined = false
		case err != nil:
			return fmt.Errorf("join the organization: %w", err)
		}
		details := map[string]any{"connection_id": c.ID().String(), "delivery": delivery.String(), "account_created": created, "joined": joined}
		if created {
			if err := s.d.Audit.Record(ctx, s.userEvent(ActionUserProvisioned, c, user.ID, map[string]any{
				"connection_id": c.ID().String(), "role": c.DefaultRole().String(),
			}, now)); err != nil {
				return fmt.Errorf("audit: %w", err)
			}
		}
		if delivery == shared.DeliverCode {
			code, err := s.d.LoginCodes.IssueLoginCode(ctx, user.ID, m.Name(), m.AMR())
			if err != nil {
				return err
			}
			out.LoginCode = code
		} else {
			var ch *identityport.LoginChallenge
			if sf := s.secondFactor(); sf != nil {
				if ch, err = sf.ChallengeLogin(ctx, user.ID, m); err != nil {
					return err
				}
			}
			if ch != nil {
				out.MFA = ch
				details["mfa_required"] = true
			} else {
				issued, err := s.d.Sessions.Start(ctx, user.ID, m)
				if err != nil {
					return fmt.Errorf("start session: %w", err)
				}
				out.Session = issued
				details["session_id"] = issued.Session.ID.String()
			}
		}
		if err := s.d.Audit.Record(ctx, s.userEvent(ActionSignInSucceeded, c, user.ID, details, now)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		out.User, out.Created, out.Joined = user, created, joined
		return nil
	})
	if err != nil {
		return ssoport.Completion{}, fmt.Errorf("sso sign-in: %w", err)
	}
	return out, nil
}

// accountOf returns the account the subject is linked to (refreshing what
// the provider asserted), or links the account holding email when that
// account verified it, or opens an account with email verified (its
// domain is a verified domain of the connection's organization). An
// account that holds email without having verified it is
// sso.ErrAccountExists: whoever registered the address first must not
// receive the organization's sign-ins.
func (s *Service) accountOf(ctx context.Context, c *sso.Connection, subject, email, name string, now time.Time) (identityport.UserSummary, bool, error) {
	known, err := s.d.Identities.Find(ctx, c.ID(), subject)
	switch {
	case err == nil:
		users, err := s.d.Directory.GetMany(ctx, []shared.UserID{known.User()})
		if err != nil {
			return identityport.UserSummary{}, false, err
		}
		if u, ok := users[known.User()]; ok {
			known.SignedIn(email, name, now)
			if err := s.d.Identities.Save(ctx, known); err != nil {
				return identityport.UserSummary{}, false, err
			}
			// The provider is the source of the person's name, and of the
			// address within the organization's own domains.
			if u, err = s.refreshEmail(ctx, c, u, email, now); err != nil {
				return identityport.UserSummary{}, false, err
			}
			if name != "" && name != u.Name {
				if err := s.d.Accounts.RefreshProvisionedName(ctx, u.ID, name); err != nil {
					return identityport.UserSummary{}, false, err
				}
				u.Name = name
			}
			return u, false, nil
		}
		// The account is gone: its link opens nothing, and the person is
		// provisioned again below.
		if err := s.d.Identities.Delete(ctx, known.ID()); err != nil {
			return identityport.UserSummary{}, false, err
		}
	case !errors.Is(err, sso.ErrIdentityNotFound):
		return identityport.UserSummary{}, false, err
	}
	user, created := identityport.UserSummary{}, false
	existing, err := s.d.Directory.FindByEmail(ctx, email)
	switch {
	case err == nil:
		if !existing.EmailVerified {
			return identityport.UserSummary{}, false, sso.ErrAccountExists
		}
		user = existing
	case shared.KindOf(err) != shared.KindNotFound:
		return identityport.UserSummary{}, false, err
	default:
		if user, err = s.d.Accounts.CreateProvisionedUser(ctx, identityport.ExternalUserCommand{
			Email: email, EmailVerified: true, Name: name, Provider: providerSSO,
		}); err != nil {
			return identityport.UserSummary{}, false, err
		}
		created = true
	}
	i, err := sso.LinkIdentity(s.d.NewID(), c.ID(), user.ID, subject, email, name, now)
	if err != nil {
		return identityport.UserSummary{}, false, err
	}
	if err := s.d.Identities.Add(ctx, i); err != nil {
		return identityport.UserSummary{}, false, err
	}
	by := "verified_email"
	if created {
		by = "new_account"
	}
	if err := s.d.Audit.Record(ctx, s.userEvent(ActionIdentityLinked, c, user.ID, map[string]any{
		"connection_id": c.ID().String(), "identity_id": i.ID().String(), "by": by,
	}, now)); err != nil {
		return identityport.UserSummary{}, false, fmt.Errorf("audit: %w", err)
	}
	return user, created, nil
}

// Why a later sign-in left the account's address as it was, in its
// auth.sso.email_not_updated record.
const (
	reasonEmailTaken        = "email_taken"
	reasonAddressNotManaged = "address_not_managed"
)

// refreshEmail gives u the address email its identity provider asserted
// at a later sign-in through c (the caller checked that email is in one of
// c's domains that c's organization verified). The address is taken only
// when the account's current address is also in a domain that organization
// verified (an organization manages its own domain's addresses, not one
// its member moved the account to, nor another organization's) and no
// other account holds it: an identity provider asserting someone else's
// address must not take that address from its holder, nor give its
// holder's sign-ins to this account. A refused update is recorded
// (auth.sso.email_not_updated with the reason, never an address) and the
// sign-in goes on with the address the account had: the person proved who
// they are through the subject, which the refusal does not put in doubt.
func (s *Service) refreshEmail(ctx context.Context, c *sso.Connection, u identityport.UserSummary, email string, now time.Time) (identityport.UserSummary, error) {
	if strings.EqualFold(u.Email, email) && u.EmailVerified {
		return u, nil
	}
	details := map[string]any{"connection_id": c.ID().String()}
	refuse := func(reason string) (identityport.UserSummary, error) {
		details["reason"] = reason
		if err := s.d.Audit.Record(ctx, s.userEvent(ActionEmailNotUpdated, c, u.ID, details, now)); err != nil {
			return identityport.UserSummary{}, fmt.Errorf("audit: %w", err)
		}
		return u, nil
	}
	managed, err := s.DomainVerified(ctx, c.Organization(), sso.EmailDomain(strings.ToLower(u.Email)))
	if err != nil {
		return identityport.UserSummary{}, err
	}
	if !managed {
		return refuse(reasonAddressNotManaged)
	}
	switch other, err := s.d.Directory.FindByEmail(ctx, email); {
	case err == nil && other.ID != u.ID:
		return refuse(reasonEmailTaken)
	case err != nil && shared.KindOf(err) != shared.KindNotFound:
		return identityport.UserSummary{}, err
	}
	changed, err := s.d.Accounts.RefreshProvisionedEmail(ctx, identityport.ProvisionedEmailCommand{
		User: u.ID, Email: email, Details: map[string]any{"via": "sso", "connection_id": c.ID().String()},
	})
	if err != nil {
		return identityport.UserSummary{}, fmt.Errorf("refresh the email: %w", err)
	}
	if changed || !u.EmailVerified {
		u.Email, u.EmailVerified = email, true
	}
	return u, nil
}

func (s *Service) userEvent(action string, c *sso.Connection, user shared.UserID, details map[string]any, at time.Time) auditport.Event {
	return auditport.Event{
		Action: action, ActorType: auditport.ActorUser, ActorID: user.String(), OrganizationID: c.Organization().String(),
		TargetType: "user", TargetID: user.String(), Details: details, OccurredAt: at,
	}
}

// recordFailure writes the record of a refused sign-in outside any unit of
// work (it changed nothing); a failure to write is logged, not returned.
func (s *Service) recordFailure(ctx context.Context, connection uuid.UUID, org shared.OrganizationID, reason string) {
	ev := auditport.Event{
		Action: ActionSignInFailed, ActorType: auditport.ActorAnonymous, OccurredAt: s.now(),
		Details: map[string]any{"connection_id": connection.String(), "reason": reason},
	}
	if !org.IsZero() {
		ev.OrganizationID, ev.TargetType, ev.TargetID = org.String(), "sso_connection", connection.String()
	}
	if err := s.d.Audit.Record(ctx, ev); err != nil {
		s.d.Log.ErrorContext(ctx, "audit record of a failed sso sign-in lost", "reason", reason, "error", err.Error())
	}
}

// cleanupBatch bounds one delete of expired flows.
const cleanupBatch = 1000

// Cleanup removes the flows that expired (a callback after expiry is
// refused anyway; this only frees their rows) and says how many.
func (s *Service) Cleanup(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.d.Flows.DeleteExpired(ctx, s.now(), cleanupBatch)
		total += n
		if err != nil || n < cleanupBatch {
			return total, err
		}
	}
}
