package httpapi_test

import (
	"encoding/json"
	"io"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
)

// textRenderer stands for the pages' HTML renderer: a format that is not
// JSON, so a test sees at once which renderer answered.
var textRenderer = httpapi.RendererFunc(func(c *fiber.Ctx, p httpapi.Problem) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	return c.Status(p.Status).SendString("page " + p.Code)
})

// groupedApp has one route in each group: the API (envelope), a page
// group and the protocol group, each with a GET route only (so another
// method is 405) and a route that fails with a typed error or a panic.
func groupedApp(t *testing.T) *fiber.App {
	t.Helper()
	pages := httpapi.RouteGroup{Name: "pages", Paths: []string{"/login", "/assets/"}, Renderer: textRenderer}
	proto := httpapi.RouteGroup{Name: "protocol", Paths: httpapi.ProtocolPaths, Renderer: httpapi.ProtocolRenderer}
	app := httpapi.New(httpapi.Options{BodyLimit: 1024, Groups: []httpapi.RouteGroup{pages, proto}})
	ok := func(c *fiber.Ctx) error { return c.SendString("ok") }
	app.Get("/api/v1/thing", ok)
	app.Get("/api/v1/fail", func(*fiber.Ctx) error { return shared.Invalid("x.invalid", "bad", map[string][]string{"a": {"no"}}) })
	app.Get("/api/v1/panic", func(*fiber.Ctx) error { panic("boom") })
	app.Get("/login", httpapi.GroupMiddleware(pages), ok)
	app.Get("/login/fail", httpapi.GroupMiddleware(pages), func(*fiber.Ctx) error { return shared.Invalid("x.invalid", "bad", nil) })
	app.Get("/login/panic", httpapi.GroupMiddleware(pages), func(*fiber.Ctx) error { panic("boom") })
	app.Get("/oauth2/token", httpapi.GroupMiddleware(proto), ok)
	app.Get("/oauth2/fail", httpapi.GroupMiddleware(proto), func(*fiber.Ctx) error { return shared.Invalid("x.invalid", "bad", nil) })
	app.Get("/oauth2/panic", httpapi.GroupMiddleware(proto), func(*fiber.Ctx) error { panic("boom") })
	app.Get("/oauth2/page", httpapi.GroupMiddleware(proto), func(c *fiber.Ctx) error {
		// A protocol handler whose error must be a page (an authorize
		// request before its redirect URI is trusted).
		httpapi.UseRenderer(c, textRenderer)
		return shared.NotFound("x.client", "unknown client")
	})
	return app
}

type answer struct {
	status int
	ctype  string
	body   string
}

func send(t *testing.T, app *fiber.App, method, path, body string) answer {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Content-Type"), string(raw)}
}

func TestGroups_EachGroupAnswersRoutingBodyAndServerErrorsInItsOwnFormat(t *testing.T) {
	app := groupedApp(t)
	big := strings.Repeat("a=b&", 600)
	for _, c := range []struct {
		name, method, path, body string
		status                   int
	}{
		{"unknown route", "GET", "/nowhere", "", 404},
		{"wrong method", "DELETE", "/thing", "", 405},
		{"body too large", "POST", "/thing", big, 413},
		{"typed error", "GET", "/fail", "", 400},
		{"panic", "GET", "/panic", "", 500},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The API: the envelope.
			a := send(t, app, c.method, "/api/v1"+c.path, c.body)
			var env struct {
				Success bool `json:"success"`
				Code    int  `json:"code"`
				Error   struct {
					Type string `json:"type"`
				} `json:"error"`
			}
			if a.status != c.status || json.Unmarshal([]byte(a.body), &env) != nil || env.Success || env.Code != c.status || env.Error.Type == "" {
				t.Errorf("api: %d %s %s", a.status, a.ctype, a.body)
			}
			// The pages: the page renderer.
			p := send(t, app, c.method, "/login"+strings.TrimPrefix(c.path, "/thing"), c.body)
			if p.status != c.status || !strings.HasPrefix(p.ctype, "text/plain") || !strings.HasPrefix(p.body, "page ") {
				t.Errorf("pages: %d %s %s", p.status, p.ctype, p.body)
			}
			// The protocol group: RFC 6749 JSON, no envelope.
			path := "/oauth2" + c.path
			if c.path == "/thing" {
				path = "/oauth2/token"
			}
			o := send(t, app, c.method, path, c.body)
			var rfc map[string]any
			if o.status != c.status || json.Unmarshal([]byte(o.body), &rfc) != nil || rfc["error"] == nil || rfc["success"] != nil || rfc["code"] != nil {
				t.Errorf("protocol: %d %s %s", o.status, o.ctype, o.body)
			}
		})
	}
}

func TestGroups_TheProtocolRendererUsesRFC6749CodesAndIsNeverCached(t *testing.T) {
	app := groupedApp(t)
	for path, want := range map[string]string{
		"/oauth2/fail":                      "invalid_request",
		"/oauth2/nowhere":                   "not_found",
		"/.well-known/openid-configuration": "not_found",
		"/oauth2/panic":                     "server_error",
	} {
		a := send(t, app, "GET", path, "")
		var body struct {
			Error       string `json:"error"`
			Description string `json:"error_description"`
		}
		if err := json.Unmarshal([]byte(a.body), &body); err != nil || body.Error != want || body.Description == "" {
			t.Errorf("%s: %d %s, want error %q", path, a.status, a.body, want)
		}
	}
	req := httptest.NewRequest("GET", "/oauth2/fail", nil)
	res, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Header.Get("Cache-Control") != "no-store" || res.Header.Get("Pragma") != "no-cache" {
		t.Fatalf("cache headers %v", res.Header)
	}
}

func TestGroups_AHandlerMayAnswerItsErrorsWithAnotherRenderer(t *testing.T) {
	a := send(t, groupedApp(t), "GET", "/oauth2/page", "")
	if a.status != 404 || a.body != "page x.client" {
		t.Fatalf("%d %s", a.status, a.body)
	}
}

func TestGroups_APathIsClaimedOnlyAtASegmentBoundary(t *testing.T) {
	app := groupedApp(t)
	// /loginx is not /login's: the envelope answers.
	a := send(t, app, "GET", "/loginx", "")
	if a.status != 404 || !strings.Contains(a.body, `"success":false`) {
		t.Fatalf("/loginx: %d %s", a.status, a.body)
	}
	// /assets/ claims /assets and everything below.
	for _, p := range []string{"/assets", "/assets/nothing.css"} {
		if a := send(t, app, "GET", p, ""); a.status != 404 || a.body != "page request.route_not_found" {
			t.Fatalf("%s: %d %s", p, a.status, a.body)
		}
	}
}
