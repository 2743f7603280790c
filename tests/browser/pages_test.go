//go:build browser

package browser

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// headless starts Debian's chromium through chromedp: no sandbox (CI runs
// as root in a container), a throwaway profile and TMPDIR, no background
// traffic, and a resolver that knows only the loopback address (and
// localhost, the domain a WebAuthn relying party id needs), so the
// pages are proven to load nothing from anywhere else.
func headless(t *testing.T) context.Context {
	t.Helper()
	// Short paths: chromium's singleton socket lives under TMPDIR and a
	// Unix socket path is limited to about 100 bytes (t.TempDir's names
	// carry the test's name).
	tmp, err := os.MkdirTemp("", "authy-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(tmp) })
	profile := filepath.Join(tmp, "profile")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.UserDataDir(profile),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs actions with a deadline derived from the browser's context.
func step(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func read[T any](t *testing.T, ctx context.Context, what string, a chromedp.Action[T]) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return v
}

// signIn fills an empty sign-in form and submits it with the keyboard.
func signIn(t *testing.T, ctx context.Context, email, password string) {
	t.Helper()
	step(t, ctx, "fill the sign-in form",
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), email),
		chromedp.SendKeys(chromedp.ID("password"), password+"\r"),
	)
}

// poll evaluates js until ok accepts its value. A form post or a click
// replaces the page, so a read may hit the old page or none for a moment:
// the reads that fail meanwhile are retried until the deadline.
func poll(t *testing.T, ctx context.Context, what, js string, ok func(string) bool) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	var got string
	var err error
	for {
		c, cancel := context.WithTimeout(ctx, 2*time.Second)
		var v string
		v, err = chromedp.Run(c, chromedp.Evaluate[string](js))
		cancel()
		if err == nil {
			got = v
			if ok(got) {
				return got
			}
		}
		if time.Now().After(deadline) {
			html, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.documentElement.outerHTML"))
			t.Fatalf("%s: last value %q (error %v):\n%s", what, got, err, html)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heading waits until the page shown is the one titled want.
func heading(t *testing.T, ctx context.Context, want string) {
	t.Helper()
	poll(t, ctx, "wait for the page "+want,
		`(document.readyState === "complete" && document.querySelector("h1#title")) ? document.querySelector("h1#title").textContent : ""`,
		func(s string) bool { return s == want })
}

var resetLink = regexp.MustCompile(`https?://[^\s"<>]+/reset-password\?token=[A-Za-z0-9_\-%]+`)

// mailedLink waits for a mail to to with a link matching re.
func mailedLink(t *testing.T, mx *smtptest.Server, to string, re *regexp.Regexp) string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		for _, m := range mx.Messages() {
			if len(m.To) == 1 && m.To[0] == to {
				if l := re.FindString(textPart(t, m.Data)); l != "" {
					return l
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no mail to %s with a link like %s within 20s (%d mails)", to, re, len(mx.Messages()))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func textPart(t *testing.T, raw []byte) string {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err != nil {
			return ""
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/plain" {
			continue
		}
		var body io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(p)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, _ := io.ReadAll(body)
		return string(b)
	}
}

func TestPages_APersonSignsInSeesAWrongPasswordLandsOnReturnToAndResetsThePasswordByMail(t *testing.T) {
	started := time.Now()
	mx := smtptest.Start(t, smtptest.Options{})
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURL(), apitest.WithConfig(func(c *bootstrap.Config) {
		c.SMTPURL = mx.URL()
		c.MailFrom = "Authy <no-reply@authy.test>"
	}))
	email := fmt.Sprintf("browser-%s@example.com", testenv.Unique())
	const password, newPassword = "browser correct horse 42", "a fresh browser passphrase"
	if res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Browser User"}, ""); res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	ctx := headless(t)
	booted := time.Now()

	// Sign in from a link that asks to come back to the sign-out page.
	step(t, ctx, "open the sign-in page", chromedp.Navigate(srv.URL+"/login?return_to=%2Flogout"))
	heading(t, ctx, "Sign in")
	signIn(t, ctx, email, "not the password")
	alert := poll(t, ctx, "wait for the wrong-password message",
		`document.readyState === "complete" && document.querySelector('p.alert[role="alert"]') ? document.querySelector('p.alert[role="alert"]').textContent : ""`,
		func(s string) bool { return s != "" })
	if alert != "The email address or the password is not correct." {
		t.Fatalf("wrong-password message %q", alert)
	}
	heading(t, ctx, "Sign in")
	if v := read(t, ctx, "read the email field", chromedp.Value(chromedp.ID("email"))); v != email {
		t.Fatalf("the form lost the email: %q", v)
	}
	// The form kept the email; the password field is empty again.
	step(t, ctx, "type the right password", chromedp.SendKeys(chromedp.ID("password"), password+"\r"))
	heading(t, ctx, "Sign out")
	if loc := read(t, ctx, "read the location", chromedp.Location()); loc != srv.URL+"/logout" {
		t.Fatalf("landed on %s, want the return_to", loc)
	}
	// The session cookie is out of the page's reach.
	if cookies := read(t, ctx, "read document.cookie", chromedp.Evaluate[string]("document.cookie")); strings.Contains(cookies, "authy_session") {
		t.Fatalf("the session cookie is readable by scripts: %q", cookies)
	}
	step(t, ctx, "open the account page", chromedp.Navigate(srv.URL+"/account"))
	heading(t, ctx, "Your account")
	if text := read(t, ctx, "read the account", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "You are signed in as "+email+".") {
		t.Fatalf("account page: %q", text)
	}
	// The stylesheet loaded from Authy itself under the page's CSP.
	if n := read(t, ctx, "count style rules", chromedp.Evaluate[int]("document.styleSheets.length ? document.styleSheets[0].cssRules.length : 0")); n < 5 {
		t.Fatalf("the stylesheet did not load (%d rules)", n)
	}
	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)))
	heading(t, ctx, "Signed out")

	// Forgot, then the link from the mail.
	step(t, ctx, "open the forgot page", chromedp.Navigate(srv.URL+"/login"))
	heading(t, ctx, "Sign in")
	step(t, ctx, "follow the forgot link", chromedp.Click(chromedp.CSS(`a[href="/forgot-password"]`)))
	heading(t, ctx, "Reset your password")
	step(t, ctx, "ask for a link", chromedp.SendKeys(chromedp.ID("email"), email+"\r"))
	heading(t, ctx, "Check your email")
	link := mailedLink(t, mx, email, resetLink)
	if !strings.HasPrefix(link, srv.URL+"/reset-password?token=") {
		t.Fatalf("the mailed link %q does not lead to the server", link)
	}
	step(t, ctx, "open the mailed link", chromedp.Navigate(link))
	heading(t, ctx, "Choose a new password")
	step(t, ctx, "choose the new password",
		chromedp.SendKeys(chromedp.ID("new_password"), newPassword),
		chromedp.SendKeys(chromedp.ID("confirm_password"), newPassword+"\r"),
	)
	heading(t, ctx, "Password changed")
	step(t, ctx, "go to the sign-in page", chromedp.Click(chromedp.CSS(`a[href="/login"]`)))
	heading(t, ctx, "Sign in")
	signIn(t, ctx, email, newPassword)
	heading(t, ctx, "Your account")
	t.Logf("browser flow: %s (chromium start to finish %s, including server boot %s)",
		time.Since(booted).Round(time.Millisecond), time.Since(started).Round(time.Millisecond), booted.Sub(started).Round(time.Millisecond))
}
