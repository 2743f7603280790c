package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/sessionshttp"
	"github.com/secuird/authy/adapters/memstore/sessionsmem"
	"github.com/secuird/authy/adapters/pgstore/sessionspg"
	"github.com/secuird/authy/adapters/redisstore/identityredis"
	"github.com/secuird/authy/adapters/redisstore/sessionsredis"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/sessionsapp"
	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

const (
	// jobCleanupSessions is the name of the expiry job.
	jobCleanupSessions = "cleanup_sessions"
	// cleanupBatch is how many sessions one cleanup statement marks: short
	// transactions, short row locks.
	cleanupBatch = 500
	// reconcileEvery is how often each instance applies pending cache
	// purges and, after a Redis failure, checks whether it may trust Redis
	// again.
	reconcileEvery = time.Second
)

// wireSessions builds the sessions context: the GORM store on the app's
// database (so revocations join identity's transactions), the Redis cache
// shared by every instance when REDIS_URL is set or the in-process cache
// of the single embedded instance, the service, its routes, the cache
// reconciler and revocation poll workers (with Redis) and the
// cleanup_sessions job. The service it returns
// is the authenticator of every protected route and what identity starts
// and revokes sessions with.
func (a *App) wireSessions(api fiber.Router, rec auditport.Recorder) (sessionsport.Service, error) {
	if rec == nil {
		return nil, errors.New("wire sessions: the audit recorder is required")
	}
	policy, err := sessions.NewPolicy(a.cfg.SessionIdle(), a.cfg.SessionAbsolute())
	if err != nil {
		return nil, fmt.Errorf("wire sessions: %w", err)
	}
	var cache sessionsport.Cache
	if a.rdb != nil {
		// Every authenticated request reads the session; most then read the
		// user's profile view (identity's cache in the same Redis), which the
		// session's round trip reads ahead.
		profiles := identityredis.NewProfileCache(a.rdb, a.cfg.RedisKeyPrefix, profileCacheTTL)
		cache = sessionsredis.New(a.rdb, a.cfg.RedisKeyPrefix, profiles.Key)
	} else {
		cache = sessionsmem.NewCache()
	}
	store := sessionspg.New(a.db)
	// Instances sharing Redis poll the outbox of unapplied purges, so a
	// revocation whose instance cannot reach Redis is refused everywhere
	// within two poll intervals. The embedded instance's cache never fails.
	var poll time.Duration
	if a.rdb != nil {
		poll = a.cfg.SessionRevocationPoll
	}
	svc, err := sessionsapp.New(sessionsapp.Deps{
		Store:  store,
		UoW:    a.db,
		Cache:  cache,
		Tokens: security.SessionTokens{},
		Audit:  rec,
		Clock:  a.clock,
		Meter:  a.meter,
		Policy: policy,
		Log:    a.log.With("component", "sessions"),

		Limiter:        a.limiter,
		UnknownTokens:  platformport.Limit{Max: a.cfg.AuthUnknownTokensPerIP, Window: time.Minute},
		RevocationPoll: poll,
	})
	if err != nil {
		return nil, fmt.Errorf("wire sessions: %w", err)
	}
	// Trust the cache from the first request when it answers; otherwise
	// serve from the database until the reconciler sees it back.
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := svc.Reconcile(ctx); err != nil {
		a.log.Warn("session cache not available at start; sessions are served from the database until it is", "error", err.Error())
	}
	if poll > 0 {
		if err := svc.PollRevocations(ctx); err != nil {
			a.log.Warn("pending session revocations not readable at start; cached sessions are confirmed with the database until they are", "error", err.Error())
		}
	}
	sessionshttp.Register(api, svc)
	a.sessions = svc
	if a.rdb != nil {
		a.workers = append(a.workers, Worker{
			Name: "session_cache_reconciler",
			Run:  func(ctx context.Context) error { return svc.RunReconciler(ctx, reconcileEvery) },
		}, Worker{
			Name: "session_revocation_poll",
			Run:  svc.RunRevocationPoller,
		})
	}
	a.addJob(Job{
		Name: jobCleanupSessions,
		Description: fmt.Sprintf("mark sessions past their expiry as EXPIRED, %d per short transaction, "+
			"one sessions.expired audit record per batch", cleanupBatch),
		RunOnce: func(ctx context.Context) error {
			n, err := svc.ExpireAll(ctx, cleanupBatch)
			a.log.Info("expired sessions marked", "count", n)
			reportCleanup(ctx, n)
			return err
		},
	})
	return svc, nil
}
