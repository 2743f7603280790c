package oauthapp

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// The audit actions of the browser flow.
const (
	ActionConsentGranted   = "oauth.consent.granted"
	ActionConsentRevoked   = "oauth.consent.revoked"
	ActionAuthorizeDenied  = "oauth.authorize.denied"
	ActionCodeReplayed     = "oauth.code.replayed"
	ActionRefreshReused    = "oauth.refresh_token.reused"
	scopeOpenID            = "openid"
	scopeProfile           = "profile"
	scopeEmail             = "email"
	scopeOrganizations     = "organizations"
	maxClaimsOrganizations = 100
)

// AuthorizationDeps are the ports of the browser flow.
type AuthorizationDeps struct {
	Clients    oauthport.ClientRepository
	Consents   oauthport.ConsentRepository
	Revoker    oauthport.GrantRevoker
	Directory  oauthport.UserDirectory
	UnitOfWork platformport.UnitOfWork
	Recorder   auditport.Recorder
	Clock      platformport.Clock
}

// Authorization implements oauthport.Authorizer and oauthport.Consents.
type Authorization struct{ d AuthorizationDeps }

var (
	_ oauthport.Authorizer = (*Authorization)(nil)
	_ oauthport.Consents   = (*Authorization)(nil)
)

// NewAuthorization checks d and returns the browser flow's use cases.
func NewAuthorization(d AuthorizationDeps) (*Authorization, error) {
	if d.Clients == nil || d.Consents == nil || d.Revoker == nil || d.Directory == nil || d.UnitOfWork == nil ||
		d.Recorder == nil || d.Clock == nil {
		return nil, errors.New("oauthapp: clients, consents, revoker, directory, unit of work, recorder and clock are required")
	}
	return &Authorization{d: d}, nil
}

// SessionSuffices is where a sign-in step decides whether the browser's
// session is good enough for a request: prompt=login wants a sign-in after
// the request arrived, max_age one at most that long before it arrived
// (so max_age=0 asks for a fresh sign-in, as prompt=login does, and the
// sign-in it leads to satisfies it). Both compare the full instants: a
// sign-in earlier within the request's second is still before it.
//
// acr_values naming ACRMultiFactor wants a session whose sign-in passed a
// second factor: a session without one signs in again, and an account with
// a factor cannot sign in without it. An account without any factor signs
// in with its password, and that fresh sign-in is accepted (its ID token
// says acr 1fa; acr_values is a preference, and the relying party decides
// what a one-factor sign-in may do), so the request never loops.
func SessionSuffices(p sessionsport.Principal, r oauthport.AuthorizeRequest) bool {
	if slices.Contains(r.ACRValues, oauthport.ACRMultiFactor) && ACR(p.Method) != oauthport.ACRMultiFactor && p.AuthTime.Before(r.ArrivedAt) {
		return false
	}
	if slices.Contains(r.Prompt, oauthport.PromptLogin) && p.AuthTime.Before(r.ArrivedAt) {
		return false
	}
	if r.HasMaxAge && r.ArrivedAt.Sub(p.AuthTime) > r.MaxAge {
		return false
	}
	return true
}

// ACR is the acr claim of a session, from how it was authenticated.
func ACR(m sessionsport.AuthMethod) string {
	if slices.Contains(m.AMR(), "mfa") {
		return oauthport.ACRMultiFactor
	}
	return oauthport.ACRSingleFactor
}

