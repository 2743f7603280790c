package platformredis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/ports/platformport"
)

// recentAdd keeps a set as a sorted set of members scored by their expiry
// (µs, Redis' own clock, so instances with skewed clocks agree): it adds or
// renews the member, drops expired ones, trims to the latest-expiring keep
// and lets the key expire with its last member.
//
// KEYS[1] set; ARGV[1] ttl (µs); ARGV[2] keep; ARGV[3] member.
var recentAdd = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[1]), ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local keep = tonumber(ARGV[2])
local n = redis.call('ZCARD', KEYS[1])
if keep > 0 and n > keep then
  redis.call('ZREMRANGEBYRANK', KEYS[1], 0, n - keep - 1)
end
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
if last[2] then
  redis.call('PEXPIREAT', KEYS[1], math.ceil(tonumber(last[2]) / 1000))
end
return 1
`)

// recentHas: KEYS[1] set; ARGV[1] member. Returns 1 when present and unexpired.
var recentHas = redis.NewScript(`
local s = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not s then return 0 end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
if tonumber(s) > now then return 1 end
return 0
`)

// RecentSet is the Redis-backed platformport.RecentSet.
type RecentSet struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ platformport.RecentSet = (*RecentSet)(nil)

// NewRecentSet returns a store keeping each set under prefix+"recent:"+set.
func NewRecentSet(rdb redis.UniversalClient, prefix string) *RecentSet {
	return &RecentSet{rdb: rdb, prefix: prefix + "recent:"}
}

// Add implements platformport.RecentSet.
func (r *RecentSet) Add(ctx context.Context, set, member string, ttl time.Duration, keep int) error {
	if err := recentAdd.Run(ctx, r.rdb, []string{r.prefix + set}, ttl.Microseconds(), keep, member).Err(); err != nil {
		return fmt.Errorf("recent set add: %w", err)
	}
	return nil
}

// Has implements platformport.RecentSet.
func (r *RecentSet) Has(ctx context.Context, set, member string) (bool, error) {
	n, err := recentHas.Run(ctx, r.rdb, []string{r.prefix + set}, member).Int()
	if err != nil {
		return false, fmt.Errorf("recent set has: %w", err)
	}
	return n == 1, nil
}

// tallyKeepAfterEnd is how long a window nobody drains is kept: the server
// drains within seconds, so this only bounds what an instance-less store
// keeps.
const tallyKeepAfterEnd = 24 * time.Hour

// tallyAdd counts one event in the current window. Counts live in one hash,
// and an index orders the windows by their end (ms, Redis' clock); both keys
// share a hash tag so the script stays valid on a cluster.
//
// KEYS[1] index; KEYS[2] counts; ARGV[1] window (ms); ARGV[2] key;
// ARGV[3] keep after end (ms).
var tallyAdd = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local start = now - (now % w)
local member = start .. ':' .. w .. ':' .. ARGV[2]
if redis.call('HINCRBY', KEYS[2], member, 1) == 1 then
  redis.call('ZADD', KEYS[1], start + w, member)
end
local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]), 'LIMIT', 0, 100)
for _, m in ipairs(stale) do
  redis.call('HDEL', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
end
local ttl = w + tonumber(ARGV[3])
if redis.call('PTTL', KEYS[1]) < ttl then
  redis.call('PEXPIRE', KEYS[1], ttl)
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return 1
`)

// tallyDrain hands out and forgets the ended windows, atomically, so two
// instances draining at once never both get one.
//
// KEYS[1] index; KEYS[2] counts; ARGV[1] max. Returns member, count pairs.
var tallyDrain = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ms = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, m in ipairs(ms) do
  local c = redis.call('HGET', KEYS[2], m)
  redis.call('HDEL', KEYS[2], m)
  redis.call('ZREM', KEYS[1], m)
  out[#out + 1] = m
  out[#out + 1] = c or '0'
end
return out
`)

// Tally is the Redis-backed platformport.Tally, shared by every instance.
type Tally struct {
	rdb         redis.UniversalClient
	index, hash string
}

var _ platformport.Tally = (*Tally)(nil)

// NewTally returns a tally storing its windows under prefix+"tally:".
func NewTally(rdb redis.UniversalClient, prefix string) *Tally {
	return &Tally{rdb: rdb, index: prefix + "tally:{w}:index", hash: prefix + "tally:{w}:counts"}
}

// Add implements platformport.Tally.
func (t *Tally) Add(ctx context.Context, key string, window time.Duration) error {
	w := window.Milliseconds()
	if w < 1 {
		w = 1
	}
	if err := tallyAdd.Run(ctx, t.rdb, []string{t.index, t.hash}, w, key, tallyKeepAfterEnd.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("tally add: %w", err)
	}
	return nil
}

// Drain implements platformport.Tally.
func (t *Tally) Drain(ctx context.Context, max int) ([]platformport.TallyCount, error) {
	if max <= 0 {
		return nil, nil
	}
	res, err := tallyDrain.Run(ctx, t.rdb, []string{t.index, t.hash}, max).StringSlice()
	if err != nil {
		return nil, fmt.Errorf("tally drain: %w", err)
	}
	out := make([]platformport.TallyCount, 0, len(res)/2)
	for i := 0; i+1 < len(res); i += 2 {
		startS, rest, ok1 := strings.Cut(res[i], ":")
		winS, key, ok2 := strings.Cut(rest, ":")
		start, err1 := strconv.ParseInt(startS, 10, 64)
		win, err2 := strconv.ParseInt(winS, 10, 64)
		n, err3 := strconv.Atoi(res[i+1])
		if !ok1 || !ok2 || err1 != nil || err2 != nil || err3 != nil {
			return out, fmt.Errorf("tally drain: unreadable window %q", res[i])
		}
		out = append(out, platformport.TallyCount{
			Key: key, Start: time.UnixMilli(start).UTC(), End: time.UnixMilli(start + win).UTC(), Count: n,
		})
	}
	return out, nil
}
