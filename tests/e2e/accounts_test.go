//go:build integration

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/apitest"
)

// The account links are captured where a developer reads them: without
// SMTP_URL the server writes each mail, links included, to its log.

// accountUser is the user as /auth/me shows it.
type accountUser struct {
	ID              string     `json:"id"`
	Email           string     `json:"email"`
	EmailVerified   bool       `json:"email_verified"`
	EmailVerifiedAt *time.Time `json:"email_verified_at"`
	Name            string     `json:"name"`
}

var linkInMail = regexp.MustCompile(`(/verify-email|/reset-password)\?token=([A-Za-z0-9_%\-]+)`)

// mailedTokens returns the tokens of the links to path (/verify-email or
// /reset-password) in the mail written to the log for to, oldest first,
// and how many mails to went out in all.
func mailedTokens(t *testing.T, srv *apitest.Server, to, path string) ([]string, int) {
	t.Helper()
	var tokens []string
	mails := 0
	sc := bufio.NewScanner(strings.NewReader(srv.Logs()))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	for sc.Scan() {
		var line struct {
			Msg  string `json:"msg"`
			To   string `json:"to"`
			Body string `json:"body"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || !strings.HasPrefix(line.Msg, "mail written to the log") || line.To != to {
			continue
		}
		mails++
		for _, m := range linkInMail.FindAllStringSubmatch(line.Body, -1) {
			if m[1] != path {
				continue
			}
			tok, err := url.QueryUnescape(m[2])
			if err != nil {
				t.Fatalf("link token %q: %v", m[2], err)
			}
			tokens = append(tokens, tok)
		}
	}
	return tokens, mails
}

// waitForLink polls the log until the n-th link to path (1 = the first)
// mailed to to appears, and returns its token.
func waitForLink(t *testing.T, srv *apitest.Server, to, path string, n int) string {
	t.Helper()
	return waitForLinkOn(t, []*apitest.Server{srv}, to, path, n)
}

// waitForLinkOn is waitForLink for instances sharing one outbox: the mail
// is in the log of whichever instance delivered it.
func waitForLinkOn(t *testing.T, servers []*apitest.Server, to, path string, n int) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		var tokens []string
		for _, srv := range servers {
			got, _ := mailedTokens(t, srv, to, path)
			tokens = append(tokens, got...)
		}
		if len(tokens) >= n {
			return tokens[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no link %d to %s mailed to %s within 15s (found %d)", n, path, to, len(tokens))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitForMails polls the log until n mails to to went out.
func waitForMails(t *testing.T, srv *apitest.Server, to string, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if _, got := mailedTokens(t, srv, to, ""); got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d mails to %s within 15s", n, to)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// verifyEmailOf opens the verification link registration mailed to email,
// as its owner would. Other tests call it before a step that needs a
// verified address (accepting an invitation). A server that mails over
// SMTP_URL (to a test's own SMTP server) writes no mail to its log: there
// the address is vouched for in the database, as an operator would.
func verifyEmailOf(t *testing.T, srv *apitest.Server, email string) {
	t.Helper()
	to, reason := shared.ParseEmail(email)
	if reason != "" {
		t.Fatalf("email %q: %s", email, reason)
	}
	if srv.Config().SMTPURL != "" {
		store := idStore(t, srv)
		u, err := store.FindByEmail(context.Background(), to)
		if err != nil {
			t.Fatalf("verify %s: %v", email, err)
		}
		if _, err := store.Update(context.Background(), u.ID(), func(u *identity.User) error {
			return u.VerifyEmail(to, time.Now().UTC().Truncate(time.Microsecond))
		}); err != nil {
			t.Fatalf("verify %s: %v", email, err)
		}
		return
	}
	token := waitForLink(t, srv, to.String(), "/verify-email", 1)
	res := srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("verify %s: %d %s", email, res.Status, res.Body)
	}
}

func accountMe(t *testing.T, srv *apitest.Server, token string) accountUser {
	t.Helper()
	var u accountUser
	idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, token), http.StatusOK).Decode(t, &u)
	return u
}

func wantTokenError(t *testing.T, res *apitest.Response, code string) {
	t.Helper()
	if res.Status != http.StatusBadRequest || res.Env.Error == nil || res.Env.Error.Code != code {
		t.Fatalf("want 400 %s, got %d %s", code, res.Status, res.Body)
	}
}

// auditActions returns the actions recorded so far, failing when a record
// holds one of secrets.
func auditActions(t *testing.T, srv *apitest.Server, secrets ...string) map[string]int {
	t.Helper()
	records, err := auditpg.New(idDB(t, srv)).List(context.Background(), auditport.Query{Limit: 500, Order: auditport.OldestFirst})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, r := range records {
		s := r.State()
		for _, secret := range secrets {
			if secret != "" && strings.Contains(string(s.Details), secret) {
				t.Fatalf("audit record %s holds a secret: %s", s.Action, s.Details)
			}
		}
		out[s.Action]++
	}
	return out
}

func TestAccounts_RegistrationMailsALinkThatVerifiesTheEmailOnce(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("verify")
			var created accountUser
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": idPassword, "name": "Ada"}, ""), http.StatusCreated).Decode(t, &created)
			if created.EmailVerified || created.EmailVerifiedAt != nil {
				t.Fatalf("a new account must be unverified: %+v", created)
			}
			l := idLoginAs(t, srv, email, idPassword)
			if me := accountMe(t, srv, l.Token); me.EmailVerified {
				t.Fatalf("me %+v", me)
			}
			token := waitForLink(t, srv, email, "/verify-email", 1)
			if len(token) != 43 {
				t.Fatalf("token %q is not 256 bits in URL-safe base64", token)
			}
			var confirmed struct {
				Email         string `json:"email"`
				EmailVerified bool   `json:"email_verified"`
				EmailChanged  bool   `json:"email_changed"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, ""), http.StatusOK).Decode(t, &confirmed)
			if confirmed.Email != email || !confirmed.EmailVerified || confirmed.EmailChanged {
				t.Fatalf("confirmed %+v", confirmed)
			}
			for _, path := range []string{"/api/v1/auth/me", "/api/v1/users/me"} {
				var me accountUser
				idStatus(t, srv.Do(t, "GET", path, nil, l.Token), http.StatusOK).Decode(t, &me)
				if !me.EmailVerified || me.EmailVerifiedAt == nil {
					t.Fatalf("%s after verification: %+v", path, me)
				}
			}
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, ""), "identity.token_used")
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": strings.Repeat("A", 43)}, ""), "identity.token_invalid")
			got := auditActions(t, srv, token)
			if got["auth.email.verification_sent"] != 1 || got["auth.email.verified"] != 1 {
				t.Fatalf("audit %v", got)
			}
			if strings.Contains(srv.Logs(), `"token":"`+token) {
				t.Fatal("the token reached a log line of its own")
			}
		})
	}
}

