//go:build integration

package e2e

import (
	"strings"
	"testing"

	"github.com/secuird/authy/tests/apitest"
)

func TestMetrics_ExposeRequestsPoolsAndBuildInfo(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			srv.Do(t, "GET", "/api/health", nil, "")
			srv.Do(t, "GET", "/api/v1/nope/123", nil, "")
			body := srv.Metrics(t)
			want := []string{
				`authy_http_requests_total{method="GET",route="/api/health",status="200"} 1`,
				`authy_http_requests_total{method="GET",route="(unmatched)",status="404"} 1`,
				`authy_http_request_duration_seconds_bucket{method="GET",route="/api/health"`,
				`authy_build_info{`,
				`go_sql_open_connections{`,
				`authy_logins_total`, // declared even before the first login
			}
			if backend == apitest.Production {
				want = append(want, "authy_redis_pool_total_conns")
			}
			for _, w := range want {
				if !strings.Contains(body, w) {
					t.Errorf("metrics lack %q", w)
				}
			}
			if strings.Contains(body, "/api/v1/nope/123") {
				t.Error("raw paths must never become labels")
			}
		})
	}
}
