package httpapi_test

import (
	"encoding/json"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

func formApp() *fiber.App {
	app := httpapi.New(httpapi.Options{})
	app.Post("/form", func(c *fiber.Ctx) error {
		f, err := httpapi.DecodeForm(c, "grant_type", "code")
		if err != nil {
			return err
		}
		return httpapi.OK(c, "read", fiber.Map{"grant_type": f.Get("grant_type"), "code": f.Get("code"), "has_code": f.Has("code"), "extra": f.Get("extra")})
	})
	return app
}

func TestDecodeForm_ReadsKnownParametersAndIgnoresOthers(t *testing.T) {
	s := &testServer{app: formApp()}
	status, env, _ := s.do(t, "POST", "/form", "application/x-www-form-urlencoded; charset=utf-8", "grant_type=authorization_code&extra=1&code=a%2Bb%20c")
	var got map[string]any
	_ = json.Unmarshal(env.Data, &got)
	if status != 200 || got["grant_type"] != "authorization_code" || got["code"] != "a+b c" || got["has_code"] != true || got["extra"] != "" {
		t.Fatalf("%d %s", status, env.Data)
	}
}

func TestDecodeForm_RefusesOtherBodiesRepeatsAndBrokenEncodings(t *testing.T) {
	s := &testServer{app: formApp()}
	for _, c := range []struct {
		name, ctype, body string
		status            int
		typ               string
	}{
		{"JSON", "application/json", `{"grant_type":"x"}`, 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"no content type", "", "grant_type=x", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"multipart", "multipart/form-data; boundary=x", "--x--", 415, "UNSUPPORTED_MEDIA_TYPE"},
		{"a known parameter twice", "application/x-www-form-urlencoded", "grant_type=a&grant_type=b", 400, "VALIDATION_ERROR"},
		{"a broken escape", "application/x-www-form-urlencoded", "code=%zz", 400, "BAD_REQUEST"},
		{"a semicolon separator", "application/x-www-form-urlencoded", "code=a;grant_type=b", 400, "BAD_REQUEST"},
		{"invalid UTF-8 after decoding", "application/x-www-form-urlencoded", "code=%ff", 400, "BAD_REQUEST"},
		{"invalid UTF-8 in the body", "application/x-www-form-urlencoded", "code=\xff", 400, "BAD_REQUEST"},
	} {
		t.Run(c.name, func(t *testing.T) {
			status, env, _ := s.do(t, "POST", "/form", c.ctype, c.body)
			if status != c.status || env.Error == nil || env.Error.Type != c.typ {
				t.Fatalf("%d %+v", status, env.Error)
			}
			if c.typ == "VALIDATION_ERROR" && len(env.Error.Details["grant_type"]) == 0 {
				t.Fatalf("the repeated parameter is not named: %+v", env.Error.Details)
			}
		})
	}
}
