package sessionsapp

import (
	"context"
	"errors"
	"time"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Authenticate resolves a bearer token to its principal and slides the
// session's idle window (see the package doc for how the cache and the
// store share the work).
func (s *Service) Authenticate(ctx context.Context, token string) (sessionsport.Principal, error) {
	if token == "" || len(token) > maxTokenLength {
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	hash := s.tokens.Hash(token)
	now := s.now()
	if trusted, _ := s.trust.state(); trusted {
		// The deny set is read before the cache: a purge missing from a
		// snapshot taken after the revocation committed was applied to the
		// cache before that snapshot, so the read below sees its tombstone.
		denied, current := s.denied(hash, now)
		if denied {
			return sessionsport.Principal{}, sessions.ErrInvalidToken
		}
		e, state, err := s.cache.Get(ctx, hash)
		switch {
		case err != nil:
			s.cacheFailed(ctx, "get", err)
			return s.lookUp(ctx, hash, now, false)
		case state == sessionsport.CacheRevoked, state == sessionsport.CacheUnknown:
			return sessionsport.Principal{}, sessions.ErrInvalidToken
		case state == sessionsport.CacheHit && !current:
			return s.confirmed(ctx, e, now)
		case state == sessionsport.CacheHit:
			return s.fromCache(ctx, e, now)
		}
		return s.lookUp(ctx, hash, now, true)
	}
	return s.lookUp(ctx, hash, now, false)
}

func (s *Service) fromCache(ctx context.Context, e sessionsport.CachedSession, now time.Time) (sessionsport.Principal, error) {
	sess := sessions.Rehydrate(e.ID, e.User, e.Hash, e.Method, e.AuthTime, e.CreatedAt, e.LastSeenAt, e.ExpiresAt, e.AbsoluteExpiresAt,
		"", "", sessions.StatusActive, time.Time{}, "")
	if err := sess.Touch(now, s.policy); err != nil {
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	synced := e.SyncedAt
	if s.policy.SyncDue(e.SyncedAt, now) {
		ok, err := s.store.Touch(ctx, sess.ID(), sess.LastSeenAt(), sess.ExpiresAt())
		if err != nil {
			return sessionsport.Principal{}, storeErr("touch session", err)
		}
		if !ok {
			// Ended in the store but still cached (its purge has not been
			// applied yet): refuse, and purge now.
			s.purgeCache(ctx, []sessionsport.Purge{{Hash: e.Hash, Until: e.AbsoluteExpiresAt}}, now)
			return sessionsport.Principal{}, sessions.ErrInvalidToken
		}
		synced = now
	}
	if !synced.Equal(e.SyncedAt) || sess.ExpiresAt().Sub(e.ExpiresAt) >= cacheStep {
		s.putCache(ctx, entry(sess, synced), now)
	}
	return principal(sess), nil
}

// confirmed serves a cache hit while the deny set is not current (the poll
// fails or lags): the store must still hold the session as active.
func (s *Service) confirmed(ctx context.Context, e sessionsport.CachedSession, now time.Time) (sessionsport.Principal, error) {
	sess, err := s.store.ByTokenHash(ctx, e.Hash)
	if errors.Is(err, sessions.ErrNotFound) {
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	if err != nil {
		return sessionsport.Principal{}, storeErr("confirm session", err)
	}
	if sess.ID() != e.ID || sess.Status() != sessions.StatusActive {
		s.purgeCache(ctx, []sessionsport.Purge{{Hash: e.Hash, Until: e.AbsoluteExpiresAt}}, now)
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	return s.fromCache(ctx, e, now)
}

// lookUp authenticates a token the cache could not answer for against the
// store, behind the per-client throttle of unknown tokens: a client that
// presented too many tokens the store does not know gets 429 without a
// store read. fill says the cache is trusted and missed (see fromStore); a
// refused token is then remembered as unknown for a few seconds, so
// repeating it costs no store read either.
func (s *Service) lookUp(ctx context.Context, hash sessions.TokenHash, now time.Time, fill bool) (sessionsport.Principal, error) {
	key := unknownTokensKey(ctx)
	if d := s.peekUnknown(ctx, key); !d.Allowed {
		s.meter.Add(platformport.MetricRateLimited, "unknown_token", 1)
		return sessionsport.Principal{}, errTooManyUnknownTokens.WithRetryAfter(d.RetryAfter)
	}
	sess, err := s.store.ByTokenHash(ctx, hash)
	if errors.Is(err, sessions.ErrNotFound) {
		s.takeUnknown(ctx, key)
		s.markUnknown(ctx, hash, now, fill)
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	if err != nil {
		return sessionsport.Principal{}, storeErr("find session", err)
	}
	p, err := s.fromStore(ctx, sess, now, fill)
	if errors.Is(err, sessions.ErrInvalidToken) {
		// Expired or ended: it never becomes valid again.
		s.markUnknown(ctx, hash, now, fill)
	}
	return p, err
}

// markUnknown remembers hash as unknown when the cache is trusted. The
// cache never lets the mark replace or hide a cached session, and a
// session's first Put (right after its creation commits, before its token
// is handed out) replaces any mark, so a new session is never refused by it.
func (s *Service) markUnknown(ctx context.Context, hash sessions.TokenHash, now time.Time, fill bool) {
	if !fill {
		return
	}
	if ok, _ := s.trust.state(); !ok {
		return
	}
	if err := s.cache.MarkUnknown(ctx, hash, now.Add(unknownFor), now); err != nil {
		s.cacheFailed(ctx, "mark unknown", err)
	}
}

// unknownTokensKey is the rate-limit key of the client in ctx.
func unknownTokensKey(ctx context.Context) string {
	return "auth:unknown_token:" + shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP)
}

// peekUnknown asks whether the client may cost a store read. A limiter that
// cannot answer admits the request: the store stays protected by its own
// timeouts, and refusing valid sessions would be worse.
func (s *Service) peekUnknown(ctx context.Context, key string) platformport.Decision {
	d, err := s.limiter.Peek(ctx, key, s.unknownLimit)
	if err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; unknown tokens not throttled", "error", err.Error())
		return platformport.Decision{Allowed: true}
	}
	return d
}

func (s *Service) takeUnknown(ctx context.Context, key string) {
	if _, err := s.limiter.Take(ctx, key, s.unknownLimit); err != nil {
		s.log.WarnContext(ctx, "rate limiter unavailable; unknown token not counted", "error", err.Error())
	}
}

// fromStore authenticates a session read from the store. fill says the
// cache is trusted and missed: the entry is written back and the store's
// idle clock follows the coalesced schedule. Without the cache the store is
// the only copy, so it is written whenever the expiry moved by a second.
func (s *Service) fromStore(ctx context.Context, sess *sessions.Session, now time.Time, fill bool) (sessionsport.Principal, error) {
	stored := sess.LastSeenAt()
	if err := sess.Touch(now, s.policy); err != nil {
		return sessionsport.Principal{}, sessions.ErrInvalidToken
	}
	synced := stored
	write := now.Sub(stored) >= cacheStep
	if fill {
		write = s.policy.SyncDue(stored, now)
	}
	if write {
		ok, err := s.store.Touch(ctx, sess.ID(), sess.LastSeenAt(), sess.ExpiresAt())
		if err != nil {
			return sessionsport.Principal{}, storeErr("touch session", err)
		}
		if !ok {
			return sessionsport.Principal{}, sessions.ErrInvalidToken
		}
		synced = now
	}
	if fill {
		s.putCache(ctx, entry(sess, synced), now)
	}
	return principal(sess), nil
}

func principal(x *sessions.Session) sessionsport.Principal {
	return sessionsport.Principal{UserID: x.User(), SessionID: x.ID(), ExpiresAt: x.ExpiresAt(),
		Method: x.Method(), AuthTime: x.AuthTime()}
}
