package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

type decodeBase struct {
	ID string `json:"id"`
}

type nestedPayload struct {
	decodeBase
	Name    string `json:"name"`
	Passkey string `json:"passkey"`
	Count   int    `json:"count"`
	Profile *struct {
		Email string   `json:"email"`
		Tags  []string `json:"tags"`
	} `json:"profile"`
	Items []struct {
		Role string `json:"role"`
	} `json:"items"`
	Meta   map[string]string `json:"meta"`
	Counts map[int]int       `json:"counts"`
	Extra  json.RawMessage   `json:"extra"`
	Any    any               `json:"any"`
}

// nestedServer is the edge with a route decoding nestedPayload and echoing it.
func nestedServer(t *testing.T) *testServer {
	t.Helper()
	s := newServer(t, httpapi.Options{BodyLimit: 4 << 20})
	s.app.Post("/nested", func(c *fiber.Ctx) error {
		var p nestedPayload
		if err := httpapi.Decode(c, &p); err != nil {
			return err
		}
		return httpapi.OK(c, "echoed", p)
	})
	return s
}

func TestDecode_RefusesADuplicateKeyAtAnyDepthNamingIt(t *testing.T) {
	s := nestedServer(t)
	var manyKeys strings.Builder
	for i := range 1000 {
		fmt.Fprintf(&manyKeys, `"k%d":"v",`, i)
	}
	cases := []struct{ name, body, field string }{
		{"top level", `{"name":"a","name":"b"}`, "name"},
		{"top level, the second spelled with an escape", `{"name":"a","n\u0061me":"b"}`, "name"},
		{"top level, same value", `{"count":1,"count":1}`, "count"},
		{"a promoted field of an embedded struct", `{"id":"a","id":"b"}`, "id"},
		{"a nested object", `{"profile":{"email":"a@example.com","email":"b@example.com"}}`, "profile.email"},
		{"an object in an array", `{"items":[{"role":"a"},{"role":"b","role":"c"}]}`, "items[1].role"},
		{"a map", `{"meta":{"k":"1","k":"2"}}`, "meta.k"},
		{"a map, the empty key", `{"meta":{"":"1","":"2"}}`, "meta."},
		{"a map past its first keys", `{"meta":{` + manyKeys.String() + `"k999":"again"}}`, "meta.k999"},
		{"an integer-keyed map, one number spelled twice", `{"counts":{"1":1,"01":2}}`, "counts.01"},
		{"raw JSON kept as is", `{"extra":{"x":1,"x":2}}`, "extra.x"},
		{"free-form JSON, deep", `{"any":[0,{"a":{"b":1,"b":2}}]}`, "any[1].a.b"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, env, _ := s.do(t, "POST", "/nested", "application/json", tc.body)
			if status != 400 || env.Error == nil || env.Error.Type != "VALIDATION_ERROR" || env.Error.Code != "request.duplicate_field" {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			if len(env.Error.Details[tc.field]) == 0 || !strings.Contains(env.Message, `"`+tc.field+`"`) {
				t.Fatalf("the error must name %q: %q %+v", tc.field, env.Message, env.Error.Details)
			}
		})
	}
}

func TestDecode_RefusesAKeyThatMatchesAFieldOnlyWhenCaseIsIgnored(t *testing.T) {
	s := nestedServer(t)
	cases := []struct{ name, body, field, known string }{
		{"upper case", `{"NAME":"a"}`, "NAME", "name"},
		{"title case", `{"Name":"a"}`, "Name", "name"},
		{"the Go field name", `{"Count":1}`, "Count", "count"},
		{"a promoted field", `{"ID":"a"}`, "ID", "id"},
		{"a nested object", `{"profile":{"Email":"a@example.com"}}`, "profile.Email", "email"},
		{"an object in an array", `{"items":[{"ROLE":"owner"}]}`, "items[0].ROLE", "role"},
		{"the long s folding to s", `{"pa\u017f\u017fkey":"x"}`, "paſſkey", "passkey"},
		{"the Kelvin sign folding to k", `{"pass\u212aey":"x"}`, "pass\u212aey", "passkey"},
		{"after the exact key", `{"name":"a","NAME":"b"}`, "NAME", "name"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, env, _ := s.do(t, "POST", "/nested", "application/json", tc.body)
			if status != 400 || env.Error == nil || env.Error.Type != "VALIDATION_ERROR" || env.Error.Code != "request.unknown_field" {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			d := env.Error.Details[tc.field]
			if len(d) == 0 || !strings.Contains(d[0], `"`+tc.known+`"`) {
				t.Fatalf("details must name %q and point to %q: %+v", tc.field, tc.known, env.Error.Details)
			}
		})
	}
}

