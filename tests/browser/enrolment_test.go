//go:build browser

package browser

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// An owner of an organization requiring MFA who has no factor (they
// removed theirs) signs in on /login, is sent to the security page, sets
// up an authenticator app with a code computed here, sees the recovery
// codes once and goes on to the return target; then adds a passkey from
// the page with chromium's virtual authenticator and signs in with it and
// no password.
func TestEnrolment_ASignInOwingAFactorEnrolsOnTheSecurityPageThenAddsAPasskeyAndSignsInWithIt(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded, apitest.WithOwnPublicURLAt("localhost"))
	email, password := "enrol-"+testenv.Unique()+"@example.test", "Enrolment-Tester-42"
	api := func(method, path string, body any, token string, want int) *apitest.Response {
		t.Helper()
		res := srv.Do(t, method, path, body, token)
		if res.Status != want {
			t.Fatalf("%s %s: %d %s", method, path, res.Status, res.Body)
		}
		return res
	}
	api("POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Enrolment Tester"}, "", http.StatusCreated)
	var login struct {
		Token string `json:"token"`
	}
	api("POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "", http.StatusOK).Decode(t, &login)
	var org struct {
		ID string `json:"id"`
	}
	name := "Strict " + testenv.Unique()
	api("POST", "/api/v1/organizations", map[string]any{"name": name}, login.Token, http.StatusCreated).Decode(t, &org)
	var enrol struct {
		FactorID string `json:"factor_id"`
		Secret   string `json:"secret"`
	}
	api("POST", "/api/v1/users/me/mfa/totp", nil, login.Token, http.StatusCreated).Decode(t, &enrol)
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	api("POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": code}, login.Token, http.StatusOK)
	api("PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"require_mfa": true}, login.Token, http.StatusOK)
	api("DELETE", "/api/v1/users/me/mfa/factors/"+enrol.FactorID, nil, login.Token, http.StatusOK)

	ctx := headless(t)
	step(t, ctx, "open the sign-in page", chromedp.Navigate(srv.URL+"/login?return_to="+url.QueryEscape("/logout")))
	signIn(t, ctx, email, password)
	heading(t, ctx, "Sign-in security")
	if due := read(t, ctx, "read the notice", chromedp.Text(chromedp.ID("enrolment-due"))); !strings.Contains(due, name) {
		t.Fatalf("notice: %q", due)
	}
	step(t, ctx, "set up an authenticator app", chromedp.Click(chromedp.ID("totp-start")), chromedp.WaitVisible(chromedp.ID("totp-secret")))
	secret := read(t, ctx, "read the key", chromedp.Text(chromedp.ID("totp-secret")))
	code, err = totp.GenerateCode(strings.TrimSpace(secret), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	step(t, ctx, "confirm with its first code", chromedp.SendKeys(chromedp.ID("totp-code"), code+"\r"))
	codes := poll(t, ctx, "wait for the recovery codes",
		`document.querySelectorAll("#recovery-codes code").length + ""`, func(s string) bool { return s == "10" })
	if codes != "10" {
		t.Fatalf("codes: %s", codes)
	}
	if n := poll(t, ctx, "the notice is gone", `document.querySelectorAll("#enrolment-due").length + ""`, func(s string) bool { return true }); n != "0" {
		t.Fatalf("the page still asks to enrol (%s)", n)
	}
	api("GET", "/api/v1/organizations/"+org.ID, nil, login.Token, http.StatusOK)

	// A passkey from the page: the virtual authenticator makes it.
	step(t, ctx, "give chromium a virtual authenticator", func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, tg, webauthn.Enable, webauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, tg, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol: webauthn.AuthenticatorProtocolCtap2, Transport: webauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return chromedp.Void{}, err
	})
	step(t, ctx, "name and add a passkey",
		chromedp.SendKeys(chromedp.ID("passkey-name"), "Laptop"),
		chromedp.Click(chromedp.ID("passkey-register")))
	poll(t, ctx, "wait for the passkey in the list",
		`Array.from(document.querySelectorAll("#passkeys .passkey-name")).map(function (e) { return e.textContent; }).join(",")`,
		func(s string) bool { return s == "Laptop" })

	step(t, ctx, "go on to the return target", chromedp.Click(chromedp.ID("continue")))
	heading(t, ctx, "Sign out")
	step(t, ctx, "sign out", chromedp.Click(chromedp.CSS(`main form[action="/logout"] button[type="submit"]`)))
	heading(t, ctx, "Signed out")

	step(t, ctx, "open the sign-in page", chromedp.Navigate(srv.URL+"/login"), chromedp.WaitVisible(chromedp.ID("passkey-signin")))
	step(t, ctx, "sign in with the passkey", chromedp.Click(chromedp.ID("passkey-signin")), chromedp.WaitVisible(chromedp.CSS(`form[action="/logout"]`)))
	if text := read(t, ctx, "read the account", chromedp.Text(chromedp.CSS("main"))); !strings.Contains(text, "You are signed in as "+email+".") {
		t.Fatalf("account page: %q", text)
	}
}
