package httpapi_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
)

type fuzzPayload struct {
	Name  string            `json:"name"`
	Count int               `json:"count"`
	Tags  []string          `json:"tags"`
	Opt   *string           `json:"opt"`
	Meta  map[string]string `json:"meta"`
}

// FuzzDecode checks that Decode never panics, refuses only with an error the
// envelope table knows, and that what it accepts is exactly what a second
// decode of its own encoding gives (no character silently replaced).
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		`{"name":"a","count":2}`, `{"name":"\ud83d\ude00"}`, `{"name":"\ud800"}`, "{\"name\":\"\xff\"}",
		`{"tags":["x"],"meta":{"k":"v"},"opt":null}`, `{"is_admin":true}`, `[1]`, `null`, `{}{}`, ``,
		`{"count":1e400}`, `{"name":"\\\\ud800"}`,
		`{"name":"a","name":"b"}`, `{"name":"a","n\u0061me":"b"}`, `{"NAME":"a"}`, `{"meta":{"k":"1","k":"2"}}`,
		`{"meta":{"k":"1","K":"2"}}`, `{"tags":[[[["x"]]]]}`,
	} {
		f.Add("application/json", []byte(seed))
	}
	f.Add("text/plain", []byte(`{}`))
	f.Add("application/problem+json; charset=utf-8", []byte(`{"name":"x"}`))
	app := fiber.New()
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		c := app.AcquireCtx(&fasthttp.RequestCtx{})
		defer app.ReleaseCtx(c)
		c.Request().Header.SetContentType(contentType)
		c.Request().SetBody(body)
		var got fuzzPayload
		err := httpapi.Decode(c, &got)
		if err != nil {
			var se *shared.Error
			if !errors.As(err, &se) && !errors.Is(err, httpapi.ErrUnsupportedMediaType) {
				t.Fatalf("unexpected error type %T: %v", err, err)
			}
			return
		}
		if !utf8.Valid(body) {
			t.Fatalf("accepted invalid UTF-8: %q", body)
		}
		for _, s := range append([]string{got.Name}, got.Tags...) {
			if !utf8.ValidString(s) {
				t.Fatalf("decoded invalid UTF-8 %q from %q", s, body)
			}
		}
		checkKeysExact(t, body)
		again, err := json.Marshal(got)
		if err != nil {
			t.Fatal(err)
		}
		var back fuzzPayload
		if err := json.Unmarshal(again, &back); err != nil || !reflect.DeepEqual(normalize(back), normalize(got)) {
			t.Fatalf("%q decoded to %+v, which does not round-trip (%v)", body, got, err)
		}
	})
}

// checkKeysExact asserts an accepted body names each top-level field once,
// spelled exactly as its tag.
func checkKeysExact(t *testing.T, body []byte) {
	t.Helper()
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		t.Fatalf("accepted %q, which is not an object: %v", body, err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return // null: nothing decoded
	}
	keys := 0
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatalf("accepted %q: %v", body, err)
		}
		k, _ := tok.(string)
		if !slices.Contains([]string{"name", "count", "tags", "opt", "meta"}, k) {
			t.Fatalf("accepted %q with the key %q", body, k)
		}
		keys++
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatalf("accepted %q: %v", body, err)
		}
	}
	if keys != len(top) {
		t.Fatalf("accepted %q with %d keys for %d fields: a key came twice", body, keys, len(top))
	}
}

func normalize(p fuzzPayload) fuzzPayload {
	if len(p.Tags) == 0 {
		p.Tags = nil
	}
	if len(p.Meta) == 0 {
		p.Meta = nil
	}
	return p
}

// FuzzPageLimit checks that any ?limit= is either refused as a validation
// error or clamped into [1, max].
func FuzzPageLimit(f *testing.F) {
	for _, s := range []string{"", "1", "0", "-1", "100", "101", "99999999999999999999", "abc", "1.5", "+3", " 2"} {
		f.Add(s)
	}
	app := fiber.New()
	f.Fuzz(func(t *testing.T, raw string) {
		c := app.AcquireCtx(&fasthttp.RequestCtx{})
		defer app.ReleaseCtx(c)
		c.Request().URI().SetQueryString("limit=" + fasthttpEscape(raw))
		n, err := httpapi.PageLimit(c, 20, 100)
		if err != nil {
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("limit %q: %v is not a validation error", raw, err)
			}
			return
		}
		if n < 1 || n > 100 {
			t.Fatalf("limit %q gave %d", raw, n)
		}
	})
}

func fasthttpEscape(s string) string {
	var a fasthttp.Args
	a.Set("x", s)
	q := a.String()
	return q[len("x="):]
}
