//go:build browser

package browser

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// socialBrowser starts headless Debian chromium that resolves only the
// loopback address (the server and the fake provider live there).
func socialBrowser(t *testing.T) context.Context {
	t.Helper()
	tmp, err := os.MkdirTemp("", "authy-social-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.UserDataDir(filepath.Join(tmp, "profile")),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// socialAwait evaluates js until it returns want or the deadline passes (a
// click replaces the page, so reads in between may fail).
func socialAwait(t *testing.T, ctx context.Context, what, js string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		v, err := chromedp.Run(c, chromedp.Evaluate[string](js))
		cancel()
		if err == nil {
			last = v
			if ok(v) {
				return v
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: last value %q, error %v", what, last, err)
		}
		c, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		<-c.Done()
		cancel()
	}
}

func TestSocialSignIn_FromTheLoginPageThroughTheProviderBackSignedIn(t *testing.T) {
	fake := upstreamtest.Start(t)
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURL(),
		apitest.WithBootstrap(bootstrap.WithUpstreamHTTPClient(fake.Client())),
		apitest.WithConfig(func(c *bootstrap.Config) {
			c.OIDC = []bootstrap.OIDCProviderConfig{{Name: "acme", DisplayName: "Acme SSO", Issuer: fake.Issuer(),
				ClientID: upstreamtest.ClientID, ClientSecret: upstreamtest.ClientSecret, Scopes: []string{"openid", "email", "profile"}}}
		}))
	fake.SignInAs(upstreamtest.User{Subject: "acme|browser", Email: "browser.person@example.com", EmailVerified: true, Name: "Browser Person"})
	ctx := socialBrowser(t)

	step := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		c, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		if err := chromedp.Do(c, actions...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	step("open the sign-in page and choose the provider",
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.ID("provider-acme")),
		chromedp.Click(chromedp.ID("provider-acme")),
	)
	socialAwait(t, ctx, "the provider's page", `document.title`, func(s string) bool { return s == "Fake provider" })
	step("approve at the provider", chromedp.WaitVisible(chromedp.ID("approve")), chromedp.Click(chromedp.ID("approve")))
	socialAwait(t, ctx, "back on the account page",
		`(document.readyState === "complete" && document.querySelector("h1#title")) ? location.pathname + " " + document.body.innerText : ""`,
		func(s string) bool {
			return strings.HasPrefix(s, "/account ") && strings.Contains(s, "browser.person@example.com")
		})
	if a := fake.Authorizations(); len(a) != 1 || a[0].Get("code_challenge") == "" || a[0].Get("nonce") == "" {
		t.Fatalf("the provider saw %v", a)
	}
}
