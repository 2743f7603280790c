// Package metricshttp is the HTTP side of metrics: the request counter and
// latency histogram fed by the edge's access log, and GET /metrics in the
// Prometheus text format. It imports Fiber and the Prometheus client.
package metricshttp

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Requests observes requests by method, route template and status.
type Requests struct {
	count   *prometheus.CounterVec
	latency *prometheus.HistogramVec
}

// NewRequests registers the HTTP request metrics on reg.
func NewRequests(reg prometheus.Registerer) (*Requests, error) {
	r := &Requests{
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "authy", Subsystem: "http", Name: "requests_total",
			Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "authy", Subsystem: "http", Name: "request_duration_seconds",
			Help:    "HTTP request latency by method, route template and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"method", "route", "status"}),
	}
	for _, c := range []prometheus.Collector{r.count, r.latency} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// Observe records one finished request. route is the template (never the
// raw path), so label cardinality stays bounded.
func (r *Requests) Observe(method, route string, status int, elapsed time.Duration) {
	s := strconv.Itoa(status)
	r.count.WithLabelValues(method, route, s).Inc()
	r.latency.WithLabelValues(method, route, s).Observe(elapsed.Seconds())
}

// Register serves GET /metrics from g.
func Register(app fiber.Router, g prometheus.Gatherer) {
	h := adaptor.HTTPHandler(promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	app.Get("/metrics", h)
}
