package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/identityhttp"
	"github.com/secuird/authy/adapters/memstore/identitymem"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/adapters/redisstore/platformredis"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/identityapp"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Salt and key lengths of new argon2id hashes: fixed, not configurable,
// so every instance writes hashes of one shape.
const (
	argon2SaltLength = 16
	argon2KeyLength  = 32
)

// jobRecordRefusals names the worker and job that write refusal records.
const jobRecordRefusals = "record_refusals"

// workerPasswordResets names the worker that mails password reset links.
const workerPasswordResets = "password_resets"

// refusalDrainInterval is how often serve writes the refusal records of
// ended windows, so a record appears within seconds of its minute.
const refusalDrainInterval = 5 * time.Second

// everyUntilDone runs f every interval until ctx ends, and once more on the
// way out (with a short deadline) so an instance stopping hands over what
// has ended.
func everyUntilDone(ctx context.Context, interval time.Duration, f func(context.Context)) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			final, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			f(final)
			return nil
		case <-t.C:
			f(ctx)
		}
	}
}

// profileCacheTTL is how long a cached profile view, or the hold a change
// leaves, lasts. It bounds how stale a view can be served only when a
// change could not reach Redis; normally a change is visible on every
// instance by the time its request is answered.
const profileCacheTTL = time.Minute

