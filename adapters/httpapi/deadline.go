package httpapi

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

// DefaultRequestTimeout bounds a request when Options.RequestTimeout is not
// set.
const DefaultRequestTimeout = 10 * time.Second

// errRequestTimeout answers a request that failed after its deadline with an
// error no layer classified.
var errRequestTimeout = shared.Unavailable("request.deadline_exceeded", "the request could not be completed in time; retry shortly")

// deadline bounds every request: the context handlers pass down
// (c.UserContext) ends after d, so each database query, cache call and wait
// for a pooled connection or a hashing slot made for the request gives up by
// then, and a hung dependency costs a fast 503 instead of a request that
// never ends and a connection that never returns to the pool. A request that
// failed after its deadline with an error no layer classified failed for want
// of time, so it is answered 503 SERVICE_UNAVAILABLE, not 500.
func deadline(d time.Duration) fiber.Handler {
	if d <= 0 {
		d = DefaultRequestTimeout
	}
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		err := c.Next()
		if err == nil || ctx.Err() == nil || shared.KindOf(err) != shared.KindUnknown {
			return err
		}
		var fe *fiber.Error
		if errors.As(err, &fe) {
			return err
		}
		return errRequestTimeout.WithCause(err)
	}
}
