package bootstrap

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/passkeyhttp"
	"github.com/secuird/authy/adapters/pgstore/passkeypg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/mfaapp"
	"github.com/secuird/authy/application/passkeyapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/sessionsport"
)

// wirePasskeys builds WebAuthn passkeys on the app's database (passkeys
// and ceremonies join one transaction with the sessions and audit records
// they touch), the relying party of PUBLIC_URL (disabled, with a warning,
// when its host is an IP address), the shared rate limiter, and mfa's
// step-up check and second step; hooks it into account deletion and
// makes passkeys a factor of mfa's login challenge and mounts its routes.
func (a *App) wirePasskeys(api fiber.Router, rec auditport.Recorder, id identityWiring, sessions sessionsport.Service, mfa *mfaapp.Service) error {
	if rec == nil || sessions == nil || mfa == nil || id.Service == nil || id.Auth == nil || id.SetDeletionGuard == nil {
		return errors.New("wire passkeys: the recorder, sessions, mfa and identity are required")
	}
	if a.limiter == nil {
		return errors.New("wire passkeys: the rate limiter is required")
	}
	rp, err := security.NewRelyingParty(a.cfg.PublicURL, "Authy")
	if err != nil {
		return fmt.Errorf("wire passkeys: %w", err)
	}
	if !rp.Enabled() {
		a.log.Warn("passkeys are disabled: PUBLIC_URL names an IP address, and a WebAuthn relying party id must be a domain", "public_url", a.cfg.PublicURL)
	}
	store := passkeypg.New(a.db)
	svc, err := passkeyapp.New(passkeyapp.Deps{
		UnitOfWork: a.db, Credentials: store.Credentials(), Ceremonies: store.Ceremonies(), Tokens: security.PasskeyCeremonies{},
		RelyingParty: rp, StepUp: mfa, Accounts: id.Service, Sessions: sessions, Recorder: rec, Clock: a.clock,
		Limiter: a.limiter, SecondFactor: mfa, Log: a.log.With("component", "passkey"),
	})
	if err != nil {
		return fmt.Errorf("wire passkeys: %w", err)
	}
	id.SetDeletionGuard(svc)
	// A login challenge also accepts one of the account's passkeys.
	mfa.SetSecurityKeys(svc)
	if rp.Enabled() {
		a.passkeys = svc
	}
	passkeyhttp.Register(api, svc, id.Auth)
	return nil
}