func TestAccounts_AVerificationLinkExpiresAfter24HoursAndAResendReplacesIt(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := platformporttest.NewClock(time.Now().UTC().Truncate(time.Second))
			srv := apitest.Start(t, backend, apitest.WithClock(clock))
			email := idEmail("expire")
			idRegister(t, srv, email, idPassword)
			l := idLoginAs(t, srv, email, idPassword)
			first := waitForLink(t, srv, email, "/verify-email", 1)

			var sent struct {
				Email     string    `json:"email"`
				ExpiresAt time.Time `json:"expires_at"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email/resend", nil, l.Token), http.StatusAccepted).Decode(t, &sent)
			if sent.Email != email || !sent.ExpiresAt.Equal(clock.Now().Add(24*time.Hour)) {
				t.Fatalf("sent %+v", sent)
			}
			second := waitForLink(t, srv, email, "/verify-email", 2)
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": first}, ""), "identity.token_used")

			clock.Advance(24 * time.Hour)
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": second}, ""), "identity.token_expired")
			clock.Advance(-time.Second)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": second}, ""), http.StatusOK)
		})
	}
}

func TestAccounts_ResendingForAVerifiedEmailIs409AndResendsAreLimited(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	email := idEmail("resend")
	idRegister(t, srv, email, idPassword)
	l := idLoginAs(t, srv, email, idPassword)
	for i := 0; i < 3; i++ {
		idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email/resend", nil, l.Token), http.StatusAccepted)
	}
	res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email/resend", nil, l.Token), http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" || res.Env.Error.Code != "identity.verification_rate_limited" {
		t.Fatalf("429 %v %s", res.Header, res.Body)
	}
	idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": waitForLink(t, srv, email, "/verify-email", 4)}, ""), http.StatusOK)

	other := idEmail("verified")
	idRegister(t, srv, other, idPassword)
	verifyEmailOf(t, srv, other)
	o := idLoginAs(t, srv, other, idPassword)
	res = idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email/resend", nil, o.Token), http.StatusConflict)
	if res.Env.Error.Code != "identity.email_already_verified" {
		t.Fatalf("code %s", res.Env.Error.Code)
	}
}

func TestAccounts_ForgotPasswordAnswersAnUnknownAddressLikeAKnownOne(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			known, unknown := idEmail("known"), idEmail("unknown")
			idRegister(t, srv, known, idPassword)
			answers := map[string]*apitest.Response{}
			// The unknown address first: the background step handles
			// requests in order, so once the known one's mail is out the
			// unknown one's request has been handled too.
			for _, email := range []string{unknown, known} {
				answers[email] = idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
			}
			a, b := answers[unknown], answers[known]
			if a.Env.Message != b.Env.Message || string(a.Env.Data) != string(b.Env.Data) || string(a.Env.Data) != "{}" {
				t.Fatalf("the answers differ: %s / %s", a.Body, b.Body)
			}
			waitForLink(t, srv, known, "/reset-password", 1)
			if _, mails := mailedTokens(t, srv, unknown, ""); mails != 0 {
				t.Fatalf("%d mails went to an address without an account", mails)
			}
			got := auditActions(t, srv, unknown)
			if got["auth.password.reset_requested"] != 2 {
				t.Fatalf("audit %v", got)
			}
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": "not an address"}, ""), http.StatusBadRequest)
			if len(res.Env.Error.Details["email"]) == 0 {
				t.Fatalf("error %+v", res.Env.Error)
			}
		})
	}
}

func TestAccounts_ForgotPasswordIsLimitedPerAccountWhetherOrNotItExists(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			known := idEmail("limited")
			idRegister(t, srv, known, idPassword)
			for _, email := range []string{known, idEmail("nobody")} {
				for i := 0; i < 3; i++ {
					idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
				}
				res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusTooManyRequests)
				if res.Header.Get("Retry-After") == "" || res.Env.Error.Code != "identity.password_reset_rate_limited" {
					t.Fatalf("429 %v %s", res.Header, res.Body)
				}
			}
		})
	}
}

func TestAccounts_AResetSetsThePasswordEndsEverySessionAndWorksOnce(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := platformporttest.NewClock(time.Now().UTC().Truncate(time.Second))
			srv := apitest.Start(t, backend, apitest.WithClock(clock))
			email := idEmail("reset")
			idRegister(t, srv, email, idPassword)
			a, b := idLoginAs(t, srv, email, idPassword), idLoginAs(t, srv, email, idPassword)

			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
			token := waitForLink(t, srv, email, "/reset-password", 1)
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": "forged", "new_password": "Brand new passphrase"}, ""), "identity.token_invalid")
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "new_password": "password123"}, ""), http.StatusBadRequest)
			if len(res.Env.Error.Details["new_password"]) == 0 {
				t.Fatalf("the password policy applies: %s", res.Body)
			}
			var out struct {
				SessionsRevoked int `json:"sessions_revoked"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "new_password": "Brand new passphrase"}, ""), http.StatusOK).Decode(t, &out)
			if out.SessionsRevoked != 2 {
				t.Fatalf("sessions_revoked %d, want 2", out.SessionsRevoked)
			}
			for _, tok := range []string{a.Token, b.Token} {
				idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, tok), http.StatusUnauthorized)
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusUnauthorized)
			l := idLoginAs(t, srv, email, "Brand new passphrase")
			if me := accountMe(t, srv, l.Token); !me.EmailVerified {
				t.Fatalf("a reset verifies the email: %+v", me)
			}
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "new_password": "Another passphrase"}, ""), "identity.token_used")

			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
			late := waitForLink(t, srv, email, "/reset-password", 2)
			clock.Advance(30 * time.Minute)
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": late, "new_password": "Another passphrase"}, ""), "identity.token_expired")
			got := auditActions(t, srv, token, late, "Brand new passphrase")
			if got["auth.password.reset_requested"] != 2 || got["auth.password.reset_completed"] != 1 {
				t.Fatalf("audit %v", got)
			}
		})
	}
}

