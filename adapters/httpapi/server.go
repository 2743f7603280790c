package httpapi

import (
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
)

// Options configures the HTTP edge.
type Options struct {
	Production     bool
	BodyLimit      int
	CORSOrigins    []string
	TrustedProxies []netip.Prefix
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	IdleTimeout    time.Duration
	Logger         *slog.Logger
	// Observe, when set, is told of every finished request (metrics).
	Observe func(method, route string, status int, elapsed time.Duration)
}

// New returns a Fiber app with the edge middleware installed, in this order:
// request id and client IP, access log (which also runs the error handler so
// the logged status is the one sent), panic recovery, security headers and
// CORS. Routes are added by the caller.
func New(o Options) *fiber.App {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	eh := ErrorHandler(log)
	app := fiber.New(fiber.Config{
		AppName:               "authy",
		BodyLimit:             o.BodyLimit,
		ReadTimeout:           orDefault(o.ReadTimeout, 15*time.Second),
		WriteTimeout:          orDefault(o.WriteTimeout, 15*time.Second),
		IdleTimeout:           orDefault(o.IdleTimeout, 60*time.Second),
		ErrorHandler:          eh,
		DisableStartupMessage: true,
		JSONEncoder:           json.Marshal,
		JSONDecoder:           json.Unmarshal,
		StrictRouting:         false,
		CaseSensitive:         true,
	})
	app.Use(requestMeta(o.TrustedProxies))
	app.Use(accessLog(log, eh, o.Observe))
	app.Use(recoverPanics(log))
	app.Use(securityHeaders(o.Production))
	if len(o.CORSOrigins) > 0 {
		app.Use(cors.New(cors.Config{
			AllowOrigins:  strings.Join(o.CORSOrigins, ","),
			AllowMethods:  "GET,POST,PATCH,PUT,DELETE,OPTIONS",
			AllowHeaders:  "Authorization,Content-Type,X-Request-ID",
			ExposeHeaders: "X-Request-ID,Retry-After",
			MaxAge:        600,
		}))
	}
	return app
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}
