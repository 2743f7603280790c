package promtelemetry_test

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/secuird/authy/adapters/telemetry/promtelemetry"
	"github.com/secuird/authy/ports/platformport"
)

func TestAddLabelled_CountsIssuedTokensByGrantAndClient(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := promtelemetry.NewMeter(reg)
	if err != nil {
		t.Fatal(err)
	}
	m.AddLabelled(platformport.MetricOAuthTokens, []string{"client_credentials", "acme-portal-001"}, 1)
	m.AddLabelled(platformport.MetricOAuthTokens, []string{"client_credentials", "acme-portal-001"}, 2)
	m.AddLabelled(platformport.MetricOAuthTokens, []string{"refresh_token"}, 5) // wrong arity: ignored
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "authy_oauth_tokens_issued_total" {
			continue
		}
		if len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter().GetValue() != 3 {
			t.Fatalf("series %v", f.GetMetric())
		}
		return
	}
	t.Fatal("authy_oauth_tokens_issued_total is not exported")
}