// wireIdentity builds the identity context on the app's database (users
// join the same transactions as sessions and audit records) decorated with
// the profile cache (Redis when REDIS_URL is set, else in-process), with the
// bounded argon2id hasher, the common-password policy and the shared rate
// limiter, and mounts its routes. sessions is both the authenticator of the
// protected routes and the service logins start sessions with; mail is the
// outbox the account links (verification, email change, reset) are
// enqueued into, in the transaction of the change.
func (a *App) wireIdentity(api fiber.Router, rec auditport.Recorder, sessions sessionsport.Service, mail mailport.Enqueuer) (identityWiring, error) {
	switch {
	case rec == nil:
		return identityWiring{}, errors.New("wire identity: the audit recorder is required")
	case sessions == nil:
		return identityWiring{}, errors.New("wire identity: the sessions service is required")
	case mail == nil:
		return identityWiring{}, errors.New("wire identity: the mail outbox is required")
	}
	hasher, err := security.NewPasswordHasher(security.HasherOptions{
		Params: security.Argon2Params{
			MemoryKiB:   a.cfg.Argon2MemoryKiB,
			Iterations:  a.cfg.Argon2Iterations,
			Parallelism: a.cfg.Argon2Parallelism,
			SaltLength:  argon2SaltLength,
			KeyLength:   argon2KeyLength,
		},
		Concurrency: a.cfg.PasswordHashConcurrency,
	})
	if err != nil {
		return identityWiring{}, fmt.Errorf("wire identity: %w", err)
	}
	store := identitypg.New(a.db)
	var (
		profiles identityport.ProfileCache
		known    platformport.RecentSet = platformmem.NewRecentSet(a.clock)
		refusals platformport.Tally     = platformmem.NewTally(a.clock)
		attempts platformport.AttemptGate
	)
	attempts = platformmem.NewGate(a.limiter, known, refusals)
	if a.rdb != nil {
		localKnown := known
		attempts = &fallbackGate{
			shared: platformredis.NewGate(a.rdb, a.cfg.RedisKeyPrefix),
			local:  platformmem.NewGate(a.localLimiter, localKnown, refusals), localKnown: localKnown,
			warner: &outageWarner{log: a.log, what: "rate limiter"},
		}
		profiles = identityredis.NewProfileCache(a.rdb, a.cfg.RedisKeyPrefix, profileCacheTTL)
		known = &fallbackRecentSet{
			shared: platformredis.NewRecentSet(a.rdb, a.cfg.RedisKeyPrefix), local: known,
			warner: &outageWarner{log: a.log, what: "known-client store"},
		}
		refusals = &fallbackTally{
			shared: platformredis.NewTally(a.rdb, a.cfg.RedisKeyPrefix), local: refusals,
			warner: &outageWarner{log: a.log, what: "refusal tally"},
		}
	} else {
		profiles = identitymem.NewProfileCache(profileCacheTTL)
	}
	// The use cases see one user store; the decorator keeps the profile
	// views cached and invalidates them after each change commits.
	users, err := identitypg.NewCached(store, profiles, a.clock, a.log.With("component", "identity"))
	if err != nil {
		return identityWiring{}, fmt.Errorf("wire identity: %w", err)
	}
	svc, err := identityapp.New(identityapp.Deps{
		Users:        users,
		Tokens:       users.Tokens(),
		UoW:          a.db,
		LinkTokens:   security.AccountTokens{},
		Mail:         mail,
		Hasher:       hasher,
		Policy:       security.NewCommonPasswordPolicy(),
		Sessions:     sessions,
		Audit:        rec,
		Limiter:      a.limiter,
		KnownClients: known,
		Refusals:     refusals,
		Attempts:     attempts,
		Meter:        a.meter,
		Clock:        a.clock,
		Log:          a.log,
		Limits: identityapp.Limits{
			LoginPerIP:                    platformport.Limit{Max: a.cfg.LoginRateLimitPerIP, Window: time.Minute},
			LoginFailuresPerAccountClient: platformport.Limit{Max: a.cfg.LoginFailuresPerAccountClient, Window: 15 * time.Minute},
			LoginFailuresPerAccount:       platformport.Limit{Max: a.cfg.LoginFailuresPerAccount, Window: 15 * time.Minute},
			RegisterPerIP:                 platformport.Limit{Max: a.cfg.RegisterRateLimitPerIP, Window: time.Hour},
			PasswordChangePerSession:      platformport.Limit{Max: a.cfg.PasswordChangeRateLimitPerSession, Window: time.Hour},
			PasswordChangePerUser:         platformport.Limit{Max: a.cfg.PasswordChangeRateLimitPerUser, Window: time.Hour},
			EmailChangePerUser:            platformport.Limit{Max: a.cfg.EmailChangeRateLimitPerUser, Window: time.Hour},
			EmailChangePerClient:          platformport.Limit{Max: a.cfg.EmailChangeRateLimitPerIP, Window: time.Hour},
			VerificationResendPerUser:     platformport.Limit{Max: a.cfg.VerificationResendRateLimitPerUser, Window: time.Hour},
			VerificationResendPerClient:   platformport.Limit{Max: a.cfg.VerificationResendRateLimitPerIP, Window: time.Hour},
			PasswordForgotPerClient:       platformport.Limit{Max: a.cfg.PasswordResetRateLimitPerIP, Window: time.Hour},
			PasswordForgotPerAccount:      platformport.Limit{Max: a.cfg.PasswordResetRateLimitPerAccount, Window: time.Hour},
			LinkTokensPerClient:           platformport.Limit{Max: a.cfg.LinkTokenRateLimitPerIP, Window: time.Hour},
		},
	})
	if err != nil {
		return identityWiring{}, fmt.Errorf("wire identity: %w", err)
	}
	// Refused attempts reach the audit trail as one record per limited key
	// and minute; every instance drains, each window goes to one of them.
	a.workers = append(a.workers, Worker{Name: jobRecordRefusals, Run: func(ctx context.Context) error {
		return everyUntilDone(ctx, refusalDrainInterval, func(ctx context.Context) {
			if _, err := svc.RecordRefusals(ctx); err != nil && ctx.Err() == nil {
				a.log.Error("refusal records not written", "error", err.Error())
			}
		})
	}})
	a.addJob(Job{
		Name:        jobRecordRefusals,
		Description: "write the audit records summarising attempts refused by a rate limit (serve runs it continuously)",
		RunOnce: func(ctx context.Context) error {
			_, err := svc.RecordRefusals(ctx)
			return err
		},
	})
	// The background step of password reset requests (see
	// identityapp.ForgotPassword): each instance handles what it accepted.
	a.workers = append(a.workers, Worker{Name: workerPasswordResets, Run: svc.RunPasswordResets})
	identityhttp.Register(api, svc, sessions)
	return identityWiring{
		Auth:                    sessions,
		Directory:               svc,
		External:                svc,
		Service:                 svc,
		AddRegistrationListener: svc.AddRegistrationListener,
		SetDeletionGuard:        svc.SetDeletionGuard,
		AddEmailProofListener:   svc.AddEmailProofListener,
		SetSecondFactor:         svc.SetSecondFactor,
		SetStepUpGuard:          svc.SetStepUpGuard,
		SetSignInGate:           svc.SetSignInGate,
	}, nil
}
