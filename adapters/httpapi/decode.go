package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

// ErrUnsupportedMediaType answers a JSON endpoint called with another body.
var ErrUnsupportedMediaType = fiber.NewError(fiber.StatusUnsupportedMediaType)

// Decode reads a JSON request body into dst strictly: the content type must
// be JSON (415), the body must be one well-formed JSON object in UTF-8 (400
// BAD_REQUEST), and a field that dst does not declare or of the wrong type
// is a 400 VALIDATION_ERROR naming it, so unknown fields can never grant
// anything. Keys match dst's JSON names exactly ({"EMAIL": …} is an unknown
// field, not "email"), and a key twice in one object, at any depth, is a
// 400 VALIDATION_ERROR naming it: encoding/json would take the last and
// fold case, where a gateway or WAF in front may have read the first or
// none (see scanKeys).
func Decode(c *fiber.Ctx, dst any) error {
	mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if err != nil || (mt != fiber.MIMEApplicationJSON && !strings.HasSuffix(mt, "+json")) {
		return ErrUnsupportedMediaType
	}
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return shared.BadRequest("request.empty_body", "the request body is empty")
	}
	// encoding/json would turn invalid UTF-8 and unpaired surrogate escapes
	// into U+FFFD without a word, storing something the client never sent.
	if !utf8.Valid(body) || loneSurrogate(body) {
		return shared.BadRequest("request.malformed_json", "the request body must be JSON in UTF-8")
	}
	if err := scanKeys(body, dst); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return shared.BadRequest("request.malformed_json", "the request body must be a single JSON object")
	}
	return nil
}

// loneSurrogate reports a \uD800-\uDFFF escape that is not one half of a
// surrogate pair. Backslashes outside strings are syntax errors the decoder
// reports anyway, so the body is scanned without tracking strings.
func loneSurrogate(b []byte) bool {
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' || i+1 >= len(b) {
			continue
		}
		if b[i+1] != 'u' {
			i++ // skip the escaped character, which may be a backslash
			continue
		}
		r, ok := hex4(b[i+2:])
		switch {
		case !ok:
			i++
		case r >= 0xD800 && r < 0xDC00:
			if len(b) >= i+12 && b[i+6] == '\\' && b[i+7] == 'u' {
				if r2, ok := hex4(b[i+8:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					i += 11
					continue
				}
			}
			return true
		case r >= 0xDC00 && r < 0xE000:
			return true
		default:
			i += 5
		}
	}
	return false
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}

func decodeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return shared.BadRequest("request.malformed_json", "the request body must be a JSON object")
		}
		return shared.Invalid("request.invalid_field_type", "the request has invalid fields",
			map[string][]string{field: {"must be of type " + jsonType(typeErr.Type.Kind().String())}})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, uerr := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		if uerr != nil {
			name = "unknown"
		}
		return shared.Invalid("request.unknown_field", "the request has unknown fields",
			map[string][]string{name: {"is not a known field"}})
	default:
		return shared.BadRequest("request.malformed_json", "the request body is not valid JSON")
	}
}

func jsonType(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "map", "struct", "ptr":
		return "object"
	default:
		return "number"
	}
}

// PageLimit reads ?limit= clamped to [1, max], defaulting to def. A value
// that is not a number is a validation error.
func PageLimit(c *fiber.Ctx, def, max int) (int, error) {
	raw := c.Query("limit")
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil {
		return 0, shared.Invalid("request.invalid_limit", "the request has invalid fields",
			map[string][]string{"limit": {"must be a whole number"}})
	}
	if n < 1 {
		n = 1
	}
	if n > max {
		n = max
	}
	return n, nil
}
