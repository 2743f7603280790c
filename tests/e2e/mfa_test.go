//go:build integration

package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/secuird/authy/adapters/upstream/oauthproviders/upstreamtest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// The codes here are computed by the test from the secret the enrolment
// returned, at the server's (fake) clock, the way an authenticator app
// computes them.

const mfaPassword = "Mfa-Tester-Pass-42"

type mfaUser struct {
	email, token, secret, factor string
	codes                        []string
}

type mfaChallenge struct {
	MFARequired bool      `json:"mfa_required"`
	Challenge   string    `json:"challenge"`
	ExpiresAt   time.Time `json:"expires_at"`
	Factors     []string  `json:"factors"`
}

type mfaLoginDone struct {
	Token             string   `json:"token"`
	AMR               []string `json:"amr"`
	RecoveryCodesLeft *int     `json:"recovery_codes_left"`
}

// mfaClock starts 1 s into a 30-second step, so a test knows which step
// "now" is in.
func mfaClock() *sessClock {
	return newSessClock(time.Now().UTC().Truncate(30 * time.Second).Add(time.Second))
}

func totpAt(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	code, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func mfaExpectError(t *testing.T, res *apitest.Response, status int, code string) {
	t.Helper()
	if res.Status != status || res.Env.Error == nil || res.Env.Error.Code != code {
		t.Fatalf("got %d %s, want %d %s", res.Status, res.Body, status, code)
	}
}

// mfaEnrol registers an account, signs in and confirms a TOTP
// authenticator with the code of the clock's current step.
func mfaEnrol(t *testing.T, srv *apitest.Server, clock *sessClock) mfaUser {
	t.Helper()
	u := mfaUser{email: "mfa-" + testenv.Unique() + "@example.test"}
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": u.email, "password": mfaPassword, "name": "MFA Tester"}, ""), http.StatusCreated)
	var login sessLogin
	sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": mfaPassword}, ""), http.StatusOK).Decode(t, &login)
	u.token = login.Token
	var enrol struct {
		FactorID   string `json:"factor_id"`
		Secret     string `json:"secret"`
		OTPAuthURI string `json:"otpauth_uri"`
	}
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp", nil, u.token), http.StatusCreated).Decode(t, &enrol)
	if !strings.HasPrefix(enrol.OTPAuthURI, "otpauth://totp/") || !strings.Contains(enrol.OTPAuthURI, "secret="+enrol.Secret) || len(enrol.Secret) < 32 {
		t.Fatalf("enrolment %+v", enrol)
	}
	u.secret, u.factor = enrol.Secret, enrol.FactorID
	var confirmed struct {
		Factor struct {
			Status string `json:"status"`
		} `json:"factor"`
		RecoveryCodes []string `json:"recovery_codes"`
	}
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp/"+u.factor+"/confirm", map[string]any{"code": totpAt(t, u.secret, clock.Now())}, u.token), http.StatusOK).Decode(t, &confirmed)
	if confirmed.Factor.Status != "active" || len(confirmed.RecoveryCodes) != 10 {
		t.Fatalf("confirmed %+v", confirmed)
	}
	u.codes = confirmed.RecoveryCodes
	return u
}

func mfaChallengeFor(t *testing.T, srv *apitest.Server, email string) mfaChallenge {
	t.Helper()
	var ch mfaChallenge
	res := sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": mfaPassword}, ""), http.StatusOK)
	res.Decode(t, &ch)
	if !ch.MFARequired || len(ch.Challenge) < 43 || strings.Contains(string(res.Body), `"token"`) {
		t.Fatalf("login of an account with a factor: %s", res.Body)
	}
	return ch
}

func mfaComplete(t *testing.T, srv *apitest.Server, challenge string, code map[string]any) *apitest.Response {
	t.Helper()
	body := map[string]any{"challenge": challenge}
	for k, v := range code {
		body[k] = v
	}
	return srv.Do(t, "POST", "/api/v1/auth/login/mfa", body, "")
}

func TestMFA_TOTPSignInAcceptsEachCodeOnceWithOneStepOfDrift(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)
			confirmStep := clock.Now()

			var state struct {
				Enabled           bool `json:"enabled"`
				RecoveryCodesLeft int  `json:"recovery_codes_left"`
				Factors           []struct {
					ID     string `json:"id"`
					Status string `json:"status"`
				} `json:"factors"`
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/users/me/mfa", nil, u.token), http.StatusOK).Decode(t, &state)
			if !state.Enabled || state.RecoveryCodesLeft != 10 || len(state.Factors) != 1 || state.Factors[0].ID != u.factor {
				t.Fatalf("factors %+v", state)
			}

			ch := mfaChallengeFor(t, srv, u.email)
			if !slices.Equal(ch.Factors, []string{"totp", "recovery_code"}) || ch.ExpiresAt.Sub(clock.Now()) != 5*time.Minute {
				t.Fatalf("challenge %+v", ch)
			}
			// The code that confirmed the enrolment is spent.
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, confirmStep)}), 400, "mfa.invalid_code")
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": "000000x"}), 400, "mfa.invalid_code")

			// Two steps later: the previous step's code (one step behind) passes.
			clock.Advance(60 * time.Second)
			behind := totpAt(t, u.secret, clock.Now().Add(-30*time.Second))
			var done mfaLoginDone
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": behind}), http.StatusOK).Decode(t, &done)
			if len(done.Token) < 43 || !slices.Equal(done.AMR, []string{"pwd", "otp", "mfa"}) {
				t.Fatalf("completed %+v", done)
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, done.Token), http.StatusOK)
			// The challenge completes once.
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), 401, "mfa.challenge_invalid")

			ch = mfaChallengeFor(t, srv, u.email)
			// The same code again (still within its window): a replay.
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": behind}), 400, "mfa.invalid_code")
			// Two steps ahead is past the drift allowed.
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now().Add(60*time.Second))}), 400, "mfa.invalid_code")
			// One step ahead (a clock running fast) passes ...
			ahead := totpAt(t, u.secret, clock.Now().Add(30*time.Second))
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": ahead}), http.StatusOK)
			// ... and then the current step's code is older than the last accepted.
			ch = mfaChallengeFor(t, srv, u.email)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), 400, "mfa.invalid_code")
			clock.Advance(60 * time.Second)
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), http.StatusOK)

			db := sessOpenDB(t, srv)
			for action, want := range map[string]int64{"mfa.factor.enrolled": 1, "mfa.challenge.issued": 3, "mfa.factor.failed": 5} {
				if got := sessAuditCount(t, db, action); got != want {
					t.Errorf("%s records: %d, want %d", action, got, want)
				}
			}
			var leaks int64
			if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE action LIKE 'mfa.%' AND (CAST(details AS TEXT) LIKE ? OR CAST(details AS TEXT) LIKE ?)`,
				"%"+u.secret+"%", "%"+behind+"%").Scan(&leaks).Error; err != nil {
				t.Fatal(err)
			}
			if leaks != 0 {
				t.Fatalf("%d audit records carry the secret or a code", leaks)
			}
			var sealed string
			if err := db.Gorm().Raw(`SELECT secret_sealed FROM mfa_factors`).Scan(&sealed).Error; err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(sealed, "v1:") || strings.Contains(sealed, u.secret) {
				t.Fatalf("stored secret %q", sealed)
			}
		})
	}
}

func TestMFA_ACodeAcceptedByOneInstanceIsRefusedByAnother(t *testing.T) {
	clock := mfaClock()
	a := sessStart(t, apitest.Production, clock)
	b := sessStart(t, apitest.Production, clock, apitest.ShareWith(a))
	u := mfaEnrol(t, a, clock)
	clock.Advance(30 * time.Second)
	code := totpAt(t, u.secret, clock.Now())
	chA, chB := mfaChallengeFor(t, a, u.email), mfaChallengeFor(t, b, u.email)
	sessExpect(t, mfaComplete(t, a, chA.Challenge, map[string]any{"totp": code}), http.StatusOK)
	mfaExpectError(t, mfaComplete(t, b, chB.Challenge, map[string]any{"totp": code}), 400, "mfa.invalid_code")
}

func TestMFA_ARecoveryCodeSignsInOnceAndIsMailedAndRegeneratingVoidsTheSet(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)

			ch := mfaChallengeFor(t, srv, u.email)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": "aaaaa-aaaaa"}), 400, "mfa.invalid_code")
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": u.codes[0], "totp": "123456"}), 400, "mfa.invalid_input")
			var done mfaLoginDone
			// Typed in capitals without the dash, it still matches.
			typed := strings.ToUpper(strings.ReplaceAll(u.codes[0], "-", ""))
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": typed}), http.StatusOK).Decode(t, &done)
			if done.RecoveryCodesLeft == nil || *done.RecoveryCodesLeft != 9 {
				t.Fatalf("completed %+v", done)
			}
			waitForMails(t, srv, u.email, 2) // the verification link, then the notice
			ch = mfaChallengeFor(t, srv, u.email)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": u.codes[0]}), 400, "mfa.invalid_code")

			var fresh struct {
				RecoveryCodes []string `json:"recovery_codes"`
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/recovery-codes", nil, done.Token), http.StatusCreated).Decode(t, &fresh)
			if len(fresh.RecoveryCodes) != 10 || slices.Contains(fresh.RecoveryCodes, u.codes[1]) {
				t.Fatalf("new codes %v", fresh.RecoveryCodes)
			}
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": u.codes[1]}), 400, "mfa.invalid_code")
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"recovery_code": fresh.RecoveryCodes[1]}), http.StatusOK)

			db := sessOpenDB(t, srv)
			if got := sessAuditCount(t, db, "mfa.recovery_code.used"); got != 2 {
				t.Fatalf("recovery code use records: %d", got)
			}
			var stored string
			if err := db.Gorm().Raw(`SELECT codes FROM mfa_recovery_codes`).Scan(&stored).Error; err != nil {
				t.Fatal(err)
			}
			for _, c := range fresh.RecoveryCodes {
				if strings.Contains(stored, c) || strings.Contains(stored, strings.ReplaceAll(c, "-", "")) {
					t.Fatalf("a recovery code is stored as typed")
				}
			}
		})
	}
}

func TestMFA_AChallengeExpiresBindsToItsClientAndIsSpentByWrongCodes(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock, apitest.WithConfig(func(c *bootstrap.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }))
			u := mfaEnrol(t, srv, clock)

			ch := mfaChallengeFor(t, srv, u.email)
			clock.Advance(5*time.Minute + time.Second)
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), 401, "mfa.challenge_invalid")
			mfaExpectError(t, mfaComplete(t, srv, "not-a-challenge", map[string]any{"totp": "123456"}), 401, "mfa.challenge_invalid")
			mfaExpectError(t, mfaComplete(t, srv, "", map[string]any{"totp": "123456"}), 400, "mfa.invalid_input")

			// Five wrong codes spend a challenge: the right one no longer works.
			ch = mfaChallengeFor(t, srv, u.email)
			for i := 0; i < 5; i++ {
				mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": "000000"}), 400, "mfa.invalid_code")
			}
			mfaExpectError(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), 401, "mfa.challenge_invalid")

			// A challenge answers only the client that passed the password.
			ch = mfaChallengeFor(t, srv, u.email)
			res := srv.DoWithHeaders(t, "POST", "/api/v1/auth/login/mfa", map[string]any{"challenge": ch.Challenge, "totp": totpAt(t, u.secret, clock.Now())}, "",
				map[string]string{"X-Forwarded-For": "203.0.113.9"})
			mfaExpectError(t, res, 401, "mfa.challenge_invalid")
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), http.StatusOK)
		})
	}
}

func TestMFA_WrongCodesAreLimitedPerClientWithoutLockingTheOwnerOutElsewhere(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock, apitest.WithConfig(func(c *bootstrap.Config) { c.TrustedProxies = []string{"127.0.0.1/32"} }))
			u := mfaEnrol(t, srv, clock)
			attacker := map[string]string{"X-Forwarded-For": "203.0.113.66"}
			challengeFrom := func(h map[string]string) string {
				var ch mfaChallenge
				sessExpect(t, srv.DoWithHeaders(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": mfaPassword}, "", h), http.StatusOK).Decode(t, &ch)
				return ch.Challenge
			}
			complete := func(ch, code string, h map[string]string) *apitest.Response {
				return srv.DoWithHeaders(t, "POST", "/api/v1/auth/login/mfa", map[string]any{"challenge": ch, "totp": code}, "", h)
			}
			// Ten wrong codes over several challenges from one client: its
			// next attempt is refused before any code is checked, even the
			// right one.
			for i := 0; i < 10; i++ {
				if i%5 == 0 {
					clock.Advance(30 * time.Second)
				}
				mfaExpectError(t, complete(challengeFrom(attacker), "111111", attacker), 400, "mfa.invalid_code")
			}
			res := complete(challengeFrom(attacker), totpAt(t, u.secret, clock.Now()), attacker)
			mfaExpectError(t, res, 429, "mfa.rate_limited")
			if res.Header.Get("Retry-After") == "" {
				t.Fatal("no Retry-After")
			}
			// The owner, elsewhere, still signs in.
			sessExpect(t, complete(challengeFrom(nil), totpAt(t, u.secret, clock.Now()), nil), http.StatusOK)
		})
	}
}

func TestMFA_RemovingAFactorNeedsARecentSignInOrACurrentCode(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock, apitest.WithConfig(func(c *bootstrap.Config) { c.SessionIdleTimeout, c.SessionAbsoluteTimeout = 3600, 7200 }))
			u := mfaEnrol(t, srv, clock)
			clock.Advance(6 * time.Minute)
			path := "/api/v1/users/me/mfa/factors/" + u.factor
			mfaExpectError(t, srv.Do(t, "DELETE", path, nil, u.token), 403, "mfa.step_up_required")
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/recovery-codes", nil, u.token), 403, "mfa.step_up_required")
			mfaExpectError(t, srv.Do(t, "DELETE", path, map[string]any{"totp": "999999"}, u.token), 400, "mfa.invalid_code")
			mfaExpectError(t, srv.Do(t, "DELETE", "/api/v1/users/me/mfa/factors/not-an-id", nil, u.token), 404, "mfa.factor_not_found")

			// A factor check makes the session recent again.
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/verify", map[string]any{"totp": totpAt(t, u.secret, clock.Now())}, u.token), http.StatusOK)
			sessExpect(t, srv.Do(t, "DELETE", path, nil, u.token), http.StatusOK)
			mfaExpectError(t, srv.Do(t, "DELETE", path, nil, u.token), 404, "mfa.factor_not_found")

			// Without a factor the password signs in again.
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": mfaPassword}, ""), http.StatusOK).Decode(t, &sessLogin{})
			var state struct {
				Enabled           bool `json:"enabled"`
				RecoveryCodesLeft int  `json:"recovery_codes_left"`
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/users/me/mfa", nil, u.token), http.StatusOK).Decode(t, &state)
			if state.Enabled || state.RecoveryCodesLeft != 0 {
				t.Fatalf("after removal %+v", state)
			}
			if got := sessAuditCount(t, sessOpenDB(t, srv), "mfa.factor.removed"); got != 1 {
				t.Fatalf("removal records: %d", got)
			}
		})
	}
}

var pageChallenge = regexp.MustCompile(`name="challenge" value="([^"]+)"`)

