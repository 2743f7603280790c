package httpapi

import (
	"mime"
	"net/url"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

// errFormMediaType answers a form endpoint called with another body.
var errFormMediaType = &refusal{fiber.StatusUnsupportedMediaType, TypeUnsupportedMedia,
	"request.unsupported_media_type", "the request body must be application/x-www-form-urlencoded"}

var errMalformedForm = shared.BadRequest("request.malformed_form", "the request body is not a well-formed form")

// Form is a decoded application/x-www-form-urlencoded body in which every
// known parameter appears at most once.
type Form struct{ v url.Values }

// Get returns the value of a parameter ("" when absent).
func (f Form) Get(name string) string { return f.v.Get(name) }

// Has reports whether the parameter was sent.
func (f Form) Has(name string) bool { return f.v.Has(name) }

// DecodeForm reads an application/x-www-form-urlencoded body (pages' form
// posts, OAuth's token, introspection and revocation requests): another
// content type is 415, a body that is not UTF-8 or has a broken escape is
// 400 BAD_REQUEST, and a parameter of known sent twice is a 400
// VALIDATION_ERROR naming it (RFC 6749 §3.1: parameters must not repeat; a
// gateway in front may have read the other copy). Parameters outside known
// are ignored, as RFC 6749 asks of unrecognized ones, and never reach the
// caller.
func DecodeForm(c *fiber.Ctx, known ...string) (Form, error) {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || mt != fiber.MIMEApplicationForm {
		return Form{}, errFormMediaType
	}
	body := c.Body()
	if !utf8.Valid(body) {
		return Form{}, errMalformedForm
	}
	all, err := url.ParseQuery(string(body))
	if err != nil {
		return Form{}, errMalformedForm
	}
	out := url.Values{}
	fields := shared.FieldErrors{}
	for _, k := range known {
		vs, ok := all[k]
		if !ok {
			continue
		}
		if len(vs) > 1 {
			fields.Add(k, "must be sent once")
			continue
		}
		if !utf8.ValidString(vs[0]) {
			return Form{}, errMalformedForm
		}
		out[k] = vs
	}
	if err := fields.Err("request.invalid_form"); err != nil {
		return Form{}, err
	}
	return Form{v: out}, nil
}
