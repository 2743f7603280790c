// Package sessionsredis is the Redis adapter of sessionsport.Cache: the
// session cache every server instance shares, so a valid request costs one
// Redis round trip and no database round trip.
//
// Keys, under the configured prefix:
//
//	sess:<hex sha-256>      the cached session, expiring with its idle window;
//	                        "r" for a revoked session, kept until its absolute
//	                        expiry; or "u" for a hash the database recently did
//	                        not know (written with NX, so it never replaces an
//	                        entry or a revocation; a Put replaces it)
//	sess:rev:<hex sha-256>  the revocation tombstone the previous version read
//	                        beside the entry, still written by Purge so that
//	                        its instances refuse the token during an upgrade
//
// A revocation overwrites the entry with its mark, and a Put never replaces
// the mark (a script checks it), so Get reads one key for the session: a
// revocation on any instance refuses the token even if a concurrent request
// re-fills the entry from a database read taken before the revocation
// committed.
//
// # Read-ahead
//
// Other contexts cache what most authenticated requests need next, keyed by
// the session's user (identity's profile view). New takes those keys as
// functions of the user; when the request's context carries a
// sessionsport.ReadAhead, Get adds them to the same MGET and records their
// values there, so the request's next lookup costs no round trip. The user
// is known before the entry is read from an in-process table of the users
// of token hashes this instance has read or written (a session's user never
// changes, so the table cannot go stale; a token it does not know yet is
// read without read-ahead, once). The values are handed over only for a
// live entry of that same user: a revoked, unknown or missing session, or a
// table slot another token took, hands over nothing.
//
// Errors are returned as they are; the application falls back to the
// database and stops trusting the cache until it has reconciled it. It
// imports go-redis, ports and the sessions domain only.
package sessionsredis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/sessionsport"
)

// Cache is the Redis-backed sessionsport.Cache.
type Cache struct {
	rdb      redis.UniversalClient
	prefix   string
	userKeys []func(shared.UserID) string
	hints    *hints
}

var _ sessionsport.Cache = (*Cache)(nil)

// New returns a cache storing keys under prefix+"sess:". userKeys name, for
// a user, the keys other caches keep that user's data under in the same
// Redis; Get reads them ahead (see the package doc).
func New(rdb redis.UniversalClient, prefix string, userKeys ...func(user shared.UserID) string) *Cache {
	c := &Cache{rdb: rdb, prefix: prefix + "sess:", userKeys: userKeys}
	if len(userKeys) > 0 {
		c.hints = newHints()
	}
	return c
}

func (c *Cache) entryKey(h sessions.TokenHash) string { return c.prefix + h.String() }

func (c *Cache) tombKey(h sessions.TokenHash) string { return c.prefix + "rev:" + h.String() }

// Get implements sessionsport.Cache, reading ahead for the request in ctx.
func (c *Cache) Get(ctx context.Context, h sessions.TokenHash) (sessionsport.CachedSession, sessionsport.CacheState, error) {
	hexHash := h.String()
	keys := make([]string, 1, 1+len(c.userKeys))
	keys[0] = c.prefix + hexHash
	ahead := sessionsport.ReadAheadFrom(ctx)
	var user shared.UserID
	hinted := false
	if ahead != nil && c.hints != nil {
		if user, hinted = c.hints.user(h, hexHash); hinted {
			for _, k := range c.userKeys {
				keys = append(keys, k(user))
			}
		}
	}
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return sessionsport.CachedSession{}, sessionsport.CacheMiss, fmt.Errorf("read session cache: %w", err)
	}
	if vals[0] == nil {
		return sessionsport.CachedSession{}, sessionsport.CacheMiss, nil
	}
	switch v, _ := vals[0].(string); v {
	case revokedMark:
		return sessionsport.CachedSession{}, sessionsport.CacheRevoked, nil
	case unknownMark:
		return sessionsport.CachedSession{}, sessionsport.CacheUnknown, nil
	}
	e, err := decode(h, vals[0])
	if err != nil {
		// An unreadable entry (another version's format) is a miss: the
		// database answers and the entry is overwritten.
		return sessionsport.CachedSession{}, sessionsport.CacheMiss, nil
	}
	if c.hints != nil {
		c.hints.remember(h, hexHash, e.User)
	}
	if hinted && e.User == user {
		for i, k := range keys[1:] {
			v, found := vals[1+i].(string)
			ahead.Put(k, v, found)
		}
	}
	return e, sessionsport.CacheHit, nil
}

// GetMany implements sessionsport.Cache.
func (c *Cache) GetMany(ctx context.Context, hs []sessions.TokenHash) (map[sessions.TokenHash]sessionsport.CachedSession, error) {
	out := make(map[sessions.TokenHash]sessionsport.CachedSession, len(hs))
	if len(hs) == 0 {
		return out, nil
	}
	keys := make([]string, 0, len(hs))
	for _, h := range hs {
		keys = append(keys, c.entryKey(h))
	}
	vals, err := c.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, fmt.Errorf("read session cache: %w", err)
	}
	for i, h := range hs {
		// A mark (revoked, unknown) does not decode.
		if e, err := decode(h, vals[i]); err == nil {
			out[h] = e
		}
	}
	return out, nil
}

