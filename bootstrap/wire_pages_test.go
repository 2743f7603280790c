package bootstrap

import (
	"strings"
	"testing"

	"github.com/secuird/authy/ports/platformport"
)

func TestConfig_RefusesReturnTargetsThatCouldLeakASignIn(t *testing.T) {
	for _, entry := range []string{"http://app.example.com", "https://u@app.example.com", "app.example.com", "https://app.example.com/#x"} {
		c := DefaultConfig()
		c.AuthReturnURLs = []string{entry}
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "AUTH_RETURN_URLS") {
			t.Errorf("AUTH_RETURN_URLS=%q: %v", entry, err)
		}
	}
	c := DefaultConfig()
	c.AuthReturnURLs = []string{"https://app.example.com", "http://localhost:3000/cb"}
	if err := c.Validate(); err != nil {
		t.Fatalf("registered targets refused: %v", err)
	}
	c.PublicURL = "auth.example.com"
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "PUBLIC_URL") {
		t.Fatalf("a PUBLIC_URL without scheme: %v", err)
	}
}

func TestBuildBrowser_AnHTTPSPublicURLMakesTheCookiesSecureWithTheHostPrefix(t *testing.T) {
	for url, want := range map[string]string{
		"https://auth.example.com": "__Host-authy_session",
		"HTTPS://auth.example.com": "__Host-authy_session",
		"http://127.0.0.1:5000":    "authy_session",
	} {
		a := &App{cfg: DefaultConfig(), clock: platformport.SystemClock}
		a.cfg.PublicURL = url
		ks, err := buildKeys(a.cfg)
		if err != nil {
			t.Fatal(err)
		}
		a.signer = ks.signer
		if err := a.buildBrowser(); err != nil {
			t.Fatal(err)
		}
		if got := a.browser.transport.SessionCookieName(); got != want || a.browser.transport.Secure() != (want != "authy_session") {
			t.Errorf("PUBLIC_URL %s: cookie %s secure=%v", url, got, a.browser.transport.Secure())
		}
	}
}