// Decide implements oauthport.Authorizer.
func (a *Authorization) Decide(ctx context.Context, r oauthport.AuthorizeRequest) (oauthport.AuthorizeDecision, error) {
	if r.Session == nil || !SessionSuffices(*r.Session, r) {
		return oauthport.AuthorizeDecision{Step: oauthport.StepSignIn}, nil
	}
	if !r.Client.FirstParty {
		missing := r.Scopes
		if !slices.Contains(r.Prompt, oauthport.PromptConsent) {
			c, err := a.d.Consents.Get(ctx, r.Session.UserID, r.Client.ID)
			switch {
			case errors.Is(err, oauthport.ErrConsentNotFound):
			case err != nil:
				return oauthport.AuthorizeDecision{}, fmt.Errorf("read consent: %w", err)
			default:
				missing = nil
				for _, s := range r.Scopes {
					if !slices.Contains(c.Scopes, s) {
						missing = append(missing, s)
					}
				}
			}
		}
		if len(missing) > 0 || slices.Contains(r.Prompt, oauthport.PromptConsent) {
			return oauthport.AuthorizeDecision{Step: oauthport.StepConsent, Missing: missing}, nil
		}
	}
	return a.issue(ctx, r)
}

// issue builds the grant of a request whose session and consent suffice.
func (a *Authorization) issue(ctx context.Context, r oauthport.AuthorizeRequest) (oauthport.AuthorizeDecision, error) {
	p := *r.Session
	claims, err := a.claims(ctx, p.UserID, r.Scopes)
	if err != nil {
		return oauthport.AuthorizeDecision{}, err
	}
	return oauthport.AuthorizeDecision{Step: oauthport.StepIssue, Grant: oauthport.Grant{
		Subject: p.UserID, SessionID: p.SessionID, Scopes: append([]string(nil), r.Scopes...),
		AuthTime: p.AuthTime, AMR: p.Method.AMR(), ACR: ACR(p.Method), Claims: claims,
	}}, nil
}

// Consent implements oauthport.Authorizer.
func (a *Authorization) Consent(ctx context.Context, d oauthport.ConsentDecision) (oauthport.AuthorizeDecision, error) {
	r := d.Request
	if r.Session == nil {
		return oauthport.AuthorizeDecision{}, errors.New("consent without a session")
	}
	now := a.d.Clock.Now()
	if !SessionSuffices(*r.Session, r) {
		return oauthport.AuthorizeDecision{Step: oauthport.StepSignIn}, nil
	}
	ev := a.event(r, now)
	if !d.Allow {
		ev.Action = ActionAuthorizeDenied
		ev.Details = map[string]any{"scopes": r.Scopes, "reason": "consent_denied"}
		if err := a.d.Recorder.Record(ctx, ev); err != nil {
			return oauthport.AuthorizeDecision{}, fmt.Errorf("record denial: %w", err)
		}
		return oauthport.AuthorizeDecision{}, oauth.ErrAccessDenied
	}
	ev.Action = ActionConsentGranted
	ev.Details = map[string]any{"scopes": r.Scopes}
	err := a.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		if err := a.d.Consents.Grant(ctx, r.Session.UserID, r.Client.ID, r.Scopes, now); err != nil {
			return err
		}
		return a.d.Recorder.Record(ctx, ev)
	})
	if err != nil {
		return oauthport.AuthorizeDecision{}, fmt.Errorf("record consent: %w", err)
	}
	return a.issue(ctx, r)
}

func (a *Authorization) event(r oauthport.AuthorizeRequest, now time.Time) auditport.Event {
	return auditport.Event{
		ActorType: auditport.ActorUser, ActorID: r.Session.UserID.String(),
		OrganizationID: r.Client.Organization.String(), TargetType: TargetClient, TargetID: r.Client.ID, OccurredAt: now,
	}
}

// UserInfo implements oauthport.Authorizer.
func (a *Authorization) UserInfo(ctx context.Context, user shared.UserID, scopes []string) (map[string]any, error) {
	return a.claims(ctx, user, scopes)
}

