package platformport

import (
	"context"
	"time"
)

// Clock tells the time. Application services take it so that tests run on a
// fixed clock; the domain never reads the time itself.
type Clock interface {
	Now() time.Time
}

// ClockFunc adapts a function to Clock.
type ClockFunc func() time.Time

// Now implements Clock.
func (f ClockFunc) Now() time.Time { return f() }

// SystemClock is the wall clock in UTC.
var SystemClock Clock = ClockFunc(func() time.Time { return time.Now().UTC() })

// Limit is "at most Max events per Window" for one key.
type Limit struct {
	Max    int
	Window time.Duration
}

// Decision is the outcome of one rate-limit check.
type Decision struct {
	Allowed    bool
	Remaining  int
	RetryAfter time.Duration
}

// RateLimiter counts events per key in a sliding window.
//
// Contract (checked by platformporttest): Take admits at most Limit.Max
// events per key in any span of Limit.Window; a refused call does not count;
// a refused decision carries RetryAfter > 0 that is the time until the oldest
// counted event leaves the window; keys are independent; Reset forgets a key.
// Implementations shared by several server instances (Redis) give every
// instance the same answer.
type RateLimiter interface {
	Take(ctx context.Context, key string, limit Limit) (Decision, error)
	Peek(ctx context.Context, key string, limit Limit) (Decision, error)
	Reset(ctx context.Context, key string) error
}

// HealthCheck probes one dependency. Name and Backend (for example
// "postgres", "sqlite", "redis", "in-process") are reported in the health
// payload; Check returns nil when the dependency answers. A Required
// dependency that does not answer makes the server not ready. Report, when
// set, is asked instead of Check, for a dependency whose state is more than
// up or down.
type HealthCheck struct {
	Name     string
	Backend  string
	Required bool
	Check    func(ctx context.Context) error
	Report   func(ctx context.Context) HealthReport
}

// The states a health check reports.
const (
	HealthUp            = "up"
	HealthDown          = "down"
	HealthNotConfigured = "not_configured" // deliberately absent; the server runs without it
)

// HealthReport is a dependency's state (HealthUp, HealthDown or
// HealthNotConfigured) and, when Queued is set, how much work waits on it
// (mail held in the outbox).
type HealthReport struct {
	Status string
	Queued *int
}

// Metric names an operational counter exported to Prometheus.
type Metric string

// The counters contexts report. The outcome label is one of the values in
// the comment.
const (
	MetricLogins         Metric = "logins"          // succeeded | failed
	MetricSessions       Metric = "sessions"        // created | revoked | expired
	MetricRateLimited    Metric = "rate_limited"    // the limit's name: login | register | password | contact …
	MetricMailDeliveries Metric = "mail_deliveries" // sent | failed | expired
	MetricAuditRecords   Metric = "audit_records"   // written
	MetricRegistrations  Metric = "registrations"   // succeeded | failed
	// MetricOAuthTokens counts the tokens the OpenID Provider issued, by
	// grant type and client id (two labels: see LabelledMeter).
	MetricOAuthTokens Metric = "oauth_tokens_issued"
)

// Meter counts operational events. Implementations are cheap, safe for
// concurrent use and never fail.
type Meter interface {
	Add(metric Metric, outcome string, n int)
}

// LabelledMeter is a Meter that also counts the metrics with more than one
// label (MetricOAuthTokens), their label values in the order the metric
// documents. A metric counted with the wrong number of labels is ignored.
type LabelledMeter interface {
	Meter
	AddLabelled(metric Metric, labels []string, n int)
}

// NopMeter discards every count.
type NopMeter struct{}

// Add implements Meter.
func (NopMeter) Add(Metric, string, int) {}

// AddLabelled implements LabelledMeter.
func (NopMeter) AddLabelled(Metric, []string, int) {}
