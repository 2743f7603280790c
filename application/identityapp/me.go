package identityapp

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Me implements identityport.Service. The view comes from the profile cache
// when it holds one; otherwise from the repository, and is then filled in
// unless a change holds the user (see holdProfile).
func (s *Service) Me(ctx context.Context, p sessionsport.Principal) (identityport.UserView, error) {
	now := s.now()
	fill := false
	if s.profilesTrusted(now) {
		v, l, err := s.profiles.Get(ctx, p.UserID, now)
		switch {
		case err != nil:
			s.profileCacheFailed(ctx, "get", err, now)
		case l == identityport.ProfileHit && v.ID == p.UserID:
			return v, nil
		default:
			fill = l == identityport.ProfileMiss
		}
	}
	u, err := s.users.Get(ctx, p.UserID)
	if err != nil {
		return identityport.UserView{}, fmt.Errorf("me: %w", err)
	}
	v := view(u)
	if fill {
		if err := s.profiles.Fill(ctx, v, now); err != nil {
			s.profileCacheFailed(ctx, "fill", err, now)
		}
	}
	return v, nil
}

// holdProfile invalidates the user's cached view. Every use case that
// changes what Me shows calls it inside its unit of work, before the
// commit, and again once the unit of work has returned: the hold refuses
// fills from repository reads taken before the commit, on every instance.
// A cache that cannot answer does not stop the change; the view another
// instance still caches is then at most the cache's TTL old, and this
// instance stops reading the cache for that long.
func (s *Service) holdProfile(ctx context.Context, id shared.UserID) {
	if s.profiles == nil {
		return
	}
	now := s.now()
	if err := s.profiles.Invalidate(ctx, id, now); err != nil {
		s.profileCacheFailed(ctx, "invalidate", err, now)
	}
}

// profilesTrusted reports whether Me may read the profile cache now.
func (s *Service) profilesTrusted(now time.Time) bool {
	return s.profiles != nil && now.UnixNano() >= s.profilesSuspectUntil.Load()
}

// profileCacheFailed stops reading the profile cache for its TTL: any entry
// written before the failure has expired by the time it is read again, so
// a change whose hold was lost while the cache was down on every instance
// is not served stale afterwards.
func (s *Service) profileCacheFailed(ctx context.Context, op string, err error, now time.Time) {
	until := now.Add(s.profiles.TTL()).UnixNano()
	for {
		cur := s.profilesSuspectUntil.Load()
		if cur >= until {
			return
		}
		if s.profilesSuspectUntil.CompareAndSwap(cur, until) {
			if cur <= now.UnixNano() {
				s.log.WarnContext(ctx, "profile cache failed; reading profiles from the database for its TTL",
					"op", op, "error", err.Error())
			}
			return
		}
	}
}
