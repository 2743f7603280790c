package httpapi

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

const (
	// HeaderRequestID carries the request id both ways: the client may send
	// one (kept as the correlation id), the response carries the server's.
	HeaderRequestID = "X-Request-ID"
	// HeaderCorrelationID echoes the client's X-Request-ID back when it was
	// well-formed, so a client can match a response to what it sent.
	HeaderCorrelationID = "X-Correlation-ID"
	localRequestID      = "authy.request_id"
	localCorrelationID  = "authy.correlation_id"
	localClientIP       = "authy.client_ip"
	// maxCorrelationID bounds a client's X-Request-ID kept for correlation.
	maxCorrelationID = 64
)

// RequestID returns the id of the request being served.
func RequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	return ensureRequestID(c)
}

// CorrelationID returns the well-formed X-Request-ID the client sent, or ""
// when it sent none or a malformed one.
func CorrelationID(c *fiber.Ctx) string {
	ensureRequestID(c)
	id, _ := c.Locals(localCorrelationID).(string)
	return id
}

// ClientIP returns the client address chosen by the trusted-proxy rule.
func ClientIP(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localClientIP).(string); ok {
		return ip
	}
	return c.Context().RemoteIP().String()
}

// ensureRequestID gives the request its id, always a new server-side v4
// UUID (see requestIDs): a client-chosen id would let two requests share one in the logs and
// the audit trail, or let a client pose as another request. The client's own
// X-Request-ID, when well-formed, is kept apart as the correlation id and
// echoed as X-Correlation-ID.
func ensureRequestID(c *fiber.Ctx) string {
	if id, ok := c.Locals(localRequestID).(string); ok {
		return id
	}
	id := requestIDs.next()
	c.Locals(localRequestID, id)
	c.Set(HeaderRequestID, id)
	if corr := acceptRequestID(c.Get(HeaderRequestID)); corr != "" {
		c.Locals(localCorrelationID, corr)
		c.Set(HeaderCorrelationID, corr)
	}
	return id
}

// acceptRequestID returns a client's X-Request-ID fit to keep as its
// correlation id: 1 to 64 of A-Z a-z 0-9 . _ : - (every UUID, and the
// tokens tracing proxies send); anything else (which could be a
// log-injection attempt or an unbounded string) gives "". The result is a
// copy, never a view into Fiber's buffer: it outlives the request in the
// context and the audit record.
func acceptRequestID(in string) string {
	if in == "" || len(in) > maxCorrelationID {
		return ""
	}
	for i := 0; i < len(in); i++ {
		switch b := in[i]; {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9', b == '-', b == '_', b == '.', b == ':':
		default:
			return ""
		}
	}
	return strings.Clone(in)
}

// requestMeta assigns the request id, keeps the client's correlation id,
// resolves the client IP and puts them, with the user agent, into the
// request's context for the layers below.
func requestMeta(proxies []netip.Prefix) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id := ensureRequestID(c)
		ip := clientIP(c, proxies)
		c.Locals(localClientIP, ip)
		// A copy: the context outlives Fiber's reused header buffer (audit
		// records written after the response, background work).
		ua := c.Request().Header.UserAgent()
		if len(ua) > 512 {
			ua = ua[:512]
		}
		c.SetUserContext(shared.WithRequestMeta(c.UserContext(), shared.RequestMeta{
			RequestID: id, CorrelationID: CorrelationID(c), ClientIP: ip, UserAgent: string(ua),
		}))
		return c.Next()
	}
}

// clientIP returns the socket peer unless the peer is a trusted proxy; only
// then does X-Forwarded-For count, read from the right, skipping further
// trusted proxies, so a client cannot choose its own address by sending the
// header. Every X-Forwarded-For line counts, joined in order: a proxy that
// adds its own line (HAProxy does) instead of appending to the client's
// would otherwise leave the client's forged first line believed. The walk
// stops at the first hop it cannot parse and answers the last trusted hop
// it verified, never a value the client wrote.
func clientIP(c *fiber.Ctx, proxies []netip.Prefix) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if !trusted(peer, proxies) {
		return peer.String()
	}
	// PeekAll's result is a view into a buffer the next Peek reuses, and
	// nothing else reads headers before the walk ends.
	lines := c.Request().Header.PeekAll(fiber.HeaderXForwardedFor)
	for l := len(lines) - 1; l >= 0; l-- {
		line := lines[l]
		for end := len(line); end >= 0; {
			start := bytes.LastIndexByte(line[:end], ',') + 1
			addr, ok := parseHop(line[start:end])
			if !ok {
				return peer.String()
			}
			if !trusted(addr, proxies) {
				return addr.String()
			}
			peer = addr
			end = start - 1
		}
	}
	return peer.String()
}

