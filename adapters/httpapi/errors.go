package httpapi

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

// Envelope error types (SPEC §2).
const (
	TypeValidation       = "VALIDATION_ERROR"
	TypeBadRequest       = "BAD_REQUEST"
	TypeAuthentication   = "AUTHENTICATION_ERROR"
	TypeAuthorization    = "AUTHORIZATION_ERROR"
	TypeNotFound         = "NOT_FOUND"
	TypeMethodNotAllowed = "METHOD_NOT_ALLOWED"
	TypeConflict         = "CONFLICT"
	TypePayloadTooLarge  = "PAYLOAD_TOO_LARGE"
	TypeUnsupportedMedia = "UNSUPPORTED_MEDIA_TYPE"
	TypeRateLimited      = "RATE_LIMIT_EXCEEDED"
	TypeInternal         = "INTERNAL_ERROR"
	TypeUnavailable      = "SERVICE_UNAVAILABLE"
)

// kindTable is the one mapping from error kinds to HTTP.
var kindTable = map[shared.Kind]struct {
	status int
	typ    string
}{
	shared.KindInvalid:         {fiber.StatusBadRequest, TypeValidation},
	shared.KindBadRequest:      {fiber.StatusBadRequest, TypeBadRequest},
	shared.KindUnauthenticated: {fiber.StatusUnauthorized, TypeAuthentication},
	shared.KindForbidden:       {fiber.StatusForbidden, TypeAuthorization},
	shared.KindNotFound:        {fiber.StatusNotFound, TypeNotFound},
	shared.KindConflict:        {fiber.StatusConflict, TypeConflict},
	shared.KindRateLimited:     {fiber.StatusTooManyRequests, TypeRateLimited},
	shared.KindUnavailable:     {fiber.StatusServiceUnavailable, TypeUnavailable},
}

// statusTable maps Fiber's own errors (routing, body limit) to envelope types
// and messages that reveal nothing about the request.
var statusTable = map[int]struct {
	typ, code, message string
}{
	fiber.StatusBadRequest:                  {TypeBadRequest, "request.bad_request", "the request could not be read"},
	fiber.StatusUnauthorized:                {TypeAuthentication, "auth.unauthenticated", "authentication required"},
	fiber.StatusForbidden:                   {TypeAuthorization, "auth.forbidden", "not allowed"},
	fiber.StatusNotFound:                    {TypeNotFound, "request.route_not_found", "no such route"},
	fiber.StatusMethodNotAllowed:            {TypeMethodNotAllowed, "request.method_not_allowed", "method not allowed on this route"},
	fiber.StatusRequestEntityTooLarge:       {TypePayloadTooLarge, "request.too_large", "the request body is too large"},
	fiber.StatusUnsupportedMediaType:        {TypeUnsupportedMedia, "request.unsupported_media_type", "the request body must be application/json"},
	fiber.StatusTooManyRequests:             {TypeRateLimited, "request.rate_limited", "too many requests"},
	fiber.StatusServiceUnavailable:          {TypeUnavailable, "service.unavailable", "the service is unavailable"},
	fiber.StatusRequestTimeout:              {TypeBadRequest, "request.timeout", "the request took too long to arrive"},
	fiber.StatusRequestHeaderFieldsTooLarge: {TypeBadRequest, "request.headers_too_large", "the request headers are too large"},
}

// ErrorHandler is Fiber's ErrorHandler: every error any handler or
// middleware returns, and Fiber's own routing errors, leave through here as
// an envelope, or in the format of the request's route group (see
// Renderer). Unknown errors are a 500 with a generic message; the real
// error is logged with the request id.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		ensureRequestID(c)
		var se *shared.Error
		if errors.As(err, &se) {
			if row, ok := kindTable[se.Kind()]; ok {
				if se.Kind() == shared.KindRateLimited || se.Kind() == shared.KindUnavailable {
					c.Set(fiber.HeaderRetryAfter, retryAfterSeconds(se))
				}
				if row.status >= 500 {
					log.LogAttrs(c.UserContext(), slog.LevelWarn, "dependency unavailable",
						slog.String("request_id", RequestID(c)), slog.String("error", err.Error()))
				}
				var details any
				if f := se.Fields(); f != nil {
					details = f
				}
				return renderError(c, row.status, row.typ, se.Code(), se.Message(), details)
			}
		}
		var re *refusal
		if errors.As(err, &re) {
			return renderError(c, re.status, re.typ, re.code, re.message, nil)
		}
		var fe *fiber.Error
		if errors.As(err, &fe) {
			if row, ok := statusTable[fe.Code]; ok {
				return renderError(c, fe.Code, row.typ, row.code, row.message, nil)
			}
			if fe.Code >= 400 && fe.Code < 500 {
				return renderError(c, fe.Code, TypeBadRequest, "request.bad_request", "the request could not be served", nil)
			}
		}
		log.LogAttrs(c.UserContext(), slog.LevelError, "internal error",
			slog.String("request_id", RequestID(c)),
			slog.String("method", strings.Clone(c.Method())),
			slog.String("path", strings.Clone(c.Path())),
			slog.String("error", err.Error()))
		return renderError(c, fiber.StatusInternalServerError, TypeInternal, "internal", "an internal error occurred", nil)
	}
}

// unavailableRetryAfter is the hint of a 503 whose error names no delay: a
// dependency that failed is rarely back within a second, and clients that
// retry at once only add load to it.
const unavailableRetryAfter = 5 * time.Second

func retryAfterSeconds(e *shared.Error) string {
	d := e.RetryAfter()
	if d <= 0 && e.Kind() == shared.KindUnavailable {
		d = unavailableRetryAfter
	}
	secs := int64((d + 999_999_999) / 1_000_000_000)
	if secs < 1 {
		secs = 1
	}
	return strconv.FormatInt(secs, 10)
}
