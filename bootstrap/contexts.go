package bootstrap

import "github.com/gofiber/fiber/v2"

// mountContexts wires each bounded context's outbound adapters, application
// service and routes under /api/v1, one explicit call per context.
func (a *App) mountContexts(api fiber.Router) error {
	_ = api
	return nil
}