func TestAccounts_AnEmailChangeSwitchesOnlyOnceConfirmedAndEndsTheOtherSessions(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email, newEmail := idEmail("mover"), idEmail("moved")
			idRegister(t, srv, email, idPassword)
			waitForMails(t, srv, email, 1)
			requester, other := idLoginAs(t, srv, email, idPassword), idLoginAs(t, srv, email, idPassword)

			res := idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": newEmail}, requester.Token), http.StatusBadRequest)
			if len(res.Env.Error.Details["current_password"]) == 0 {
				t.Fatalf("an email change needs the password: %s", res.Body)
			}
			var pending struct {
				Email        string `json:"email"`
				PendingEmail string `json:"pending_email"`
			}
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": newEmail, "current_password": idPassword}, requester.Token), http.StatusAccepted).Decode(t, &pending)
			if pending.Email != email || pending.PendingEmail != newEmail {
				t.Fatalf("pending %+v", pending)
			}
			if me := accountMe(t, srv, requester.Token); me.Email != email {
				t.Fatalf("the email switched before the confirmation: %+v", me)
			}
			idLoginAs(t, srv, email, idPassword)
			waitForMails(t, srv, email, 2) // the verification, then the notice
			token := waitForLink(t, srv, newEmail, "/verify-email", 1)

			var confirmed struct {
				Email           string `json:"email"`
				EmailChanged    bool   `json:"email_changed"`
				SessionsRevoked int    `json:"sessions_revoked"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, ""), http.StatusOK).Decode(t, &confirmed)
			if confirmed.Email != newEmail || !confirmed.EmailChanged || confirmed.SessionsRevoked != 2 {
				t.Fatalf("confirmed %+v", confirmed)
			}
			me := accountMe(t, srv, requester.Token)
			if me.Email != newEmail || !me.EmailVerified {
				t.Fatalf("me after the confirmation %+v", me)
			}
			idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, other.Token), http.StatusUnauthorized)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusUnauthorized)
			idLoginAs(t, srv, newEmail, idPassword)
			wantTokenError(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, ""), "identity.token_used")
			got := auditActions(t, srv, token)
			if got["user.email.change_requested"] != 1 || got["user.email.changed"] != 1 {
				t.Fatalf("audit %v", got)
			}
		})
	}
}

func TestAccounts_AnEmailChangeToATakenAddressAnswersLikeAFreeOneAndFailsAtConfirmation(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email, taken, free := idEmail("asker"), idEmail("taken"), idEmail("free")
			idRegister(t, srv, email, idPassword)
			idRegister(t, srv, taken, idPassword)
			l := idLoginAs(t, srv, email, idPassword)
			bodies := map[string]map[string]any{}
			for _, to := range []string{taken, free} {
				res := idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": to, "current_password": idPassword}, l.Token), http.StatusAccepted)
				var d map[string]any
				res.Decode(t, &d)
				delete(d, "pending_email")
				delete(d, "pending_email_expires_at")
				delete(d, "updated_at")
				bodies[to] = d
			}
			if !jsonEqual(bodies[taken], bodies[free]) {
				t.Fatalf("the answers differ: %v / %v", bodies[taken], bodies[free])
			}
			late := idEmail("late")
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": late, "current_password": idPassword}, l.Token), http.StatusAccepted)
			token := waitForLink(t, srv, late, "/verify-email", 1)
			idRegister(t, srv, late, idPassword)
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": token}, ""), http.StatusConflict)
			if res.Env.Error.Code != "identity.email_taken" {
				t.Fatalf("code %s", res.Env.Error.Code)
			}
			if me := accountMe(t, srv, l.Token); me.Email != email {
				t.Fatalf("me %+v", me)
			}
		})
	}
}

func jsonEqual(a, b map[string]any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func TestAccounts_DeletingTheAccountNeedsTheCurrentPassword(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("keeper")
			idRegister(t, srv, email, idPassword)
			l := idLoginAs(t, srv, email, idPassword)
			res := idStatus(t, srv.Do(t, "DELETE", "/api/v1/users/me", nil, l.Token), http.StatusBadRequest)
			if len(res.Env.Error.Details["current_password"]) == 0 {
				t.Fatalf("a bearer token alone must not delete the account: %s", res.Body)
			}
			res = idStatus(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": "Not the password"}, l.Token), http.StatusBadRequest)
			if res.Env.Error.Code != "identity.wrong_password" {
				t.Fatalf("code %s", res.Env.Error.Code)
			}
			accountMe(t, srv, l.Token)
			idStatus(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": idPassword}, l.Token), http.StatusOK)
			idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, l.Token), http.StatusUnauthorized)
		})
	}
}

func TestAccounts_AUserWithoutAPasswordCannotSignInWithOneAndSetsOneByReset(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("nopass")
			e, _ := identity.ParseEmail(email)
			name, _ := identity.ParseName("No Password")
			u, err := identity.NewUser(shared.UserID(uuid.New()), e, name, identity.PasswordHash{}, time.Now().UTC().Truncate(time.Microsecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := idStore(t, srv).Add(context.Background(), u); err != nil {
				t.Fatal(err)
			}
			for _, pw := range []string{idPassword, "x", " "} {
				res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": pw}, ""), http.StatusUnauthorized)
				if res.Env.Error.Code != "identity.invalid_credentials" {
					t.Fatalf("code %s", res.Env.Error.Code)
				}
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusAccepted)
			token := waitForLink(t, srv, email, "/reset-password", 1)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/reset", map[string]any{"token": token, "new_password": "First passphrase"}, ""), http.StatusOK)
			l := idLoginAs(t, srv, email, "First passphrase")
			if me := accountMe(t, srv, l.Token); me.ID != u.ID().String() || !me.EmailVerified {
				t.Fatalf("me %+v", me)
			}
		})
	}
}

func TestAccounts_AnInvitationCannotBeAcceptedWithAnUnverifiedEmail(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			owner := idEmail("owner")
			idRegister(t, srv, owner, idPassword)
			verifyEmailOf(t, srv, owner)
			o := idLoginAs(t, srv, owner, idPassword)
			var org struct {
				ID string `json:"id"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Verified Only " + uuid.NewString()[:8]}, o.Token), http.StatusCreated).Decode(t, &org)
			invitee := idEmail("invitee")
			var inv struct {
				ID string `json:"id"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": invitee, "role": "member"}, o.Token), http.StatusCreated).Decode(t, &inv)
			// Whoever registers the invited address without proving it must
			// not join.
			idRegister(t, srv, invitee, idPassword)
			l := idLoginAs(t, srv, invitee, idPassword)
			res := srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/accept", nil, l.Token)
			if res.Status != http.StatusForbidden || res.Env.Error.Code != "organizations.email_unverified" {
				t.Fatalf("an unverified invitee: %d %s", res.Status, res.Body)
			}
			verifyEmailOf(t, srv, invitee)
			idStatus(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/accept", nil, l.Token), http.StatusOK)
		})
	}
}

func TestAccounts_ThePasswordResetLimitIsSharedByEveryInstance(t *testing.T) {
	a := apitest.Start(t, apitest.Production)
	b := apitest.Start(t, apitest.Production, apitest.ShareWith(a))
	email := idEmail("twin")
	for i, srv := range []*apitest.Server{a, b, a} {
		if res := srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""); res.Status != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	for _, srv := range []*apitest.Server{b, a} {
		res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/password/forgot", map[string]any{"email": email}, ""), http.StatusTooManyRequests)
		if res.Env.Error.Code != "identity.password_reset_rate_limited" {
			t.Fatalf("code %s", res.Env.Error.Code)
		}
	}
}
