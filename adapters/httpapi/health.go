package httpapi

import (
	"context"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
)

// RegisterHealth adds GET /api/health (liveness: always 200, with each
// dependency's state; "degraded" when one is not up, a dependency left
// unconfigured included) and GET /api/health/ready (503 while a required
// dependency, the database, does not answer).
// checks is read on every probe, so checks registered after the routes
// (by contexts wired later) are included.
func RegisterHealth(app fiber.Router, checks func() []platformport.HealthCheck) {
	app.Get("/api/health", func(c *fiber.Ctx) error {
		states, _ := runChecks(c.UserContext(), checks())
		status := "ok"
		for _, s := range states {
			if s.Status != platformport.HealthUp {
				status = "degraded"
			}
		}
		return OK(c, "alive", fiber.Map{"status": status, "checks": states})
	})
	app.Get("/api/health/ready", func(c *fiber.Ctx) error {
		states, ready := runChecks(c.UserContext(), checks())
		if !ready {
			return shared.Unavailable("health.not_ready", "a required dependency does not answer")
		}
		return OK(c, "ready", fiber.Map{"status": "ready", "checks": states})
	})
}

type checkState struct {
	Status  string `json:"status"`
	Backend string `json:"backend"`
	Queued  *int   `json:"queued,omitempty"`
}

func runChecks(ctx context.Context, checks []platformport.HealthCheck) (map[string]checkState, bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	states := make(map[string]checkState, len(checks))
	ready := true
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, hc := range checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep := platformport.HealthReport{Status: platformport.HealthUp}
			switch {
			case hc.Report != nil:
				rep = hc.Report(ctx)
			case hc.Check(ctx) != nil:
				rep.Status = platformport.HealthDown
			}
			mu.Lock()
			states[hc.Name] = checkState{Status: rep.Status, Backend: hc.Backend, Queued: rep.Queued}
			if rep.Status != platformport.HealthUp && hc.Required {
				ready = false
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return states, ready
}