func TestMFA_TheLoginPageAsksForTheCodeAfterThePassword(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)
			clock.Advance(30 * time.Second)

			b := newPageBrowser(t, srv)
			step := b.signInPage(t, u.email, mfaPassword, "/account")
			m := pageChallenge.FindStringSubmatch(step.body)
			if step.status != http.StatusOK || m == nil || b.session() != "" || !strings.Contains(step.body, `autocomplete="one-time-code"`) {
				t.Fatalf("after the password: %d, session %q\n%s", step.status, b.session(), step.body)
			}
			post := func(code string) pageAnswer {
				return b.send(t, "POST", "/login/mfa", url.Values{
					"challenge": {m[1]}, "code": {code}, "csrf_token": {formToken(t, step)}, "return_to": {"/account"},
				})
			}
			wrong := post("000000")
			if wrong.status != http.StatusBadRequest || !strings.Contains(wrong.body, `name="challenge"`) || b.session() != "" {
				t.Fatalf("wrong code: %d\n%s", wrong.status, wrong.body)
			}
			done := post(totpAt(t, u.secret, clock.Now()))
			if done.status != http.StatusSeeOther || done.header.Get("Location") != "/account" || b.session() == "" {
				t.Fatalf("right code: %d %v", done.status, done.header)
			}
			if acct := b.send(t, "GET", "/account", nil); acct.status != http.StatusOK || !strings.Contains(acct.body, u.email) {
				t.Fatalf("account page: %d\n%s", acct.status, acct.body)
			}
			// The challenge is spent: posting it again starts over at /login.
			again := post(totpAt(t, u.secret, clock.Now().Add(30*time.Second)))
			if again.status != http.StatusUnauthorized || !strings.Contains(again.body, `action="/login"`) {
				t.Fatalf("spent challenge: %d\n%s", again.status, again.body)
			}
		})
	}
}

