// Package identityredis is the Redis adapter of identityport.ProfileCache:
// the profile views every server instance shares, so reading one's own
// profile costs one Redis GET and no database round trip.
//
// One key per user, under the configured prefix:
//
//	profile:<user id>   "v2|<created µs>|<updated µs>|<email verified µs, or ->|<len(email)>|<email><name>"
//	                    a cached view, or "x" while a change holds it
//
// An entry in another version's format (an instance of another release
// sharing the Redis) is answered like a hold: read from the database, not
// filled over.
//
// Fill is SET NX, so it never writes over a hold: a view read from the
// database before a change committed cannot replace the hold the change
// wrote once it committed. Both kinds of value expire after the TTL.
//
// The session cache reads a user's key ahead, in the round trip that reads
// the session (Key is what it is given, see sessionsredis): Get answers
// from that value when the request's sessionsport.ReadAhead holds it, so an
// authenticated request costs one Redis round trip for both; Invalidate
// forgets it, so a request never serves what it changed itself.
//
// Errors are returned as they are; the caching user store reads the
// database instead. It imports go-redis, ports and domain/shared only.
package identityredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/identityport"
	"github.com/secuird/authy/ports/sessionsport"
)

// holdValue marks a user whose profile is changing.
const holdValue = "x"

// ProfileCache is the Redis-backed identityport.ProfileCache.
type ProfileCache struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

var _ identityport.ProfileCache = (*ProfileCache)(nil)

// NewProfileCache returns a cache storing keys under prefix+"profile:"
// whose entries and holds last ttl.
func NewProfileCache(rdb redis.UniversalClient, prefix string, ttl time.Duration) *ProfileCache {
	return &ProfileCache{rdb: rdb, prefix: prefix + "profile:", ttl: ttl}
}

func (c *ProfileCache) key(id shared.UserID) string { return c.prefix + id.String() }

// Key returns the Redis key of user's view (for the session cache to read
// ahead).
func (c *ProfileCache) Key(user shared.UserID) string { return c.key(user) }

// TTL implements identityport.ProfileCache.
func (c *ProfileCache) TTL() time.Duration { return c.ttl }

// Get implements identityport.ProfileCache.
func (c *ProfileCache) Get(ctx context.Context, id shared.UserID, _ time.Time) (identityport.UserView, identityport.ProfileLookup, error) {
	key := c.key(id)
	if s, found, ok := sessionsport.ReadAheadFrom(ctx).Take(key); ok {
		if !found {
			return identityport.UserView{}, identityport.ProfileMiss, nil
		}
		return c.read(id, s)
	}
	s, err := c.rdb.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return identityport.UserView{}, identityport.ProfileMiss, nil
	case err != nil:
		return identityport.UserView{}, identityport.ProfileMiss, fmt.Errorf("read profile cache: %w", err)
	}
	return c.read(id, s)
}

// read interprets a stored value.
func (c *ProfileCache) read(id shared.UserID, s string) (identityport.UserView, identityport.ProfileLookup, error) {
	if s == holdValue {
		return identityport.UserView{}, identityport.ProfileChanging, nil
	}
	v, err := decodeProfile(id, s)
	if err != nil {
		// Another version's format: answer from the database without
		// filling; the key expires within the TTL.
		return identityport.UserView{}, identityport.ProfileChanging, nil
	}
	return v, identityport.ProfileHit, nil
}

// Fill implements identityport.ProfileCache.
func (c *ProfileCache) Fill(ctx context.Context, v identityport.UserView, _ time.Time) error {
	if err := c.rdb.SetNX(ctx, c.key(v.ID), encodeProfile(v), c.ttl).Err(); err != nil {
		return fmt.Errorf("write profile cache: %w", err)
	}
	return nil
}

// Invalidate implements identityport.ProfileCache.
func (c *ProfileCache) Invalidate(ctx context.Context, id shared.UserID, _ time.Time) error {
	key := c.key(id)
	sessionsport.ReadAheadFrom(ctx).Forget(key)
	if err := c.rdb.Set(ctx, key, holdValue, c.ttl).Err(); err != nil {
		return fmt.Errorf("hold profile cache: %w", err)
	}
	return nil
}

// encodeProfile writes a view compactly; the email's length separates it
// from the name, so neither needs escaping.
func encodeProfile(v identityport.UserView) string {
	var b strings.Builder
	b.Grow(72 + len(v.Email) + len(v.Name))
	b.WriteString("v2|")
	b.WriteString(strconv.FormatInt(v.CreatedAt.UnixMicro(), 10))
	b.WriteByte('|')
	b.WriteString(strconv.FormatInt(v.UpdatedAt.UnixMicro(), 10))
	b.WriteByte('|')
	if v.EmailVerified {
		b.WriteString(strconv.FormatInt(v.EmailVerifiedAt.UnixMicro(), 10))
	} else {
		b.WriteByte('-')
	}
	b.WriteByte('|')
	b.WriteString(strconv.Itoa(len(v.Email)))
	b.WriteByte('|')
	b.WriteString(v.Email)
	b.WriteString(v.Name)
	return b.String()
}

var errProfileFormat = errors.New("unreadable profile cache entry")

func decodeProfile(id shared.UserID, s string) (identityport.UserView, error) {
	f := strings.SplitN(s, "|", 6)
	if len(f) != 6 || f[0] != "v2" {
		return identityport.UserView{}, errProfileFormat
	}
	created, err1 := strconv.ParseInt(f[1], 10, 64)
	updated, err2 := strconv.ParseInt(f[2], 10, 64)
	n, err3 := strconv.Atoi(f[4])
	if err1 != nil || err2 != nil || err3 != nil || n < 0 || n > len(f[5]) {
		return identityport.UserView{}, errProfileFormat
	}
	v := identityport.UserView{
		ID: id, Email: f[5][:n], Name: f[5][n:],
		CreatedAt: time.UnixMicro(created).UTC(), UpdatedAt: time.UnixMicro(updated).UTC(),
	}
	if f[3] != "-" {
		verified, err := strconv.ParseInt(f[3], 10, 64)
		if err != nil {
			return identityport.UserView{}, errProfileFormat
		}
		v.EmailVerified, v.EmailVerifiedAt = true, time.UnixMicro(verified).UTC()
	}
	return v, nil
}
