//go:build integration

package e2e

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

func TestServe_ShutdownLetsInFlightRequestsFinishAndRefusesNewOnes(t *testing.T) {
	cfg := bootstrap.DefaultConfig()
	cfg.AppEnv = bootstrap.EnvTesting
	cfg.SQLitePath = filepath.Join(t.TempDir(), "authy.db")
	cfg.ShutdownTimeout = 10 * time.Second
	app, err := bootstrap.New(context.Background(), cfg, bootstrap.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	app.Handler().Get("/slow", func(c *fiber.Ctx) error {
		close(entered)
		<-release
		return c.SendString("finished")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()

	got := make(chan string, 1)
	go func() {
		res, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		got <- string(b)
	}()
	<-entered
	cancel() // what SIGTERM does in `authy serve`
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 200*time.Millisecond)
		if err != nil {
			break // the listener is closed: new connections are refused
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the server still accepts connections after shutdown began")
		}
		time.Sleep(10 * time.Millisecond) // polling interval
	}
	close(release)
	if body := <-got; body != "finished" {
		t.Fatalf("in-flight request did not finish: %q", body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not return after shutdown")
	}
}

// fiberPathToOpenAPI turns /organizations/:id into /organizations/{id}.
func fiberPathToOpenAPI(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + strings.TrimSuffix(strings.TrimPrefix(s, ":"), "?") + "}"
		}
	}
	return strings.Join(parts, "/")
}

func TestOpenAPI_DocumentsExactlyTheRoutesTheRouterServes(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	served := map[string]bool{}
	for _, r := range srv.App.Handler().GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Method == fiber.MethodOptions || r.Method == fiber.MethodConnect || r.Method == fiber.MethodTrace {
			continue
		}
		// The hosted pages are HTML, listed in the README, not in the
		// document of the JSON API.
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		served[r.Method+" "+fiberPathToOpenAPI(r.Path)] = true
	}
	documented := map[string]bool{}
	for _, op := range srv.App.OpenAPI().Operations() {
		documented[op] = true
	}
	var missing, phantom []string
	for r := range served {
		if !documented[r] {
			missing = append(missing, r)
		}
	}
	for d := range documented {
		if !served[d] {
			phantom = append(phantom, d)
		}
	}
	sort.Strings(missing)
	sort.Strings(phantom)
	if len(missing) > 0 {
		t.Errorf("routes served but not in the OpenAPI document:\n  %s", strings.Join(missing, "\n  "))
	}
	if len(phantom) > 0 {
		t.Errorf("routes documented but not served:\n  %s", strings.Join(phantom, "\n  "))
	}
	if len(served) < 5 {
		t.Fatalf("only %d routes found; the comparison proves nothing", len(served))
	}
}

func TestOpenAPI_DocumentAndDocsPageAreServed(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	res := srv.Do(t, "GET", "/api/openapi.json", nil, "")
	if res.Status != 200 || !strings.Contains(string(res.Body), `"openapi":"3.1.0"`) {
		t.Fatalf("openapi.json = %d %.200s", res.Status, res.Body)
	}
	page := srv.Do(t, "GET", "/api/docs", nil, "")
	if page.Status != 200 || !strings.Contains(string(page.Body), "swagger-ui-bundle.js") {
		t.Fatalf("docs page = %d", page.Status)
	}
	for _, asset := range []string{"swagger-ui-bundle.js", "swagger-ui.css", "page.js"} {
		a := srv.Do(t, "GET", "/api/docs/"+asset, nil, "")
		if a.Status != 200 || len(a.Body) == 0 {
			t.Fatalf("asset %s = %d", asset, a.Status)
		}
	}
	if a := srv.Do(t, "GET", "/api/docs/..%2f..%2fetc%2fpasswd", nil, ""); a.Status != 404 {
		t.Fatalf("unknown asset = %d", a.Status)
	}
}
