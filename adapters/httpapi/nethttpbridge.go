package httpapi

import (
	"bytes"
	"net/http"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
)

// ServeNetHTTP runs h, a handler written for net/http (the OAuth library's
// endpoints), for the Fiber request c. Unlike Fiber's adaptor, the
// *http.Request it hands h carries c.UserContext(): the request's deadline,
// its metadata (request id, client IP, user agent, for audit) and any
// transaction the caller opened, so the library's storage calls join them.
// h writes into a buffer, which is copied into c's response (status,
// headers, body) once h returns; h's headers replace Fiber's of the same
// name.
func ServeNetHTTP(c *fiber.Ctx, h http.Handler) error {
	r, err := adaptor.ConvertRequest(c, true)
	if err != nil {
		return fiber.NewError(fiber.StatusBadRequest, "the request cannot be read")
	}
	w := &BufferedResponse{header: http.Header{}}
	h.ServeHTTP(w, r.WithContext(c.UserContext()))
	return w.copyTo(c)
}

// NetHTTPRequest returns c as an *http.Request carrying c.UserContext(), for
// a library that parses requests itself and writes through
// BufferedResponse.
func NetHTTPRequest(c *fiber.Ctx) (*http.Request, error) {
	r, err := adaptor.ConvertRequest(c, true)
	if err != nil {
		return nil, fiber.NewError(fiber.StatusBadRequest, "the request cannot be read")
	}
	return r.WithContext(c.UserContext()), nil
}

// NewBufferedResponse returns an empty buffered response (status 200 unless
// written otherwise).
func NewBufferedResponse() *BufferedResponse { return &BufferedResponse{header: http.Header{}} }

// BufferedResponse is an http.ResponseWriter that keeps what is written,
// for WriteTo to copy into a Fiber response.
type BufferedResponse struct {
	header http.Header
	status int
	body   bytes.Buffer
}

// Header implements http.ResponseWriter.
func (w *BufferedResponse) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter; only the first call counts.
func (w *BufferedResponse) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write implements http.ResponseWriter.
func (w *BufferedResponse) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.body.Write(p)
}

// WriteTo copies the buffered status, headers and body into c's response.
func (w *BufferedResponse) WriteTo(c *fiber.Ctx) error { return w.copyTo(c) }

func (w *BufferedResponse) copyTo(c *fiber.Ctx) error {
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	for k, vs := range w.header {
		c.Response().Header.Del(k)
		for _, v := range vs {
			c.Response().Header.Add(k, v)
		}
	}
	c.Status(status)
	return c.Send(w.body.Bytes())
}
