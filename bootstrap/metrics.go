package bootstrap

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/secuird/authy/adapters/httpapi/metricshttp"
	"github.com/secuird/authy/adapters/telemetry/promtelemetry"
)

// setupMetrics builds the Prometheus registry of this App (one per App, so
// tests can boot several in one process), the meter every context reports
// to, and the pool collectors.
func (a *App) setupMetrics() error {
	reg := prometheus.NewRegistry()
	meter, err := promtelemetry.NewMeter(reg)
	if err != nil {
		return err
	}
	if err := promtelemetry.RegisterRuntime(reg); err != nil {
		return err
	}
	sqlDB, err := a.db.Gorm().DB()
	if err != nil {
		return err
	}
	if err := promtelemetry.RegisterDBPool(reg, sqlDB, string(a.db.Dialect())); err != nil {
		return err
	}
	if a.rdb != nil {
		if err := promtelemetry.RegisterRedisPool(reg, a.rdb); err != nil {
			return err
		}
	}
	requests, err := metricshttp.NewRequests(reg)
	if err != nil {
		return err
	}
	a.registry, a.meter, a.requests = reg, meter, requests
	return nil
}