func TestMFA_SensitiveChangesNeedARecentSignInOrFactorCheck(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock, apitest.WithConfig(func(c *bootstrap.Config) { c.SessionIdleTimeout, c.SessionAbsoluteTimeout = 3600, 7200 }))
			u := mfaEnrol(t, srv, clock)
			var org struct {
				ID string `json:"id"`
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Step Up " + testenv.Unique()}, u.token), http.StatusCreated).Decode(t, &org)
			var client struct {
				ClientID string `json:"client_id"`
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/oauth-clients", map[string]any{
				"name": "Back office", "grant_types": []string{"client_credentials"},
			}, u.token), http.StatusCreated).Decode(t, &client)

			// A password account without a factor: its password is enough.
			plain := sessSignup(t, srv)
			plainLogin := sessLoginAs(t, srv, plain, "plain")

			clock.Advance(6 * time.Minute)
			stale := []struct {
				method, path string
				body         map[string]any
			}{
				{"POST", "/api/v1/users/me/password", map[string]any{"current_password": mfaPassword, "new_password": "An entirely new passphrase"}},
				{"PATCH", "/api/v1/users/me", map[string]any{"email": "moved-" + testenv.Unique() + "@example.test", "current_password": mfaPassword}},
				{"DELETE", "/api/v1/users/me", map[string]any{"current_password": mfaPassword}},
				{"POST", "/api/v1/organizations/" + org.ID + "/scim-tokens", map[string]any{"name": "Okta"}},
				{"POST", "/api/v1/organizations/" + org.ID + "/oauth-clients/" + client.ClientID + "/secret", nil},
				{"POST", "/api/v1/users/me/mfa/totp", nil},
			}
			for _, s := range stale {
				mfaExpectError(t, srv.Do(t, s.method, s.path, s.body, u.token), 403, "mfa.step_up_required")
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": sessPassword, "new_password": "An entirely new passphrase"}, plainLogin.Token), http.StatusOK)

			// A factor check opens the window again.
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/verify", map[string]any{"totp": totpAt(t, u.secret, clock.Now())}, u.token), http.StatusOK)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/scim-tokens", map[string]any{"name": "Okta"}, u.token), http.StatusCreated)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/oauth-clients/"+client.ClientID+"/secret", nil, u.token), http.StatusOK)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": mfaPassword, "new_password": "An entirely new passphrase"}, u.token), http.StatusOK)
			// ... for five minutes.
			clock.Advance(5*time.Minute + time.Second)
			mfaExpectError(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/scim-tokens", map[string]any{"name": "Entra"}, u.token), 403, "mfa.step_up_required")
		})
	}
}

