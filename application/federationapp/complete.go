package federationapp

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// amrFederated is the amr value of a sign-in through another identity
// provider.
const amrFederated = "fed"

// reasonLinkNeedsSignIn names a first sign-in whose address an account
// holds without both sides vouching for it (federation.ErrLinkRequiresSignIn,
// whose records kept this name).
const reasonLinkNeedsSignIn = "email_match_unverified"

// reasonOf names err in an auth.external.failed record: a federation
// error by its code without "federation." (state_invalid, …), as the sso
// context names its own.
func reasonOf(err error) string {
	if errors.Is(err, federation.ErrLinkRequiresSignIn) {
		return reasonLinkNeedsSignIn
	}
	return shared.RefusalReason(err, "federation")
}

// Complete implements federationport.Service.
func (s *Service) Complete(ctx context.Context, cmd federationport.CallbackCommand) (federationport.Completion, error) {
	out, linkUser, err := s.complete(ctx, cmd)
	if err != nil {
		if shared.KindOf(err) != shared.KindUnknown {
			s.recordFailure(ctx, boundedName(cmd.Provider), reasonOf(err), linkUser)
		}
		return federationport.Completion{ReturnTo: out.ReturnTo, Delivery: out.Delivery, Link: out.Link}, err
	}
	return out, nil
}

// boundedName keeps a provider name from the URL fit for an audit record.
func boundedName(s string) string {
	if _, err := federation.ParseProviderName(s); err != nil {
		return "invalid"
	}
	return s
}

func (s *Service) complete(ctx context.Context, cmd federationport.CallbackCommand) (federationport.Completion, string, error) {
	up, err := s.provider(cmd.Provider)
	if err != nil {
		return federationport.Completion{}, "", err
	}
	if cmd.State == "" {
		return federationport.Completion{}, "", federation.ErrStateInvalid
	}
	// Taking the flow spends it: whatever happens next, this state cannot
	// be presented again.
	flow, err := s.flows.Take(ctx, digest(cmd.State))
	if err != nil {
		return federationport.Completion{}, "", fmt.Errorf("complete: %w", err)
	}
	out := federationport.Completion{ReturnTo: flow.ReturnTo(), Delivery: flow.Delivery(), Link: !flow.LinkTo().IsZero()}
	var linkUser string
	if !flow.LinkTo().IsZero() {
		linkUser = flow.LinkTo().String()
	}
	binding := ""
	if cmd.Binding != "" {
		binding = digest(cmd.Binding)
	}
	if err := flow.Check(up.Name(), binding, s.now()); err != nil {
		return out, linkUser, err
	}
	if cmd.Error != "" {
		if cmd.Error == "access_denied" {
			return out, linkUser, federation.ErrConsentDenied
		}
		return out, linkUser, federation.ErrProviderError
	}
	if cmd.Code == "" {
		return out, linkUser, federation.ErrProviderError
	}
	sp := flow.Spec()
	profile, err := up.Exchange(ctx, federationport.ExchangeRequest{
		Code: cmd.Code, Nonce: sp.Nonce, Verifier: sp.Verifier, Session: sp.ProviderSession,
	})
	if err != nil {
		s.log.WarnContext(ctx, "external sign-in refused by the provider step", "provider", up.Name().String(), "error", err.Error())
		return out, linkUser, err
	}
	if !flow.LinkTo().IsZero() {
		res, err := s.link(ctx, up, flow.LinkTo(), profile)
		if err != nil {
			return out, linkUser, err
		}
		res.ReturnTo, res.Delivery, res.Link = out.ReturnTo, out.Delivery, true
		return res, linkUser, nil
	}
	if err := s.checkGate(ctx, profile.Email); err != nil {
		return out, "", err
	}
	res, err := s.signIn(ctx, up, flow.Delivery(), profile)
	if err != nil {
		return out, "", err
	}
	res.ReturnTo, res.Delivery = out.ReturnTo, out.Delivery
	return res, "", nil
}

// method is the session method of a sign-in through up.
func method(up federationport.Upstream) (sessionsport.AuthMethod, error) {
	return sessionsport.ParseAuthMethod(federation.MethodName(up.Kind(), up.Name()), []string{amrFederated})
}

// signIn finds or creates the user of profile and, in one unit of work,
// updates or links the identity and starts the session (or issues the
// login code) with its audit records.
func (s *Service) signIn(ctx context.Context, up federationport.Upstream, delivery shared.Delivery, profile federation.Profile) (federationport.Completion, error) {
	m, err := method(up)
	if err != nil {
		return federationport.Completion{}, err
	}
	var out federationport.Completion
	err = s.uow.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		user, created, err := s.userOf(ctx, up, profile, now)
		if err != nil {
			return err
		}
		if user.Email != profile.Email {
			if err := s.checkGate(ctx, user.Email); err != nil {
				return err
			}
		}
		details := map[string]any{"provider": up.Name().String(), "delivery": delivery.String()}
		if created {
			details["account_created"] = true
		}
		if delivery == shared.DeliverCode {
			code, err := s.newSecret()
			if err != nil {
				return err
			}
			lc, err := federation.IssueLoginCode(digest(code), user.ID, m.Name(), m.AMR(), now)
			if err != nil {
				return err
			}
			if err := s.codes.Put(ctx, lc); err != nil {
				return err
			}
			out.LoginCode = code
		} else if ch, err := s.challenge(ctx, user.ID, m); err != nil {
			return err
		} else if ch != nil {
			out.MFA = ch
			details["mfa_required"] = true
		} else {
			issued, err := s.sessions.Start(ctx, user.ID, m)
			if err != nil {
				return fmt.Errorf("start session: %w", err)
			}
			out.Session = issued
			details["session_id"] = issued.Session.ID.String()
		}
		if err := s.audit.Record(ctx, userEvent(actionSucceeded, user.ID.String(), details, now)); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		out.Outcome, out.User, out.Created = federationport.OutcomeSignedIn, user, created
		return nil
	})
	if err != nil {
		return federationport.Completion{}, fmt.Errorf("external sign-in: %w", err)
	}
	return out, nil
}

