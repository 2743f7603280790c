package bootstrap

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

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

// serveMetrics serves GET /metrics on ln, a listener of its own so the
// public one never exposes it, and returns what stops it. A nil ln serves
// nothing.
func (a *App) serveMetrics(ln net.Listener) (stop func()) {
	if ln == nil {
		return func() {}
	}
	srv := &http.Server{
		Handler:           metricshttp.Handler(a.registry),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
		MaxHeaderBytes:    16 << 10,
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("metrics listener stopped", "error", err.Error())
		}
	}()
	a.log.Info("metrics listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			_ = srv.Close()
		}
		<-done
	}
}
