package httpapi

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secuird/authy/domain/shared"
)

// routeRefused labels requests the edge answered before routing them.
const routeRefused = "(refused)"

// refusal is an answer the edge gives before any route runs, for a status
// the kind table has no row for.
type refusal struct {
	status             int
	typ, code, message string
}

func (r *refusal) Error() string { return r.code }

var (
	errAmbiguousLength = shared.BadRequest("request.ambiguous_length",
		"the request declares its body length more than once")
	errInvalidMethod = shared.BadRequest("request.invalid_method", "the request method is not supported")
	errEncodedBody   = &refusal{fiber.StatusUnsupportedMediaType, TypeUnsupportedMedia,
		"request.unsupported_content_encoding", "request bodies must not be compressed"}
	errBrokenBody = shared.BadRequest("request.incomplete_body", "the request body ended before its declared length")
)

// frontDoor runs before Fiber's router for every request fasthttp parsed,
// and renders the answers fasthttp gives by itself (headers too large, read
// timeout, unreadable request line), so that every response carries the
// envelope and the security headers.
//
// Request bodies are streamed by fasthttp (so a declared Content-Length
// reserves nothing) and read here, growing only as bytes arrive, before any
// handler runs: handlers keep using c.Body(), and no handler can leave an
// unread body behind to be parsed as the next request on the connection.
type frontDoor struct {
	app        *fiber.App
	next       fasthttp.RequestHandler
	errors     fiber.ErrorHandler
	bodyLimit  int
	production bool
	log        *slog.Logger
	observe    func(method, route string, status int, elapsed time.Duration)
}

// install puts the front door in front of app's handler and in place of its
// error handler for requests fasthttp could not read.
func (f *frontDoor) install() {
	srv := f.app.Server()
	f.next = srv.Handler
	srv.Handler = f.serve
	srv.ErrorHandler = f.unreadable
}

func (f *frontDoor) serve(fctx *fasthttp.RequestCtx) {
	if err := f.admit(fctx); err != nil {
		// The framing or the body is in doubt: nothing more is read from
		// this connection.
		fctx.SetConnectionClose()
		f.refuse(fctx, err, time.Since(fctx.Time()))
		return
	}
	f.next(fctx)
	if fctx.Request.IsBodyStream() {
		fctx.SetConnectionClose()
	}
}

// admit checks what must hold before routing and reads the body.
func (f *frontDoor) admit(fctx *fasthttp.RequestCtx) error {
	if ambiguousFraming(fctx.Request.Header.RawHeaders()) {
		return errAmbiguousLength
	}
	if !knownMethod(fctx.Method()) {
		return errInvalidMethod
	}
	// Fiber would inflate a compressed body without bound when a handler
	// reads it; the API takes plain JSON only.
	if enc := fctx.Request.Header.Peek(fiber.HeaderContentEncoding); len(enc) > 0 && !bytes.EqualFold(bytes.TrimSpace(enc), []byte("identity")) {
		return errEncodedBody
	}
	return f.readBody(&fctx.Request)
}

// readBody replaces the body stream with the bytes actually received, up to
// the body limit.
func (f *frontDoor) readBody(req *fasthttp.Request) error {
	if !req.IsBodyStream() {
		return nil
	}
	declared := req.Header.ContentLength()
	if declared > f.bodyLimit {
		return fiber.ErrRequestEntityTooLarge
	}
	var buf bytes.Buffer
	n, err := buf.ReadFrom(io.LimitReader(req.BodyStream(), int64(f.bodyLimit)+1))
	switch {
	case err != nil && isTimeout(err):
		return fiber.ErrRequestTimeout
	case err != nil:
		return errBrokenBody
	case n > int64(f.bodyLimit):
		return fiber.ErrRequestEntityTooLarge
	case declared >= 0 && n != int64(declared):
		return errBrokenBody
	}
	req.SetBodyRaw(buf.Bytes())
	return nil
}

// unreadable is fasthttp's error handler: the request could not be read, so
// no handler runs and the connection is closed after this answer.
func (f *frontDoor) unreadable(fctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	switch {
	case errors.As(err, &small):
		err = fiber.ErrRequestHeaderFieldsTooLarge
	case isTimeout(err):
		err = fiber.ErrRequestTimeout
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		err = fiber.ErrRequestEntityTooLarge
	default:
		err = fiber.ErrBadRequest
	}
	f.refuse(fctx, err, 0)
}

// refuse answers with the envelope and the security headers, and logs and
// counts the request like the access log does.
func (f *frontDoor) refuse(fctx *fasthttp.RequestCtx, err error, elapsed time.Duration) {
	c := f.app.AcquireCtx(fctx)
	defer f.app.ReleaseCtx(c)
	setSecurityHeaders(&fctx.Response.Header, f.production)
	if herr := f.errors(c, err); herr != nil {
		_ = c.SendStatus(fiber.StatusInternalServerError)
	}
	finishRequest(c, f.log, f.observe, routeRefused, elapsed)
}

// ambiguousFraming reports a request whose body length could be read two
// ways: Content-Length given more than once (even with equal values; RFC
// 9110 §8.6 allows refusing), or given together with Transfer-Encoding. A
// proxy in front that picks the other reading would forward a hidden second
// request.
func ambiguousFraming(raw []byte) bool {
	lengths, chunked := 0, false
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			continue
		}
		name := bytes.TrimRight(line[:colon], " \t")
		switch {
		case bytes.EqualFold(name, []byte(fiber.HeaderContentLength)):
			lengths++
		case bytes.EqualFold(name, []byte(fiber.HeaderTransferEncoding)):
			chunked = true
		}
	}
	return lengths > 1 || (lengths == 1 && chunked)
}

func knownMethod(m []byte) bool {
	for _, known := range fiber.DefaultMethods {
		if string(m) == known {
			return true
		}
	}
	return false
}

func isTimeout(err error) bool {
	if errors.Is(err, fasthttp.ErrTimeout) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// securityHeaderValues are the headers of every answer, including those
// the edge gives before any middleware runs.
var securityHeaderValues = [][2]string{
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
	{"Referrer-Policy", "no-referrer"},
	{"Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"},
	{"Cross-Origin-Opener-Policy", "same-origin"},
	{"Cache-Control", "no-store"},
}

var hstsHeader = [2]string{"Strict-Transport-Security", "max-age=63072000; includeSubDomains"}

func securityHeaderList(production bool) [][2]string {
	if production {
		return productionSecurityHeaders
	}
	return securityHeaderValues
}

var productionSecurityHeaders = append(securityHeaderValues[:len(securityHeaderValues):len(securityHeaderValues)], hstsHeader)

// canonicalHeader is a header name in canonical form and its value, as
// bytes, so setting it copies them into the response and does nothing else
// (no normalising of the name, no conversion).
type canonicalHeader struct{ key, value []byte }

func canonicalHeaders(list [][2]string) []canonicalHeader {
	out := make([]canonicalHeader, len(list))
	for i, kv := range list {
		out[i] = canonicalHeader{key: []byte(textproto.CanonicalMIMEHeaderKey(kv[0])), value: []byte(kv[1])}
	}
	return out
}

// The security headers of each mode, prepared once: every answer sets them.
var (
	securityHeadersSet           = canonicalHeaders(securityHeaderValues)
	productionSecurityHeadersSet = canonicalHeaders(productionSecurityHeaders)
)

func setSecurityHeaders(h *fasthttp.ResponseHeader, production bool) {
	set := securityHeadersSet
	if production {
		set = productionSecurityHeadersSet
	}
	for _, kv := range set {
		h.SetCanonical(kv.key, kv.value)
	}
}
