package bootstrap

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/sessionsport"
)

// identityWiring is what the identity and sessions contexts hand to the
// contexts wired after them.
type identityWiring struct {
	Auth      sessionsport.Authenticator
	Directory identityport.Directory
	// Service is the identity use-case API (the seed command uses it).
	Service identityport.Service
	// External opens accounts for external sign-ins (federation).
	External identityport.ExternalAccounts
	// AddRegistrationListener and SetDeletionGuard let later contexts hook
	// into registration and account deletion before the server starts.
	AddRegistrationListener func(identityport.RegistrationListener)
	SetDeletionGuard        func(identityport.DeletionGuard)
	// AddEmailProofListener lets them react to a proof of an account's
	// address.
	AddEmailProofListener func(identityport.EmailProofListener)
	// SetSecondFactor makes password logins ask for a second factor.
	SetSecondFactor func(identityport.SecondFactor)
	// SetStepUpGuard makes sensitive account changes need a recent
	// sign-in or factor check.
	SetStepUpGuard func(identityport.StepUpGuard)
	// SetSignInGate lets single sign-on refuse password sign-ins of the
	// addresses an enforced connection covers.
	SetSignInGate func(identityport.SignInGate)
}

// mountContexts wires each bounded context's outbound adapters, application
// service and routes under /api/v1, one explicit call per context, in
// dependency order: audit's recorder first (every context records), the
// mail outbox (every context may mail), then identity and sessions,
// organizations, contact, and the routes that need several of them.
func (a *App) mountContexts(api fiber.Router) error {
	rec, err := a.wireAuditRecorder()
	if err != nil {
		return err
	}
	mailer, err := a.wireMail()
	if err != nil {
		return err
	}
	sessions, err := a.wireSessions(api, rec)
	if err != nil {
		return err
	}
	idw, err := a.wireIdentity(api, rec, sessions, mailer)
	if err != nil {
		return err
	}
	// Every context that owns something of a user's guards the deletion.
	guards := &deletionGuards{}
	idw.SetDeletionGuard(guards)
	idw.SetDeletionGuard = guards.add
	orgs, err := a.wireOrganizations(api, rec, idw, mailer)
	if err != nil {
		return err
	}
	if a.mfa, err = a.wireMFA(api, rec, idw, sessions, mailer); err != nil {
		return err
	}
	policy, ok := orgs.(interface {
		SetFactorEnrolment(organizationsport.FactorEnrolment)
	})
	if !ok {
		return errors.New("wire mfa: organizations cannot enforce a multi-factor policy")
	}
	policy.SetFactorEnrolment(a.mfa)
	// Every sign-in then names the organizations that require a factor
	// its user has not enrolled, so the user is asked to enrol.
	due, ok := orgs.(sessionsport.EnrolmentPolicy)
	enrol, ok2 := sessions.(interface {
		SetEnrolmentPolicy(sessionsport.EnrolmentPolicy)
	})
	if !ok || !ok2 {
		return errors.New("wire mfa: sign-ins cannot name the organizations that require a factor")
	}
	enrol.SetEnrolmentPolicy(due)
	if err := a.wirePasskeys(api, rec, idw, sessions, a.mfa); err != nil {
		return err
	}
	if a.federation, err = a.wireFederation(api, rec, idw, sessions); err != nil {
		return err
	}
	// A sign-in through a provider asks for the account's second factor
	// like a password sign-in.
	a.federation.SetSecondFactor(a.mfa)
	a.identity, a.organizations = idw.Service, orgs
	if err := a.wireContact(api, rec, mailer); err != nil {
		return err
	}
	if err := a.wireOAuth(api, rec, idw.Auth, orgs, oauthBrowserDeps{sessions: sessions, identity: idw.Service, organizations: orgs}); err != nil {
		return err
	}
	sso, err := a.wireSSO(api, rec, idw, sessions, orgs)
	if err != nil {
		return err
	}
	// A session through an organization's connection whose identity
	// provider enforces MFA meets that organization's policy.
	federated, ok := orgs.(interface {
		SetFederatedMFA(organizationsport.FederatedMFA)
	})
	if !ok {
		return errors.New("wire sso: organizations cannot accept a connection's MFA")
	}
	federated.SetFederatedMFA(sso)
	a.sso = sso
	if a.passkeys != nil {
		// Enforced single sign-on covers passwordless sign-in too.
		a.passkeys.SetSignInGate(sso)
	}
	sso.SetSecondFactor(a.mfa)
	if err := a.wireProvisioning(api, rec, idw, sessions, orgs, sso); err != nil {
		return err
	}
	return a.mountAudit(api, idw.Auth, orgs)
}