func TestDecode_StillDecodesValidBodies(t *testing.T) {
	s := nestedServer(t)
	body := `{"id":"i","name":"n","passkey":"p","count":3,"profile":{"email":"e@example.com","tags":["x","x"]},` +
		`"items":[{"role":"a"},{"role":"a"}],"meta":{"k":"1","K":"2","":"3"},"counts":{"1":1,"2":2},` +
		`"extra":{"x":{"x":1}},"any":[{"a":1},{"a":1}]}`
	status, env, _ := s.do(t, "POST", "/nested", "application/json", body)
	if status != 200 {
		t.Fatalf("got %d %+v", status, env.Error)
	}
	var got nestedPayload
	if err := json.Unmarshal(env.Data, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != "i" || got.Name != "n" || got.Count != 3 || got.Profile == nil || got.Profile.Email != "e@example.com" ||
		len(got.Items) != 2 || got.Meta["K"] != "2" || got.Meta[""] != "3" || got.Counts[2] != 2 || string(got.Extra) != `{"x":{"x":1}}` {
		t.Fatalf("decoded %s", env.Data)
	}
	for _, ok := range []string{`{}`, `{"profile":null,"items":[],"meta":{}}`, ` {"name":"a"} `, `{"any":"scalar"}`} {
		if status, env, _ := s.do(t, "POST", "/nested", "application/json", ok); status != 200 {
			t.Errorf("%s: %d %+v", ok, status, env.Error)
		}
	}
}

func TestDecode_KeepsTheOtherRulesAfterTheKeyScan(t *testing.T) {
	s := nestedServer(t)
	cases := []struct {
		name, body string
		status     int
		typ, code  string
		field      string
	}{
		{"unknown field", `{"is_admin":true}`, 400, "VALIDATION_ERROR", "request.unknown_field", "is_admin"},
		{"unknown nested field", `{"profile":{"is_admin":true}}`, 400, "VALIDATION_ERROR", "request.unknown_field", "profile.is_admin"},
		{"wrong type", `{"count":"many"}`, 400, "VALIDATION_ERROR", "request.invalid_field_type", "count"},
		{"a number too large names its field", `{"count":1e400}`, 400, "VALIDATION_ERROR", "request.invalid_field_type", "count"},
		{"malformed", `{"name":"a",}`, 400, "BAD_REQUEST", "request.malformed_json", ""},
		{"two values", `{"name":"a"} {"name":"b"}`, 400, "BAD_REQUEST", "request.malformed_json", ""},
		{"trailing garbage", `{"name":"a"} x`, 400, "BAD_REQUEST", "request.malformed_json", ""},
		{"not an object", `[{"name":"a"}]`, 400, "BAD_REQUEST", "request.malformed_json", ""},
		{"nested too deep", `{"any":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`, 400, "BAD_REQUEST", "request.nesting_too_deep", ""},
		{"a megabyte of brackets", strings.Repeat("[", 1<<20), 400, "BAD_REQUEST", "request.nesting_too_deep", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, env, _ := s.do(t, "POST", "/nested", "application/json", tc.body)
			if status != tc.status || env.Error == nil || env.Error.Type != tc.typ || env.Error.Code != tc.code {
				t.Fatalf("got %d %+v", status, env.Error)
			}
			if tc.field != "" && len(env.Error.Details[tc.field]) == 0 {
				t.Fatalf("details must name %q: %+v", tc.field, env.Error.Details)
			}
		})
	}
}