// userOf returns the user an identity belongs to, refreshing what the
// provider asserts; for an unknown identity it links the account with the
// same email when both sides vouch for the address, or opens an account.
func (s *Service) userOf(ctx context.Context, up federationport.Upstream, profile federation.Profile, now time.Time) (identityport.UserSummary, bool, error) {
	known, err := s.identities.FindBySubject(ctx, up.Name(), profile.Subject)
	switch {
	case err == nil:
		if _, err := s.identities.Update(ctx, known.ID(), func(i *federation.ExternalIdentity) error { return i.SignedIn(profile, now) }); err != nil {
			return identityport.UserSummary{}, false, err
		}
		return s.live(ctx, known.UserID())
	case !errors.Is(err, federation.ErrIdentityNotFound):
		return identityport.UserSummary{}, false, err
	}
	if profile.Email == "" {
		return identityport.UserSummary{}, false, federation.ErrEmailMissing
	}
	existing, err := s.directory.FindByEmail(ctx, profile.Email)
	switch {
	case err == nil:
		// Linking by email hands the account to whoever controls the
		// provider's account: only when the provider proves the address
		// and the account proved it too.
		if !profile.EmailVerified || !existing.EmailVerified {
			return identityport.UserSummary{}, false, federation.ErrLinkRequiresSignIn
		}
		if err := s.addIdentity(ctx, up, existing.ID, profile, now, "verified_email"); err != nil {
			return identityport.UserSummary{}, false, err
		}
		return existing, false, nil
	case shared.KindOf(err) != shared.KindNotFound:
		return identityport.UserSummary{}, false, err
	}
	created, err := s.accounts.CreateExternalUser(ctx, identityport.ExternalUserCommand{
		Email: profile.Email, EmailVerified: profile.EmailVerified, Name: profile.Name, Provider: up.Name().String(),
	})
	if err != nil {
		return identityport.UserSummary{}, false, err
	}
	if err := s.addIdentity(ctx, up, created.ID, profile, now, "new_account"); err != nil {
		return identityport.UserSummary{}, false, err
	}
	return created, true, nil
}

func (s *Service) live(ctx context.Context, user shared.UserID) (identityport.UserSummary, bool, error) {
	users, err := s.directory.GetMany(ctx, []shared.UserID{user})
	if err != nil {
		return identityport.UserSummary{}, false, err
	}
	u, ok := users[user]
	if !ok {
		// A deleted account's identities go with it; one left behind
		// opens nothing.
		return identityport.UserSummary{}, false, federation.ErrIdentityNotFound
	}
	return u, false, nil
}

func (s *Service) addIdentity(ctx context.Context, up federationport.Upstream, user shared.UserID, profile federation.Profile, now time.Time, by string) error {
	i, err := federation.LinkIdentity(s.newID(), user, up.Name(), profile, now)
	if err != nil {
		return err
	}
	if err := s.identities.Add(ctx, i); err != nil {
		return err
	}
	return s.audit.Record(ctx, userEvent(actionLinked, user.String(), map[string]any{
		"provider": up.Name().String(), "identity_id": i.ID().String(), "by": by,
	}, now))
}

// link adds the identity to the signed-in user who started the flow.
func (s *Service) link(ctx context.Context, up federationport.Upstream, user shared.UserID, profile federation.Profile) (federationport.Completion, error) {
	var out federationport.Completion
	err := s.uow.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		summary, _, err := s.live(ctx, user)
		if err != nil {
			return err
		}
		known, err := s.identities.FindBySubject(ctx, up.Name(), profile.Subject)
		switch {
		case err == nil && known.UserID() != user:
			return federation.ErrIdentityTaken
		case err == nil:
			if _, err := s.identities.Update(ctx, known.ID(), func(i *federation.ExternalIdentity) error { return i.SignedIn(profile, now) }); err != nil {
				return err
			}
		case errors.Is(err, federation.ErrIdentityNotFound):
			if err := s.addIdentity(ctx, up, user, profile, now, "explicit"); err != nil {
				return err
			}
		default:
			return err
		}
		out = federationport.Completion{Outcome: federationport.OutcomeLinked, User: summary}
		return nil
	})
	if err != nil {
		return federationport.Completion{}, fmt.Errorf("link identity: %w", err)
	}
	return out, nil
}
