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
	// RequestTimeout bounds each request's context (0: DefaultRequestTimeout).
	RequestTimeout time.Duration
	// MaxHeaderBytes bounds the request line and headers together (larger:
	// 431); 0 is DefaultMaxHeaderBytes.
	MaxHeaderBytes int
	// MaxConns and MaxConnsPerIP bound open connections (0: no bound); they
	// apply to listeners wrapped by Listener.
	MaxConns      int
	MaxConnsPerIP int
	Logger        *slog.Logger
	// Observe, when set, is told of every finished request (metrics). Its
	// strings may be views into the request's buffers: it copies what it
	// keeps.
	Observe func(method, route string, status int, elapsed time.Duration)
	// Groups are the route groups that answer errors in their own format
	// (pages, protocol endpoints); every other path answers the envelope.
	Groups []RouteGroup
}

// DefaultMaxHeaderBytes is the default bound of the request line and
// headers: room for long redirect-binding query strings.
const DefaultMaxHeaderBytes = 16 << 10

// New returns a Fiber app with the edge installed. Before routing, the front
// door refuses ambiguous framing, unknown methods and compressed bodies, and
// reads the (streamed) body within the limit; it also renders fasthttp's own
// refusals (431, 408, unreadable requests). Then the middleware, in this
// order: request id and client IP, access log (which also runs the error
// handler so the logged status is the one sent), panic recovery, the request
// deadline, security headers and CORS. Routes are added by the caller.
func New(o Options) *fiber.App {
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	if o.BodyLimit <= 0 {
		o.BodyLimit = 1 << 20
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	eh := groupErrors(ErrorHandler(log), o.Groups)
	app := fiber.New(fiber.Config{
		AppName:        "authy",
		BodyLimit:      o.BodyLimit,
		ReadBufferSize: o.MaxHeaderBytes,
		// Bodies arrive as a stream the front door reads as bytes come in:
		// fasthttp would otherwise allocate the declared Content-Length
		// before the first byte of the body, for anyone.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		// The listener enforces MaxConns with an envelope; fasthttp's own
		// bound (a plain-text 503) stays out of its way.
		Concurrency:  max(o.MaxConns, fiber.DefaultConcurrency),
		ReadTimeout:  orDefault(o.ReadTimeout, 15*time.Second),
		WriteTimeout: orDefault(o.WriteTimeout, 15*time.Second),
		IdleTimeout:  orDefault(o.IdleTimeout, 60*time.Second),
		// Every string a handler gets from the context is its own copy, not
		// a view into a buffer the next request overwrites: handlers hand
		// them to caches, limiters and goroutines that outlive the request.
		Immutable:             true,
		ErrorHandler:          eh,
		DisableStartupMessage: true,
		JSONEncoder:           json.Marshal,
		JSONDecoder:           json.Unmarshal,
		StrictRouting:         false,
		CaseSensitive:         true,
	})
	(&frontDoor{
		app: app, errors: eh, bodyLimit: o.BodyLimit, production: o.Production,
		log: log, observe: o.Observe,
	}).install()
	app.Use(requestMeta(o.TrustedProxies))
	app.Use(accessLog(log, eh, o.Observe))
	app.Use(recoverPanics(log))
	app.Use(deadline(o.RequestTimeout))
	app.Use(securityHeaders(o.Production))
	if len(o.CORSOrigins) > 0 {
		app.Use(cors.New(cors.Config{
			AllowOrigins:  strings.Join(o.CORSOrigins, ","),
			AllowMethods:  "GET,POST,PATCH,PUT,DELETE,OPTIONS",
			AllowHeaders:  "Authorization,Content-Type,X-Request-ID",
			ExposeHeaders: "X-Request-ID,X-Correlation-ID,Retry-After",
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
