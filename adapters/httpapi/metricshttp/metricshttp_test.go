package metricshttp_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secuird/authy/adapters/httpapi/metricshttp"
)

func scrape(t *testing.T, h http.Handler, path string) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
	body, _ := io.ReadAll(rec.Result().Body)
	return rec.Code, string(body)
}

func TestObserve_LabelsSurviveTheCallersBufferBeingReused(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := metricshttp.NewRequests(reg)
	if err != nil {
		t.Fatal(err)
	}
	// A view into a buffer, as Fiber hands out, overwritten after the call.
	method, route := []byte("GET"), []byte("/api/health")
	r.Observe(unsafe.String(&method[0], len(method)), unsafe.String(&route[0], len(route)), 200, time.Millisecond)
	copy(method, "PUT")
	copy(route, "/api/xxxxxx")
	r.Observe("PUT", "/api/xxxxxx", 200, time.Millisecond)

	status, body := scrape(t, metricshttp.Handler(reg), "/metrics")
	if status != 200 {
		t.Fatalf("scrape answered %d: %s", status, body)
	}
	for _, want := range []string{
		`authy_http_requests_total{method="GET",route="/api/health",status="200"} 1`,
		`authy_http_requests_total{method="PUT",route="/api/xxxxxx",status="200"} 1`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s:\n%s", want, body)
		}
	}
}

func TestObserve_UnknownMethodsShareOneLabel(t *testing.T) {
	reg := prometheus.NewRegistry()
	r, err := metricshttp.NewRequests(reg)
	if err != nil {
		t.Fatal(err)
	}
	r.Observe("BREW", "(refused)", 400, 0)
	r.Observe("GETT", "(refused)", 400, 0)
	_, body := scrape(t, metricshttp.Handler(reg), "/metrics")
	if !strings.Contains(body, `authy_http_requests_total{method="OTHER",route="(refused)",status="400"} 2`) || strings.Contains(body, "BREW") {
		t.Fatalf("unknown methods must count as OTHER:\n%s", body)
	}
}

func TestHandler_ServesOnlyMetrics(t *testing.T) {
	h := metricshttp.Handler(prometheus.NewRegistry())
	if status, _ := scrape(t, h, "/api/health"); status != 404 {
		t.Fatalf("another path answered %d", status)
	}
}
