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
// dependency's state) and GET /api/health/ready (503 while a required
// dependency, the database, does not answer).
func RegisterHealth(app fiber.Router, checks []platformport.HealthCheck) {
	app.Get("/api/health", func(c *fiber.Ctx) error {
		states, _ := runChecks(c.UserContext(), checks)
		status := "ok"
		for _, s := range states {
			if s.Status != "up" {
				status = "degraded"
			}
		}
		return OK(c, "alive", fiber.Map{"status": status, "checks": states})
	})
	app.Get("/api/health/ready", func(c *fiber.Ctx) error {
		states, ready := runChecks(c.UserContext(), checks)
		if !ready {
			return shared.Unavailable("health.not_ready", "a required dependency does not answer")
		}
		return OK(c, "ready", fiber.Map{"status": "ready", "checks": states})
	})
}

type checkState struct {
	Status  string `json:"status"`
	Backend string `json:"backend"`
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
			state := "up"
			if err := hc.Check(ctx); err != nil {
				state = "down"
			}
			mu.Lock()
			states[hc.Name] = checkState{Status: state, Backend: hc.Backend}
			if state != "up" && hc.Required {
				ready = false
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	return states, ready
}
