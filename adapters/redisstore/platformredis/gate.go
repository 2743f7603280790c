package platformredis

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/ports/platformport"
)

// admitAttempt runs the checks of one attempt in one script: each is the
// sliding log of slidingLog on the RateLimiter's key, a refusal may be
// waived by a member of a RecentSet's set (recentHas), and the refusal is
// counted in the Tally's windows (tallyAdd), all on Redis' own clock. One
// round trip decides an attempt and tallies its refusal, so a flood of
// refused attempts costs Redis one script call each.
//
// KEYS[1] tally index; KEYS[2] tally counts; then for check i (from 1)
// KEYS[1+2i] its limiter key and KEYS[2+2i] its waiving set (the limiter
// key again when there is none, unread). ARGV[1] number of checks;
// ARGV[2] tally window (ms); ARGV[3] tally keep after end (ms); ARGV[4]
// member suffix; then for check i, from ARGV[5*i]: window (µs), max, take
// (1/0), waiving member (” for none), tally key (” for none).
// Returns {refused check (from 1; 0 when admitted), retry_after_µs}.
var admitAttempt = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
for i = 1, n do
  local key = KEYS[1 + 2 * i]
  local a = 5 * i
  local window = tonumber(ARGV[a])
  local max = tonumber(ARGV[a + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
  local count = redis.call('ZCARD', key)
  if count < max then
    if ARGV[a + 2] == '1' then
      redis.call('ZADD', key, now, now .. '-' .. ARGV[4] .. '-' .. i)
      redis.call('PEXPIRE', key, math.ceil(window / 1000) + 1000)
    end
  else
    local waived = false
    if ARGV[a + 3] ~= '' then
      local s = redis.call('ZSCORE', KEYS[2 + 2 * i], ARGV[a + 3])
      waived = s and tonumber(s) > now
    end
    if not waived then
      local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
      local retry = 1000
      if oldest[2] then
        retry = tonumber(oldest[2]) + window - now
        if retry < 1000 then retry = 1000 end
      end
      if ARGV[a + 4] ~= '' then
        local ms = math.floor(now / 1000)
        local w = tonumber(ARGV[2])
        local keep = tonumber(ARGV[3])
        local start = ms - (ms % w)
        local member = start .. ':' .. w .. ':' .. ARGV[a + 4]
        if redis.call('HINCRBY', KEYS[2], member, 1) == 1 then
          redis.call('ZADD', KEYS[1], start + w, member)
        end
        local stale = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ms - keep, 'LIMIT', 0, 100)
        for _, m in ipairs(stale) do
          redis.call('HDEL', KEYS[2], m)
          redis.call('ZREM', KEYS[1], m)
        end
        if redis.call('PTTL', KEYS[1]) < w + keep then
          redis.call('PEXPIRE', KEYS[1], w + keep)
          redis.call('PEXPIRE', KEYS[2], w + keep)
        end
      end
      return {i, retry}
    end
  end
end
return {0, 0}
`)

// Gate is the Redis-backed platformport.AttemptGate, on the keys of the
// RateLimiter, RecentSet and Tally made with the same prefix.
type Gate struct {
	rdb                  redis.UniversalClient
	limits, recent       string
	tallyIndex, tallyMap string
}

var _ platformport.AttemptGate = (*Gate)(nil)

// NewGate returns a gate over the keys NewRateLimiter, NewRecentSet and
// NewTally use under prefix.
func NewGate(rdb redis.UniversalClient, prefix string) *Gate {
	t := NewTally(rdb, prefix)
	return &Gate{rdb: rdb, limits: prefix + "rl:", recent: prefix + "recent:", tallyIndex: t.index, tallyMap: t.hash}
}

// Admit implements platformport.AttemptGate.
func (g *Gate) Admit(ctx context.Context, checks []platformport.LimitCheck, tallyWindow time.Duration) (platformport.Verdict, error) {
	if len(checks) == 0 {
		return platformport.Verdict{Refused: -1}, nil
	}
	w := tallyWindow.Milliseconds()
	if w < 1 {
		w = 1
	}
	keys := make([]string, 0, 2+2*len(checks))
	keys = append(keys, g.tallyIndex, g.tallyMap)
	args := make([]any, 0, 4+5*len(checks))
	args = append(args, len(checks), w, tallyKeepAfterEnd.Milliseconds(), randomSuffix())
	for _, c := range checks {
		key := g.limits + c.Key
		waiveSet, waiveMember := key, ""
		if c.WaiveSet != "" {
			waiveSet, waiveMember = g.recent+c.WaiveSet, c.WaiveMember
		}
		keys = append(keys, key, waiveSet)
		take := "0"
		if c.Take {
			take = "1"
		}
		args = append(args, c.Limit.Window.Microseconds(), c.Limit.Max, take, waiveMember, c.TallyKey)
	}
	res, err := admitAttempt.Run(ctx, g.rdb, keys, args...).Int64Slice()
	if err != nil {
		return platformport.Verdict{}, fmt.Errorf("attempt gate: %w", err)
	}
	if len(res) != 2 || res[0] < 0 || res[0] > int64(len(checks)) {
		return platformport.Verdict{}, fmt.Errorf("attempt gate: unexpected answer %v", res)
	}
	return platformport.Verdict{Refused: int(res[0]) - 1, RetryAfter: time.Duration(res[1]) * time.Microsecond}, nil
}