// parseHop reads one X-Forwarded-For entry: an IPv4 or IPv6 address,
// optionally bracketed, with an optional port (which some proxies add), and
// without the zone (a zone names a link on the proxy, not a client).
func parseHop(b []byte) (netip.Addr, bool) {
	s := string(bytes.TrimSpace(b))
	addr, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			addr = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if addr, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !addr.Is6() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	return addr.WithZone("").Unmap(), true
}

func trusted(a netip.Addr, proxies []netip.Prefix) bool {
	for _, p := range proxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ParseTrustedProxies reads a comma-separated list of IPs and CIDR ranges.
func ParseTrustedProxies(list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, raw := range list {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		if strings.Contains(raw, "/") {
			p, err := netip.ParsePrefix(raw)
			if err != nil {
				return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP or CIDR", raw)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(raw)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is not an IP or CIDR", raw)
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

// recoverPanics turns a panic into a 500 envelope and logs the panic value
// and stack with the request id; nothing of it reaches the client.
func recoverPanics(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.LogAttrs(c.UserContext(), slog.LevelError, "panic",
					slog.String("request_id", RequestID(c)),
					slog.String("panic", fmt.Sprint(r)),
					slog.String("stack", string(debug.Stack())))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return c.Next()
	}
}

// accessLog writes one structured line per request once the response is
// final (after the error handler ran).
func accessLog(log *slog.Logger, errorHandler fiber.ErrorHandler, observe func(string, string, int, time.Duration)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		// Read before the error handler: a route group's middleware makes
		// c.Route() the group's prefix, so an unknown path below a group is
		// told by the router's own not-found error, not by the route.
		route := c.Route().Path
		if (route == "/" && c.Path() != "/") || routerNotFound(c, err) {
			route = "(unmatched)"
		}
		if err != nil {
			if herr := errorHandler(c, err); herr != nil {
				_ = c.SendStatus(fiber.StatusInternalServerError)
			}
		}
		finishRequest(c, log, observe, route, time.Since(start))
		return nil
	}
}

// routerNotFound reports the error Fiber's router returns when no route
// matched the request (handlers answer their own 404s with typed errors).
func routerNotFound(c *fiber.Ctx, err error) bool {
	var fe *fiber.Error
	return errors.As(err, &fe) && fe.Code == fiber.StatusNotFound &&
		strings.HasPrefix(fe.Message, "Cannot "+c.Method()+" ")
}

// finishRequest counts and logs one answered request. Fiber's strings are
// views into buffers the next request on the connection overwrites, so
// everything handed on is a copy: a log handler may keep attributes past
// the call (observe copies what it keeps itself). The line is built only
// when the logger takes it: a busy instance logging at warn pays nothing
// for the requests it does not log.
func finishRequest(c *fiber.Ctx, log *slog.Logger, observe func(string, string, int, time.Duration), route string, elapsed time.Duration) {
	status := c.Response().StatusCode()
	if observe != nil {
		observe(c.Method(), route, status, elapsed)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	ctx := c.UserContext()
	if !log.Enabled(ctx, level) {
		return
	}
	log.LogAttrs(ctx, level, "request",
		slog.String("request_id", RequestID(c)),
		slog.String("correlation_id", CorrelationID(c)),
		slog.String("method", strings.Clone(c.Method())),
		slog.String("route", strings.Clone(route)),
		slog.String("path", strings.Clone(c.Path())),
		slog.Int("status", status),
		slog.Float64("latency_ms", float64(elapsed.Microseconds())/1000),
		slog.String("client_ip", strings.Clone(ClientIP(c))),
		slog.Int("bytes_out", len(c.Response().Body())),
	)
}

// securityHeaders sets the response headers every API answer carries. Pages
// that need scripts (the docs page) replace the CSP on their own route.
func securityHeaders(production bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		setSecurityHeaders(&c.Response().Header, production)
		return c.Next()
	}
}
