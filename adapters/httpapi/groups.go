package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// Problem is an error as every format needs it: the HTTP status, the
// envelope type (VALIDATION_ERROR, NOT_FOUND, ...), the stable dotted code,
// a message that reveals nothing internal, and the per-field details of a
// validation error (map[string][]string) or nil. Retry-After is already set
// on the response when it applies.
type Problem struct {
	Status  int
	Type    string
	Code    string
	Message string
	Details any
}

// Renderer writes a Problem in one route group's format. The error handler
// resolves every error (typed errors, Fiber's routing errors, the edge's
// refusals) to a Problem and hands it to the renderer of the request's
// group, so a 404, 405, 413 or 500 answers in the format its client reads.
type Renderer interface {
	RenderError(c *fiber.Ctx, p Problem) error
}

// RendererFunc adapts a function to Renderer.
type RendererFunc func(c *fiber.Ctx, p Problem) error

// RenderError implements Renderer.
func (f RendererFunc) RenderError(c *fiber.Ctx, p Problem) error { return f(c, p) }

// EnvelopeRenderer is the API's format (SPEC §2): the JSON envelope. It is
// the renderer of every path no group claims.
var EnvelopeRenderer Renderer = RendererFunc(func(c *fiber.Ctx, p Problem) error {
	return writeError(c, p.Status, p.Type, p.Code, p.Message, p.Details)
})

// RouteGroup is a set of paths that answer errors with their own renderer.
// A path entry ending in "/" claims that prefix and the path without the
// slash ("/oauth2/" claims /oauth2 and /oauth2/token); any other entry
// claims itself and what lies below it ("/login" claims /login and
// /login/x, not /loginx). The first group that claims a path wins.
type RouteGroup struct {
	Name     string
	Paths    []string
	Renderer Renderer
}

// claims reports whether the group owns path.
func (g RouteGroup) claims(path string) bool {
	for _, p := range g.Paths {
		base := strings.TrimSuffix(p, "/")
		if path == base || strings.HasPrefix(path, base+"/") {
			return true
		}
	}
	return false
}

const localRenderer = "authy.renderer"

// UseRenderer makes r the renderer of this request's errors. A group's
// middleware calls it, and so may a handler whose errors must take another
// form than its group's (an OAuth authorize request before its redirect URI
// is trusted answers an HTML page).
func UseRenderer(c *fiber.Ctx, r Renderer) { c.Locals(localRenderer, r) }

// GroupMiddleware marks every request it sees as g's (see UseRenderer).
func GroupMiddleware(g RouteGroup) fiber.Handler {
	return func(c *fiber.Ctx) error {
		UseRenderer(c, g.Renderer)
		return c.Next()
	}
}

// rendererOf returns the renderer chosen for the request, or the envelope.
func rendererOf(c *fiber.Ctx) Renderer {
	if r, ok := c.Locals(localRenderer).(Renderer); ok && r != nil {
		return r
	}
	return EnvelopeRenderer
}

// renderError writes an error with the request's renderer.
func renderError(c *fiber.Ctx, status int, typ, code, message string, details any) error {
	return rendererOf(c).RenderError(c, Problem{Status: status, Type: typ, Code: code, Message: message, Details: details})
}

// groupErrors wraps the error handler so that a request no middleware
// marked (the edge refuses some before routing; an unknown route under a
// group's prefix runs no group handler) is answered by the renderer of the
// group that claims its path.
func groupErrors(inner fiber.ErrorHandler, groups []RouteGroup) fiber.ErrorHandler {
	if len(groups) == 0 {
		return inner
	}
	return func(c *fiber.Ctx, err error) error {
		if _, marked := c.Locals(localRenderer).(Renderer); !marked {
			path := c.Path()
			for _, g := range groups {
				if g.Renderer != nil && g.claims(path) {
					UseRenderer(c, g.Renderer)
					break
				}
			}
		}
		return inner(c, err)
	}
}
