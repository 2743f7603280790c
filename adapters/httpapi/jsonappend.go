package httpapi

import (
	"strconv"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// JSONAppender is a response body that writes its own JSON: what the JSON
// encoder would make of it (the same fields, names, order and escaping),
// without reflection. Respond writes such data, and its envelope, by hand;
// the hottest answers (the current user) implement it.
type JSONAppender interface {
	AppendJSON(dst []byte) []byte
}

// AppendJSONString appends s as a JSON string, escaped as the JSON
// encoder escapes it: quotes, backslashes and control characters, the
// HTML-sensitive <, > and &, U+2028 and U+2029, and each byte of invalid
// UTF-8 as U+FFFD.
func AppendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// AppendJSONTime appends t as the JSON encoder writes a time.Time: an
// RFC 3339 string with as many fractional digits as it needs.
func AppendJSONTime(dst []byte, t time.Time) []byte {
	dst = append(dst, '"')
	dst = t.AppendFormat(dst, time.RFC3339Nano)
	return append(dst, '"')
}

// AppendJSONBool appends true or false.
func AppendJSONBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, "true"...)
	}
	return append(dst, "false"...)
}

var envelopeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// respondAppended writes the success envelope of data as Respond's encoder
// would, field for field.
func respondAppended(c *fiber.Ctx, status int, message string, data JSONAppender) error {
	bp := envelopeBuffers.Get().(*[]byte)
	b := append((*bp)[:0], `{"version":"`+Version+`","success":true,"code":`...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, `,"message":`...)
	b = AppendJSONString(b, message)
	b = append(b, `,"request_id":`...)
	b = AppendJSONString(b, RequestID(c))
	b = append(b, `,"data":`...)
	b = data.AppendJSON(b)
	b = append(b, '}')
	c.Status(status)
	c.Response().SetBody(b)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	if cap(b) <= 64<<10 {
		*bp = b
		envelopeBuffers.Put(bp)
	}
	return nil
}
