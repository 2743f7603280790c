package bootstrap

import (
	"context"
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/mfahttp"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore/mfapg"
	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/mfaapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// jobPurgeMFAChallenges names the job that deletes expired login
// challenges.
const jobPurgeMFAChallenges = "purge_mfa_challenges"

// wireMFA builds multi-factor sign-in on the app's database (factors,
// recovery codes, challenges and step-ups join one transaction with the
// sessions, mail and audit records they touch), TOTP secrets sealed under
// the ENCRYPTION_KEY keyring, recovery codes digested under SECRET_KEY,
// the shared rate limiter and known-client set (Redis when REDIS_URL is
// set); hooks it into password logins and account deletion, and mounts
// its routes.
func (a *App) wireMFA(api fiber.Router, rec auditport.Recorder, id identityWiring, sessions sessionsport.Service, mail mailport.Enqueuer) (*mfaapp.Service, error) {
	if rec == nil || sessions == nil || mail == nil || id.Service == nil || id.SetSecondFactor == nil || id.SetStepUpGuard == nil || id.SetDeletionGuard == nil {
		return nil, errors.New("wire mfa: the recorder, sessions, mail and identity's hooks are required")
	}
	if a.keyring == nil || a.signer == nil || a.limiter == nil {
		return nil, errors.New("wire mfa: the ENCRYPTION_KEY keyring, the signer and the rate limiter are required")
	}
	var known platformport.RecentSet = platformmem.NewRecentSet(a.clock)
	if a.rdb != nil {
		known = &fallbackRecentSet{
			shared: platformredis.NewRecentSet(a.rdb, a.cfg.RedisKeyPrefix), local: known,
			warner: &outageWarner{log: a.log, what: "known-client store"},
		}
	}
	store := mfapg.New(a.db)
	svc, err := mfaapp.New(mfaapp.Deps{
		UnitOfWork: a.db, Factors: store.Factors(), RecoveryCodes: store.RecoveryCodes(), Challenges: store.Challenges(),
		StepUps: store.StepUps(), Sealer: a.keyring, TOTP: security.TOTPCodes{}, Digests: security.RecoveryCodes{Signer: a.signer},
		ChallengeTokens: security.MFAChallenges{}, Directory: id.Service, Accounts: id.Service, Sessions: sessions,
		Mail: mail, Recorder: rec, Clock: a.clock, Limiter: a.limiter, KnownClients: known,
		Log: a.log.With("component", "mfa"),
	})
	if err != nil {
		return nil, fmt.Errorf("wire mfa: %w", err)
	}
	id.SetSecondFactor(svc)
	id.SetStepUpGuard(svc)
	id.SetDeletionGuard(svc)
	mfahttp.Register(api, svc, id.Auth)
	purge := func(ctx context.Context) error {
		n, err := svc.PurgeChallenges(ctx)
		if n > 0 {
			a.log.Info("expired sign-in challenges deleted", "count", n)
		}
		return err
	}
	a.addJob(Job{
		Name:        jobPurgeMFAChallenges,
		Description: "delete sign-in challenges that expired more than an hour ago (serve runs it every 5 minutes)",
		RunOnce:     purge,
	})
	a.workers = append(a.workers, Worker{Name: jobPurgeMFAChallenges, Run: func(ctx context.Context) error {
		return everyUntilDone(ctx, federationCleanupEvery, func(ctx context.Context) {
			if err := purge(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("mfa challenge purge failed", "error", err.Error())
			}
		})
	}})
	return svc, nil
}
