//go:build browser

// Package browser checks what a person sees: the interactive API docs page,
// rendered by headless Chromium from the assets embedded in the binary.
package browser

import (
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/tests/apitest"
)

func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("no Chromium found: install Debian's chromium package (make docs-check does)")
	return ""
}

func TestDocsPage_LoadsOfflineAndListsTheOperations(t *testing.T) {
	bin := chromium(t)
	srv := apitest.Start(t, apitest.Embedded)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(),
		"--virtual-time-budget=20000", "--dump-dom", srv.URL+"/api/docs")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("chromium: %v", err)
	}
	dom := string(out)
	if !strings.Contains(dom, "swagger-ui") {
		t.Fatalf("the page did not render Swagger UI:\n%.2000s", dom)
	}
	ops := srv.App.OpenAPI().Operations()
	missing := 0
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		if !strings.Contains(dom, `data-path="`+path+`"`) && !strings.Contains(dom, ">"+path+"<") &&
			!strings.Contains(dom, strings.ReplaceAll(path, "/", "/\u200b")) {
			missing++
			t.Logf("operation not shown: %s %s", method, path)
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d operations are not listed on the page", missing, len(ops))
	}
	t.Logf("the docs page lists all %d operations", len(ops))
}
