// Package promtelemetry implements platformport.Meter with Prometheus
// counters and registers the process, runtime, build, database-pool and
// Redis-pool collectors. It is an outbound adapter: it imports ports and the
// Prometheus client only.
package promtelemetry

import (
	"database/sql"
	"runtime/debug"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/ports/platformport"
)

// Namespace prefixes every metric.
const Namespace = "authy"

// Meter counts platformport metrics as authy_<metric>_total{outcome}, and
// the metrics with several labels as authy_<metric>_total{labels...}.
type Meter struct {
	counters map[platformport.Metric]*prometheus.CounterVec
	labelled map[platformport.Metric]labelledCounter
}

type labelledCounter struct {
	vec    *prometheus.CounterVec
	labels int
}

// labelledMetrics are the metrics with more than one label, and their labels.
var labelledMetrics = map[platformport.Metric]struct {
	help   string
	labels []string
}{
	platformport.MetricOAuthTokens: {"Tokens the OpenID Provider issued, by grant type and client.", []string{"grant", "client"}},
}

var help = map[platformport.Metric]string{
	platformport.MetricLogins:         "Login attempts by outcome (succeeded, failed).",
	platformport.MetricSessions:       "Session lifecycle events (created, revoked, expired).",
	platformport.MetricRateLimited:    "Requests refused by a rate limit, by limit name.",
	platformport.MetricMailDeliveries: "Mail delivery attempts by outcome (sent, failed, expired: given up past its deadline).",
	platformport.MetricAuditRecords:   "Audit records written.",
	platformport.MetricRegistrations:  "Registrations by outcome.",
}

// outcomes are pre-declared so dashboards see zeros rather than gaps.
var outcomes = map[platformport.Metric][]string{
	platformport.MetricLogins:         {"succeeded", "failed"},
	platformport.MetricSessions:       {"created", "revoked", "expired"},
	platformport.MetricRateLimited:    {"login", "register", "password", "contact"},
	platformport.MetricMailDeliveries: {"sent", "failed", "expired"},
	platformport.MetricAuditRecords:   {"written"},
	platformport.MetricRegistrations:  {"succeeded", "failed"},
}

// NewMeter registers one counter vector per known metric on reg.
func NewMeter(reg prometheus.Registerer) (*Meter, error) {
	m := &Meter{counters: map[platformport.Metric]*prometheus.CounterVec{}, labelled: map[platformport.Metric]labelledCounter{}}
	for metric, def := range labelledMetrics {
		cv := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: string(metric) + "_total", Help: def.help,
		}, def.labels)
		if err := reg.Register(cv); err != nil {
			return nil, err
		}
		m.labelled[metric] = labelledCounter{vec: cv, labels: len(def.labels)}
	}
	for metric, h := range help {
		label := "outcome"
		if metric == platformport.MetricRateLimited {
			label = "limit"
		}
		cv := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: Namespace, Name: string(metric) + "_total", Help: h,
		}, []string{label})
		if err := reg.Register(cv); err != nil {
			return nil, err
		}
		for _, o := range outcomes[metric] {
			cv.WithLabelValues(o)
		}
		m.counters[metric] = cv
	}
	return m, nil
}

// Add implements platformport.Meter. Unknown metrics are ignored rather
// than failing a request.
func (m *Meter) Add(metric platformport.Metric, outcome string, n int) {
	if cv, ok := m.counters[metric]; ok && n > 0 {
		cv.WithLabelValues(outcome).Add(float64(n))
	}
}

// AddLabelled implements platformport.LabelledMeter.
func (m *Meter) AddLabelled(metric platformport.Metric, labels []string, n int) {
	if c, ok := m.labelled[metric]; ok && n > 0 && len(labels) == c.labels {
		c.vec.WithLabelValues(labels...).Add(float64(n))
	}
}

// RegisterRuntime adds the Go runtime, process and build-info collectors.
func RegisterRuntime(reg prometheus.Registerer) error {
	version := "devel"
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		version = bi.Main.Version
	}
	build := prometheus.NewGauge(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "build_info", Help: "Build information of the running binary.",
		ConstLabels: prometheus.Labels{"version": version},
	})
	build.Set(1)
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
		build,
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// RegisterDBPool exports the database connection pool statistics.
func RegisterDBPool(reg prometheus.Registerer, db *sql.DB, dialect string) error {
	return reg.Register(collectors.NewDBStatsCollector(db, dialect))
}

// RegisterRedisPool exports the Redis client's connection pool statistics.
func RegisterRedisPool(reg prometheus.Registerer, rdb *redis.Client) error {
	stat := func(name, h string, f func(*redis.PoolStats) uint32) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: Namespace, Subsystem: "redis_pool", Name: name, Help: h,
		}, func() float64 { return float64(f(rdb.PoolStats())) })
	}
	for _, c := range []prometheus.Collector{
		stat("hits", "Times a free connection was found in the pool.", func(s *redis.PoolStats) uint32 { return s.Hits }),
		stat("misses", "Times a free connection was not found in the pool.", func(s *redis.PoolStats) uint32 { return s.Misses }),
		stat("timeouts", "Times a wait for a connection timed out.", func(s *redis.PoolStats) uint32 { return s.Timeouts }),
		stat("total_conns", "Connections in the pool.", func(s *redis.PoolStats) uint32 { return s.TotalConns }),
		stat("idle_conns", "Idle connections in the pool.", func(s *redis.PoolStats) uint32 { return s.IdleConns }),
		stat("stale_conns", "Stale connections removed from the pool.", func(s *redis.PoolStats) uint32 { return s.StaleConns }),
	} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}
