// Package metricshttp is the HTTP side of metrics: the request counter and
// latency histogram fed by the edge's access log, and the handler of
// GET /metrics in the Prometheus text format, served on its own listener
// (never on the public one). It imports net/http and the Prometheus client,
// nothing of the application.
package metricshttp

import (
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Requests observes requests by method, route template and status.
type Requests struct {
	count   *prometheus.CounterVec
	latency *prometheus.HistogramVec
	// series holds each label combination's counter and histogram once
	// seen (seriesKey → *series), so a request costs one look-up of three
	// values and no allocation, instead of formatting the status, copying
	// the route and hashing the labels once per metric.
	series sync.Map
}

type seriesKey struct {
	method, route string
	status        int
}

type series struct {
	count   prometheus.Counter
	latency prometheus.Observer
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
// raw path), so label cardinality stays bounded. A label lives as long as the
// process, so neither value may be a view into a request buffer: the method
// becomes one of a fixed set of constants and the route is copied.
func (r *Requests) Observe(method, route string, status int, elapsed time.Duration) {
	m := methodLabel(method)
	v, ok := r.series.Load(seriesKey{m, route, status})
	if !ok {
		rt, st := strings.Clone(route), strconv.Itoa(status)
		v, _ = r.series.LoadOrStore(seriesKey{m, rt, status}, &series{
			count: r.count.WithLabelValues(m, rt, st), latency: r.latency.WithLabelValues(m, rt, st),
		})
	}
	s := v.(*series)
	s.count.Inc()
	s.latency.Observe(elapsed.Seconds())
}

// methodLabel returns the constant naming method, or OTHER.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet:
		return http.MethodGet
	case http.MethodHead:
		return http.MethodHead
	case http.MethodPost:
		return http.MethodPost
	case http.MethodPut:
		return http.MethodPut
	case http.MethodPatch:
		return http.MethodPatch
	case http.MethodDelete:
		return http.MethodDelete
	case http.MethodOptions:
		return http.MethodOptions
	case http.MethodConnect:
		return http.MethodConnect
	case http.MethodTrace:
		return http.MethodTrace
	}
	return "OTHER"
}

// Handler serves GET /metrics from g; every other path is a 404.
func Handler(g prometheus.Gatherer) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(g, promhttp.HandlerOpts{}))
	return mux
}
