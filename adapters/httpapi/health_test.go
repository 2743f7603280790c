package httpapi_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/ports/platformport"
)

type healthBody struct {
	Code int `json:"code"`
	Data struct {
		Status string `json:"status"`
		Checks map[string]struct {
			Status  string `json:"status"`
			Backend string `json:"backend"`
			Queued  *int   `json:"queued"`
		} `json:"checks"`
	} `json:"data"`
}

func getHealth(t *testing.T, srv *testServer, path string) healthBody {
	t.Helper()
	res, err := srv.app.Test(httptest.NewRequest("GET", path, nil))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	var b healthBody
	if err := json.Unmarshal(raw, &b); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, raw)
	}
	return b
}

func TestHealth_ReportsANotConfiguredDependencyWithItsQueueWithoutFailingReadiness(t *testing.T) {
	srv := newServer(t, httpapi.Options{})
	queued := 3
	var checks []platformport.HealthCheck
	httpapi.RegisterHealth(srv.app, func() []platformport.HealthCheck { return checks })
	// Added after the routes, as contexts wired later do.
	checks = append(checks,
		platformport.HealthCheck{Name: "database", Backend: "sqlite", Required: true, Check: func(context.Context) error { return nil }},
		platformport.HealthCheck{Name: "mail", Backend: "none", Report: func(context.Context) platformport.HealthReport {
			return platformport.HealthReport{Status: platformport.HealthNotConfigured, Queued: &queued}
		}},
	)
	live := getHealth(t, srv, "/api/health")
	m := live.Data.Checks["mail"]
	if live.Code != 200 || live.Data.Status != "degraded" || m.Status != "not_configured" || m.Backend != "none" || m.Queued == nil || *m.Queued != 3 {
		t.Fatalf("liveness = %+v, mail %+v", live, m)
	}
	if live.Data.Checks["database"].Queued != nil {
		t.Fatal("a check without a queue must not report one")
	}
	if ready := getHealth(t, srv, "/api/health/ready"); ready.Code != 200 {
		t.Fatalf("readiness = %d; a dependency that is not required must not fail it", ready.Code)
	}

	checks = append(checks, platformport.HealthCheck{Name: "broken", Required: true, Check: func(context.Context) error { return errors.New("down") }})
	if ready := getHealth(t, srv, "/api/health/ready"); ready.Code != 503 {
		t.Fatalf("readiness with a required dependency down = %d", ready.Code)
	}
}