// mfaEnrolToken confirms a TOTP authenticator for the session token at the
// wall clock.
func mfaEnrolToken(t *testing.T, srv *apitest.Server, token string) {
	t.Helper()
	var enrol struct {
		FactorID string `json:"factor_id"`
		Secret   string `json:"secret"`
	}
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp", nil, token), http.StatusCreated).Decode(t, &enrol)
	sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": totpAt(t, enrol.Secret, time.Now())}, token), http.StatusOK)
}

func TestMFA_AnOrganizationRequiringMFAShutsOutMembersWithoutAFactorUntilTheyEnrol(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Policy " + testenv.Unique()})
			admin, member, outsider := signUp(t, srv, "admin"), signUp(t, srv, "member"), signUp(t, srv, "outsider")
			join(t, srv, org.ID, owner, admin, "admin")
			join(t, srv, org.ID, owner, member, "member")
			path := "/api/v1/organizations/" + org.ID
			on := map[string]any{"require_mfa": true}

			// An owner without a factor would lock themselves out.
			mfaExpectError(t, srv.Do(t, "PATCH", path, on, owner.token), 409, "organizations.mfa_enrolment_required")
			mfaEnrolToken(t, srv, owner.token)
			mfaExpectError(t, srv.Do(t, "PATCH", path, on, admin.token), 403, "organizations.owner_required")
			var got struct {
				RequireMFA bool `json:"require_mfa"`
			}
			sessExpect(t, srv.Do(t, "PATCH", path, on, owner.token), http.StatusOK).Decode(t, &got)
			if !got.RequireMFA {
				t.Fatal("the policy is not on")
			}

			for _, p := range []string{path, path + "/members", path + "/oauth-clients", path + "/audit-logs", path + "/invitations"} {
				mfaExpectError(t, srv.Do(t, "GET", p, nil, admin.token), 403, "organizations.mfa_enrolment_required")
			}
			mfaExpectError(t, srv.Do(t, "POST", path+"/members", map[string]any{"email": "x-" + testenv.Unique() + "@example.com"}, admin.token), 403, "organizations.mfa_enrolment_required")
			mfaExpectError(t, srv.Do(t, "GET", path, nil, member.token), 403, "organizations.mfa_enrolment_required")
			// A non-member still learns nothing.
			mfaExpectError(t, srv.Do(t, "GET", path, nil, outsider.token), 404, "organizations.not_found")
			sessExpect(t, srv.Do(t, "GET", path+"/members", nil, owner.token), http.StatusOK)
			// The member's own list shows why.
			var mine []struct {
				ID         string `json:"id"`
				RequireMFA bool   `json:"require_mfa"`
			}
			sessExpect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, member.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 1 || !mine[0].RequireMFA {
				t.Fatalf("member's organizations %+v", mine)
			}

			mfaEnrolToken(t, srv, member.token)
			sessExpect(t, srv.Do(t, "GET", path, nil, member.token), http.StatusOK)
			// Leaving stays possible without a factor.
			sessExpect(t, srv.Do(t, "DELETE", path+"/members/"+admin.id, nil, admin.token), http.StatusOK)

			var n int64
			if err := sessOpenDB(t, srv).Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE action = 'organization.updated' AND CAST(details AS TEXT) LIKE '%require_mfa%'`).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 1 {
				t.Fatalf("policy change records: %d", n)
			}
		})
	}
}

func TestMFA_ASignInThroughAProviderAsksForTheSecondFactorToo(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, fake, clock := socialServer(t, backend)
			who := upstreamtest.User{Subject: "g-" + testenv.Unique(), Email: unique("mfa-social"), EmailVerified: true, Name: "Grace"}
			first := newPageBrowser(t, srv)
			wantRedirect(t, first.externalSignIn(t, fake, "google", "/account", who), "/account")
			token := first.session()
			var enrol struct {
				FactorID string `json:"factor_id"`
				Secret   string `json:"secret"`
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp", nil, token), http.StatusCreated).Decode(t, &enrol)
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": totpAt(t, enrol.Secret, clock.Now())}, token), http.StatusOK)

			// The browser flow: the callback sets no session and leads to the code step.
			b := newPageBrowser(t, srv)
			back := b.externalSignIn(t, fake, "google", "/account", who)
			loc, err := url.Parse(back.header.Get("Location"))
			if back.status != http.StatusSeeOther || err != nil || loc.Path != "/login/mfa" || loc.Query().Get("challenge") == "" || b.session() != "" {
				t.Fatalf("callback: %d %s, session %q", back.status, back.header.Get("Location"), b.session())
			}
			step := b.send(t, "GET", loc.RequestURI(), nil)
			if step.status != http.StatusOK || !strings.Contains(step.body, `name="challenge"`) {
				t.Fatalf("code step: %d\n%s", step.status, step.body)
			}
			clock.Advance(30 * time.Second)
			done := b.send(t, "POST", "/login/mfa", url.Values{
				"challenge": {loc.Query().Get("challenge")}, "code": {totpAt(t, enrol.Secret, clock.Now())},
				"csrf_token": {formToken(t, step)}, "return_to": {"/account"},
			})
			if done.status != http.StatusSeeOther || done.header.Get("Location") != "/account" || b.session() == "" {
				t.Fatalf("code: %d %v", done.status, done.header)
			}
			res := srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session())
			if !strings.Contains(string(res.Body), `"auth_method":"social:google"`) || !strings.Contains(string(res.Body), `"amr":["fed","otp","mfa"]`) {
				t.Fatalf("sessions %s", res.Body)
			}

			// A single-page app's login code gets the challenge, not a session.
			spa := newPageBrowser(t, srv)
			a := spa.externalSignIn(t, fake, "google", spaOrigin+"/callback", who)
			cb, err := url.Parse(a.header.Get("Location"))
			if err != nil || cb.Query().Get("login_code") == "" {
				t.Fatalf("spa callback: %d %s", a.status, a.header.Get("Location"))
			}
			var ch mfaChallenge
			ex := sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": cb.Query().Get("login_code")}, ""), http.StatusOK)
			ex.Decode(t, &ch)
			if !ch.MFARequired || ch.Challenge == "" || strings.Contains(string(ex.Body), `"token"`) {
				t.Fatalf("exchange: %s", ex.Body)
			}
			clock.Advance(30 * time.Second)
			var fin mfaLoginDone
			sessExpect(t, mfaComplete(t, srv, ch.Challenge, map[string]any{"totp": totpAt(t, enrol.Secret, clock.Now())}), http.StatusOK).Decode(t, &fin)
			if !slices.Equal(fin.AMR, []string{"fed", "otp", "mfa"}) {
				t.Fatalf("amr %v", fin.AMR)
			}
		})
	}
}

func TestMFA_ASignInThroughAnOrganizationsConnectionAsksForTheSecondFactorToo(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, idp := ssoSignInServer(t, backend)
			owner := signUp(t, srv, "owner")
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			conn := createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{domain}})
			who := upstreamtest.User{Subject: "corp-" + testenv.Unique(), Email: "dana-" + testenv.Unique() + "@" + domain, EmailVerified: true, Name: "Dana"}

			first := newPageBrowser(t, srv)
			a, _ := first.ssoSignIn(t, idp, conn.ID, "", who)
			wantRedirect(t, a, "/account")
			var enrol struct {
				FactorID string `json:"factor_id"`
				Secret   string `json:"secret"`
			}
			token := first.session()
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp", nil, token), http.StatusCreated).Decode(t, &enrol)
			var confirmed struct {
				RecoveryCodes []string `json:"recovery_codes"`
			}
			sessExpect(t, srv.Do(t, "POST", "/api/v1/users/me/mfa/totp/"+enrol.FactorID+"/confirm", map[string]any{"code": totpAt(t, enrol.Secret, time.Now())}, token), http.StatusOK).Decode(t, &confirmed)

			b := newPageBrowser(t, srv)
			back, _ := b.ssoSignIn(t, idp, conn.ID, "", who)
			loc, err := url.Parse(back.header.Get("Location"))
			if back.status != http.StatusSeeOther || err != nil || loc.Path != "/login/mfa" || loc.Query().Get("challenge") == "" || b.session() != "" {
				t.Fatalf("callback: %d %s, session %q", back.status, back.header.Get("Location"), b.session())
			}
			step := b.send(t, "GET", loc.RequestURI(), nil)
			done := b.send(t, "POST", "/login/mfa", url.Values{
				"challenge": {loc.Query().Get("challenge")}, "code": {confirmed.RecoveryCodes[0]}, "csrf_token": {formToken(t, step)},
			})
			if done.status != http.StatusSeeOther || b.session() == "" {
				t.Fatalf("code: %d %v", done.status, done.header)
			}
			sessions := string(srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session()).Body)
			if !strings.Contains(sessions, `"auth_method":"sso-oidc:`+conn.ID+`"`) || !strings.Contains(sessions, `"amr":["fed","otp","mfa"]`) {
				t.Fatalf("sessions %s", sessions)
			}
		})
	}
}

func TestMFA_AnEncryptionKeyRotationReEncryptsTheTOTPSecrets(t *testing.T) {
	const oldKey, newKey = "the-old-encryption-key-of-at-least-32-bytes", "the-new-encryption-key-of-at-least-32-bytes"
	clock := mfaClock()
	withKeys := func(current string, previous ...string) apitest.Option {
		return apitest.WithConfig(func(c *bootstrap.Config) { c.EncryptionKey, c.EncryptionKeysPrevious = current, previous })
	}
	a := sessStart(t, apitest.Embedded, clock, withKeys(oldKey))
	u := mfaEnrol(t, a, clock)
	a.Stop()

	b := sessStart(t, apitest.Embedded, clock, apitest.ShareWith(a), withKeys(newKey, oldKey))
	var out strings.Builder
	if err := b.App.RotateKeys(context.Background(), &out, true); err != nil {
		t.Fatalf("rotate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "re-encrypted 1 TOTP secret(s)") {
		t.Fatalf("rotation said:\n%s", out.String())
	}
	b.Stop()

	// Without the old key the factor still works.
	c := sessStart(t, apitest.Embedded, clock, apitest.ShareWith(a), withKeys(newKey))
	clock.Advance(30 * time.Second)
	ch := mfaChallengeFor(t, c, u.email)
	sessExpect(t, mfaComplete(t, c, ch.Challenge, map[string]any{"totp": totpAt(t, u.secret, clock.Now())}), http.StatusOK)
}

func TestMFA_OneCodeSentTwiceAtOnceStartsOneSession(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock)
			u := mfaEnrol(t, srv, clock)
			clock.Advance(30 * time.Second)
			code := totpAt(t, u.secret, clock.Now())
			const n = 4
			challenges := make([]string, n)
			for i := range challenges {
				challenges[i] = mfaChallengeFor(t, srv, u.email).Challenge
			}
			statuses := make(chan int, n)
			var wg sync.WaitGroup
			for _, ch := range challenges {
				wg.Add(1)
				go func() {
					defer wg.Done()
					statuses <- mfaComplete(t, srv, ch, map[string]any{"totp": code}).Status
				}()
			}
			wg.Wait()
			close(statuses)
			ok := 0
			for s := range statuses {
				switch s {
				case http.StatusOK:
					ok++
				case http.StatusBadRequest:
				default:
					t.Errorf("status %d", s)
				}
			}
			if ok != 1 {
				t.Fatalf("%d sessions from one code", ok)
			}
		})
	}
}

func TestMFA_ThePurgeJobDeletesChallengesAnHourAfterTheyExpired(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := mfaClock()
			srv := sessStart(t, backend, clock, apitest.WithConfig(func(c *bootstrap.Config) { c.SessionIdleTimeout, c.SessionAbsoluteTimeout = 3600, 14400 }))
			u := mfaEnrol(t, srv, clock)
			mfaChallengeFor(t, srv, u.email)
			clock.Advance(30 * time.Minute)
			mfaChallengeFor(t, srv, u.email)
			job, ok := srv.App.Job("purge_mfa_challenges")
			if !ok {
				t.Fatal("no purge job")
			}
			count := func() int64 {
				var n int64
				if err := sessOpenDB(t, srv).Gorm().Raw(`SELECT count(*) FROM mfa_challenges`).Scan(&n).Error; err != nil {
					t.Fatal(err)
				}
				return n
			}
			clock.Advance(40 * time.Minute) // the first expired 65 minutes ago, the second 35
			if err := job.RunOnce(context.Background()); err != nil {
				t.Fatal(err)
			}
			if n := count(); n != 1 {
				t.Fatalf("%d challenges left, want 1", n)
			}
		})
	}
}

// A connection whose organization says its identity provider enforces MFA:
// its sign-ins record amr mfa and meet that organization's require_mfa,
// not another organization's, and only while the connection says so.
func TestMFA_AConnectionVouchingForItsProvidersMFAMeetsItsOwnOrganizationsPolicyOnly(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv, dns, idp := ssoSignInServer(t, backend)
			owner := signUp(t, srv, "owner")
			mfaEnrolToken(t, srv, owner.token)
			org := createOrg(t, srv, owner, map[string]any{"name": "Corp"})
			other := createOrg(t, srv, owner, map[string]any{"name": "Other"})
			domain := verifiedDomain(t, srv, dns, org.ID, owner)
			conn := createConnection(t, srv, idp, org.ID, owner, map[string]any{"domains": []string{domain}})
			if conn.IdPEnforcesMFA {
				t.Fatal("a connection vouches for MFA by default")
			}
			connPath := "/api/v1/organizations/" + org.ID + "/sso-connections/" + conn.ID
			for _, o := range []string{org.ID, other.ID} {
				sessExpect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+o, map[string]any{"require_mfa": true}, owner.token), http.StatusOK)
			}
			who := upstreamtest.User{Subject: "corp-" + testenv.Unique(), Email: "erin-" + testenv.Unique() + "@" + domain, EmailVerified: true, Name: "Erin"}
			signIn := func() (token string, amr []string) {
				t.Helper()
				b := newPageBrowser(t, srv)
				a, _ := b.ssoSignIn(t, idp, conn.ID, "", who)
				// Every sign-in here owes a factor to one organization at
				// least (the unvouched one), so the browser goes to enrol.
				wantRedirect(t, a, "/account/security?return_to=%2Faccount")
				var sessions []struct {
					Current bool     `json:"current"`
					AMR     []string `json:"amr"`
				}
				sessExpect(t, srv.Do(t, "GET", "/api/v1/auth/sessions", nil, b.session()), http.StatusOK).Decode(t, &sessions)
				for _, s := range sessions {
					if s.Current {
						return b.session(), s.AMR
					}
				}
				t.Fatalf("no current session: %+v", sessions)
				return "", nil
			}
			orgPath, otherPath := "/api/v1/organizations/"+org.ID, "/api/v1/organizations/"+other.ID

			before, amr := signIn()
			if !slices.Equal(amr, []string{"fed"}) {
				t.Fatalf("a sign-in through a connection that does not vouch: %s", amr)
			}
			mfaExpectError(t, srv.Do(t, "GET", orgPath, nil, before), 403, "organizations.mfa_enrolment_required")
			// The member joins the other organization too.
			join(t, srv, other.ID, owner, orgAccount{email: who.Email, token: before}, "member")

			var changed ssoConnectionView
			sessExpect(t, srv.Do(t, "PATCH", connPath, map[string]any{"idp_enforces_mfa": true}, owner.token), http.StatusOK).Decode(t, &changed)
			if !changed.IdPEnforcesMFA {
				t.Fatal("the flag is not on")
			}
			// A session started before the flag was on does not count.
			mfaExpectError(t, srv.Do(t, "GET", orgPath, nil, before), 403, "organizations.mfa_enrolment_required")

			vouched, amr := signIn()
			if !slices.Equal(amr, []string{"fed", "mfa"}) {
				t.Fatalf("a sign-in through a connection that vouches: %s", amr)
			}
			for _, p := range []string{orgPath, orgPath + "/members", orgPath + "/audit-logs", orgPath + "/sso-connections"} {
				res := srv.Do(t, "GET", p, nil, vouched)
				if res.Status == http.StatusForbidden && res.Env.Error != nil && res.Env.Error.Code == "organizations.mfa_enrolment_required" {
					t.Fatalf("%s: %s", p, res.Body)
				}
			}
			sessExpect(t, srv.Do(t, "GET", orgPath, nil, vouched), http.StatusOK)
			// The other organization does not answer for this provider.
			mfaExpectError(t, srv.Do(t, "GET", otherPath, nil, vouched), 403, "organizations.mfa_enrolment_required")
			// A single-page app's session is told to enrol for that one only.
			spa := newPageBrowser(t, srv)
			a, _ := spa.ssoSignIn(t, idp, conn.ID, spaOrigin+"/callback", who)
			cb, err := url.Parse(a.header.Get("Location"))
			if err != nil || cb.Query().Get("login_code") == "" {
				t.Fatalf("spa callback: %d %s", a.status, a.header.Get("Location"))
			}
			var notice enrolmentNotice
			sessExpect(t, srv.Do(t, "POST", "/api/v1/auth/external/exchange", map[string]any{"login_code": cb.Query().Get("login_code")}, ""), http.StatusOK).Decode(t, &notice)
			if notice.Required == nil || !*notice.Required || len(notice.Organizations) != 1 || notice.Organizations[0].ID != other.ID {
				t.Fatalf("exchange: %+v", notice)
			}
			sessExpect(t, srv.Do(t, "GET", orgPath, nil, notice.Token), http.StatusOK)

			// Switching the flag, or the connection, off withdraws it at once.
			sessExpect(t, srv.Do(t, "PATCH", connPath, map[string]any{"idp_enforces_mfa": false}, owner.token), http.StatusOK)
			mfaExpectError(t, srv.Do(t, "GET", orgPath, nil, vouched), 403, "organizations.mfa_enrolment_required")
			sessExpect(t, srv.Do(t, "PATCH", connPath, map[string]any{"idp_enforces_mfa": true}, owner.token), http.StatusOK)
			sessExpect(t, srv.Do(t, "GET", orgPath, nil, vouched), http.StatusOK)
			sessExpect(t, srv.Do(t, "PATCH", connPath, map[string]any{"enabled": false}, owner.token), http.StatusOK)
			mfaExpectError(t, srv.Do(t, "GET", orgPath, nil, vouched), 403, "organizations.mfa_enrolment_required")

			// A wrongly typed flag is refused and changes nothing.
			res := srv.Do(t, "PATCH", connPath, map[string]any{"idp_enforces_mfa": "yes"}, owner.token)
			if res.Status != http.StatusBadRequest {
				t.Fatalf("a string flag: %d %s", res.Status, res.Body)
			}
			var got ssoConnectionView
			sessExpect(t, srv.Do(t, "GET", connPath, nil, owner.token), http.StatusOK).Decode(t, &got)
			if !got.IdPEnforcesMFA {
				t.Fatal("a refused change changed the flag")
			}
			var n int64
			if err := sessOpenDB(t, srv).Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE action = 'organization.sso_connection.changed' AND CAST(details AS TEXT) LIKE '%idp_enforces_mfa%'`).Scan(&n).Error; err != nil {
				t.Fatal(err)
			}
			if n != 3 {
				t.Fatalf("flag change records: %d", n)
			}
		})
	}
}