// claims are the standard claims of the scopes (OpenID Connect Core
// §5.4), plus the user's organizations with their role for the
// organizations scope.
func (a *Authorization) claims(ctx context.Context, user shared.UserID, scopes []string) (map[string]any, error) {
	out := map[string]any{"sub": user.String()}
	if slices.Contains(scopes, scopeProfile) || slices.Contains(scopes, scopeEmail) {
		p, err := a.d.Directory.Profile(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("user profile: %w", err)
		}
		if slices.Contains(scopes, scopeProfile) {
			out["name"] = p.Name
		}
		if slices.Contains(scopes, scopeEmail) {
			out["email"], out["email_verified"] = p.Email, p.EmailVerified
		}
	}
	if slices.Contains(scopes, scopeOrganizations) {
		orgs, err := a.d.Directory.Organizations(ctx, user)
		if err != nil {
			return nil, fmt.Errorf("user organizations: %w", err)
		}
		list := make([]map[string]any, 0, min(len(orgs), maxClaimsOrganizations))
		for _, o := range orgs[:min(len(orgs), maxClaimsOrganizations)] {
			list = append(list, map[string]any{"id": o.ID.String(), "name": o.Name, "role": o.Role})
		}
		out["organizations"] = list
	}
	return out, nil
}

// ListConsents implements oauthport.Consents.
func (a *Authorization) ListConsents(ctx context.Context, user shared.UserID) ([]oauthport.ConsentView, error) {
	cs, err := a.d.Consents.List(ctx, user)
	if err != nil {
		return nil, err
	}
	out := make([]oauthport.ConsentView, 0, len(cs))
	for _, c := range cs {
		v := oauthport.ConsentView{ClientID: c.ClientID, Scopes: c.Scopes, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
		if id, reason := oauth.ParseClientID(c.ClientID); reason == "" {
			if cl, err := a.d.Clients.Get(ctx, id); err == nil {
				v.ClientName = cl.Name()
			} else if !errors.Is(err, oauth.ErrClientNotFound) {
				return nil, err
			}
		}
		out = append(out, v)
	}
	return out, nil
}

// RevokeConsent implements oauthport.Consents: the consent, the client's
// grants of the user and the audit record commit together.
func (a *Authorization) RevokeConsent(ctx context.Context, user shared.UserID, clientID string) error {
	id, reason := oauth.ParseClientID(clientID)
	if reason != "" {
		return oauthport.ErrConsentNotFound
	}
	org := ""
	if c, err := a.d.Clients.Get(ctx, id); err == nil {
		org = c.Organization().String()
	} else if !errors.Is(err, oauth.ErrClientNotFound) {
		return err
	}
	return a.d.UnitOfWork.Transaction(ctx, func(ctx context.Context) error {
		found, err := a.d.Consents.Delete(ctx, user, clientID)
		if err != nil {
			return err
		}
		if !found {
			return oauthport.ErrConsentNotFound
		}
		if err := a.d.Revoker.RevokeSubjectGrants(ctx, clientID, user.String()); err != nil {
			return err
		}
		return a.d.Recorder.Record(ctx, auditport.Event{
			Action: ActionConsentRevoked, ActorType: auditport.ActorUser, ActorID: user.String(), OrganizationID: org,
			TargetType: TargetClient, TargetID: clientID, OccurredAt: a.d.Clock.Now(),
		})
	})
}

// Reused implements oauthport.Authorizer: a replayed code or reused
// refresh token, with the client as actor (the request came from it, or
// from whoever stole the credential).
func (a *Authorization) Reused(ctx context.Context, r oauthport.TokenReuse) error {
	action := ActionRefreshReused
	if r.Kind == "authorization_code" {
		action = ActionCodeReplayed
	}
	ev := auditport.Event{
		Action: action, ActorType: actorClient, ActorID: r.Client.ID, OrganizationID: r.Client.Organization.String(),
		TargetType: TargetClient, TargetID: r.Client.ID, OccurredAt: a.d.Clock.Now(),
		Details: map[string]any{"grant": r.RequestID, "subject": r.Subject},
	}
	if err := a.d.Recorder.Record(ctx, ev); err != nil {
		return fmt.Errorf("record token reuse: %w", err)
	}
	return nil
}