// Put implements sessionsport.Cache.
func (c *Cache) Put(ctx context.Context, e sessionsport.CachedSession, now time.Time) error {
	ttl := e.ExpiresAt.Sub(now)
	if ttl <= 0 {
		return nil
	}
	hexHash := e.Hash.String()
	ms := ttl.Milliseconds()
	if ms < 1 {
		ms = 1
	}
	if err := putEntry.Run(ctx, c.rdb, []string{c.prefix + hexHash}, encode(e), ms, revokedMark).Err(); err != nil {
		return fmt.Errorf("write session cache: %w", err)
	}
	if c.hints != nil {
		c.hints.remember(e.Hash, hexHash, e.User)
	}
	return nil
}

// putEntry writes an entry unless the key holds a revocation's mark.
//
// KEYS[1] entry key; ARGV[1] entry; ARGV[2] ttl (ms); ARGV[3] the mark.
var putEntry = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[3] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`)

// Purge implements sessionsport.Cache: the entry key takes the revoked mark
// until Until (and a minute, for clock skew), with the previous version's
// tombstone beside it, in one MULTI/EXEC. A purge whose Until has passed
// deletes the entry: the session can no longer be valid anyway.
func (c *Cache) Purge(ctx context.Context, ps []sessionsport.Purge, now time.Time) error {
	if len(ps) == 0 {
		return nil
	}
	_, err := c.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, x := range ps {
			if ttl := x.Until.Sub(now); ttl > 0 {
				p.Set(ctx, c.entryKey(x.Hash), revokedMark, ttl+time.Minute)
				p.Set(ctx, c.tombKey(x.Hash), "1", ttl+time.Minute)
				continue
			}
			p.Del(ctx, c.entryKey(x.Hash))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("purge session cache: %w", err)
	}
	return nil
}

// The values of an entry key that are marks, not entries: an unknown hash
// and a revoked session. Neither decodes as an entry.
const (
	unknownMark = "u"
	revokedMark = "r"
)

// MarkUnknown implements sessionsport.Cache. SET NX: a session cached
// meanwhile keeps its entry, and a revoked one its mark.
func (c *Cache) MarkUnknown(ctx context.Context, h sessions.TokenHash, until, now time.Time) error {
	ttl := until.Sub(now)
	if ttl <= 0 {
		return nil
	}
	if err := c.rdb.SetNX(ctx, c.entryKey(h), unknownMark, ttl).Err(); err != nil {
		return fmt.Errorf("mark unknown session token: %w", err)
	}
	return nil
}

// Ping implements sessionsport.Cache.
func (c *Cache) Ping(ctx context.Context) error {
	return c.rdb.Ping(ctx).Err()
}

// encode writes an entry as
// "v2|id|user|created|last_seen|expires|absolute|synced|auth_time|method|amr"
// with times in Unix microseconds and amr values joined by commas (neither a
// method name nor an amr value can hold "|" or ","): compact and cheap to
// parse on every request.
func encode(e sessionsport.CachedSession) string {
	var b strings.Builder
	b.Grow(160)
	b.WriteString("v2|")
	b.WriteString(e.ID.String())
	b.WriteByte('|')
	b.WriteString(e.User.String())
	for _, t := range []time.Time{e.CreatedAt, e.LastSeenAt, e.ExpiresAt, e.AbsoluteExpiresAt, e.SyncedAt, e.AuthTime} {
		b.WriteByte('|')
		b.WriteString(strconv.FormatInt(t.UnixMicro(), 10))
	}
	b.WriteByte('|')
	b.WriteString(e.Method.Name())
	b.WriteByte('|')
	b.WriteString(strings.Join(e.Method.AMR(), ","))
	return b.String()
}

var errFormat = errors.New("unreadable session cache entry")

// decode reads a v2 entry, and a v1 entry (written before sessions recorded
// their method, "v1|id|user|created|last_seen|expires|absolute|synced") as
// a password sign-in at creation, which every v1 session was.
func decode(h sessions.TokenHash, v any) (sessionsport.CachedSession, error) {
	s, ok := v.(string)
	if !ok {
		return sessionsport.CachedSession{}, errFormat
	}
	f := strings.Split(s, "|")
	switch {
	case len(f) == 8 && f[0] == "v1":
	case len(f) == 11 && f[0] == "v2":
	default:
		return sessionsport.CachedSession{}, errFormat
	}
	id, err := uuid.Parse(f[1])
	if err != nil {
		return sessionsport.CachedSession{}, errFormat
	}
	user, err := uuid.Parse(f[2])
	if err != nil {
		return sessionsport.CachedSession{}, errFormat
	}
	ts := make([]time.Time, len(f)-3)
	if f[0] == "v2" {
		ts = ts[:6]
	}
	for i := range ts {
		n, err := strconv.ParseInt(f[3+i], 10, 64)
		if err != nil {
			return sessionsport.CachedSession{}, errFormat
		}
		ts[i] = time.UnixMicro(n).UTC()
	}
	e := sessionsport.CachedSession{
		ID: id, User: shared.UserID(user), Hash: h, CreatedAt: ts[0], LastSeenAt: ts[1],
		ExpiresAt: ts[2], AbsoluteExpiresAt: ts[3], SyncedAt: ts[4],
		Method: sessions.MethodPassword, AuthTime: ts[0],
	}
	if f[0] == "v2" {
		m, err := sessions.ParseAuthMethod(f[9], strings.Split(f[10], ","))
		if err != nil {
			return sessionsport.CachedSession{}, errFormat
		}
		e.Method, e.AuthTime = m, ts[5]
	}
	return e, nil
}
