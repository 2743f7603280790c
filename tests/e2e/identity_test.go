//go:build integration

package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/adapters/pgstore/identitypg"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/domain/identity"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const idPassword = "UserPass123!"

type idUser struct {
	ID        string    `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

type idLogin struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
	Session   struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	} `json:"session"`
	User idUser `json:"user"`
}

func idEmail(label string) string {
	return fmt.Sprintf("%s-%s@example.com", label, testenv.Unique())
}

func idStatus(t *testing.T, res *apitest.Response, status int) *apitest.Response {
	t.Helper()
	if res.Status != status {
		t.Fatalf("status %d, want %d: %s", res.Status, status, res.Body)
	}
	return res
}

func idRegister(t *testing.T, srv *apitest.Server, email, password string) idUser {
	t.Helper()
	var u idUser
	idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": password, "name": "Test User"}, ""), http.StatusCreated).Decode(t, &u)
	return u
}

func idLoginAs(t *testing.T, srv *apitest.Server, email, password string) idLogin {
	t.Helper()
	var l idLogin
	idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, ""), http.StatusOK).Decode(t, &l)
	return l
}

// idDB opens the server's database directly, as an operator importing
// Authy2 users (or an auditor) would.
func idDB(t *testing.T, srv *apitest.Server) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func idStore(t *testing.T, srv *apitest.Server) *identitypg.Store {
	t.Helper()
	return identitypg.New(idDB(t, srv))
}

func TestIdentity_RegisterLoginAndProfileThroughHTTP(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("Bob")
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": "  " + email + " ", "password": idPassword, "name": " Bob "}, ""), http.StatusCreated)
			var u idUser
			res.Decode(t, &u)
			if u.Email != strings.ToLower(email) || u.Name != "Bob" || u.ID == "" || u.CreatedAt.IsZero() {
				t.Fatalf("unexpected user %+v", u)
			}
			if bytes.Contains(res.Body, []byte("argon2")) || bytes.Contains(res.Body, []byte("hash")) || bytes.Contains(res.Body, []byte(idPassword)) {
				t.Fatalf("registration leaks a secret: %s", res.Body)
			}

			l := idLoginAs(t, srv, strings.ToUpper(email), idPassword)
			if l.Token == "" || l.TokenType != "Bearer" || l.User.ID != u.ID || !l.Session.Current || !l.ExpiresAt.After(time.Now().Add(-time.Minute)) {
				t.Fatalf("unexpected login %+v", l)
			}
			for _, path := range []string{"/api/v1/auth/me", "/api/v1/users/me"} {
				var me idUser
				idStatus(t, srv.Do(t, "GET", path, nil, l.Token), http.StatusOK).Decode(t, &me)
				if me.ID != u.ID || me.Email != strings.ToLower(email) {
					t.Fatalf("%s = %+v", path, me)
				}
				idStatus(t, srv.Do(t, "GET", path, nil, ""), http.StatusUnauthorized)
			}

			// The name changes at once; the email only once the new
			// address confirms it (accounts_test.go covers the link).
			newEmail := idEmail("Robert")
			var changed struct {
				idUser
				PendingEmail string `json:"pending_email"`
			}
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Robert", "email": newEmail, "current_password": idPassword}, l.Token), http.StatusAccepted).Decode(t, &changed)
			if changed.Name != "Robert" || changed.Email != strings.ToLower(email) || changed.PendingEmail != strings.ToLower(newEmail) || changed.UpdatedAt.Before(changed.CreatedAt) {
				t.Fatalf("unexpected profile %+v", changed)
			}
			idLoginAs(t, srv, email, idPassword)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": waitForLink(t, srv, strings.ToLower(newEmail), "/verify-email", 1)}, ""), http.StatusOK)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusUnauthorized)
			idLoginAs(t, srv, newEmail, idPassword)

			// An address another account has gets the same answer as a free
			// one: the confirmation is what fails (accounts_test.go).
			other := idRegister(t, srv, idEmail("other"), idPassword)
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": strings.ToUpper(other.Email), "current_password": idPassword}, l.Token), http.StatusAccepted)
			res = idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"email": "not-an-email", "name": ""}, l.Token), http.StatusBadRequest)
			if res.Env.Error.Type != "VALIDATION_ERROR" || len(res.Env.Error.Details["email"]) == 0 || len(res.Env.Error.Details["name"]) == 0 {
				t.Fatalf("unexpected error %+v", res.Env.Error)
			}
		})
	}
}

func TestRegister_DuplicateEmailInAnyCaseIs409(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("dup")
			idRegister(t, srv, email, idPassword)
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": " " + strings.ToUpper(email), "password": "another passphrase", "name": "Twin"}, ""), http.StatusConflict)
			if res.Env.Error.Type != "CONFLICT" || res.Env.Error.Code != "identity.email_taken" {
				t.Fatalf("unexpected error %+v", res.Env.Error)
			}
		})
	}
}

func TestRegister_UnknownFieldsAndInvalidValuesAre400(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			tests := []struct {
				name   string
				body   map[string]any
				fields []string
			}{
				{"unknown field", map[string]any{"email": idEmail("x"), "password": idPassword, "name": "X", "role": "admin"}, []string{"role"}},
				{"everything missing", map[string]any{}, []string{"email", "password", "name"}},
				{"short password", map[string]any{"email": idEmail("x"), "password": "short", "name": "X"}, []string{"password"}},
				{"common password", map[string]any{"email": idEmail("x"), "password": "Password1", "name": "X"}, []string{"password"}},
				{"129 characters", map[string]any{"email": idEmail("x"), "password": strings.Repeat("p", 129), "name": "X"}, []string{"password"}},
				{"bad email", map[string]any{"email": "bob@", "password": idPassword, "name": "X"}, []string{"email"}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", tt.body, ""), http.StatusBadRequest)
					if res.Env.Error.Type != "VALIDATION_ERROR" {
						t.Fatalf("type = %s", res.Env.Error.Type)
					}
					for _, f := range tt.fields {
						if len(res.Env.Error.Details[f]) == 0 {
							t.Fatalf("no reason for %s: %+v", f, res.Env.Error.Details)
						}
					}
				})
			}
			l := idLoginAs(t, srv, idRegister(t, srv, idEmail("y"), idPassword).Email, idPassword)
			res := idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Y", "password_hash": "x"}, l.Token), http.StatusBadRequest)
			if len(res.Env.Error.Details["password_hash"]) == 0 {
				t.Fatalf("unknown profile field not named: %+v", res.Env.Error)
			}
		})
	}
}

func TestLogin_UnknownEmailAnswersLikeWrongPassword(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			u := idRegister(t, srv, idEmail("known"), idPassword)
			wrong := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.Email, "password": "Not the password"}, ""), http.StatusUnauthorized)
			unknown := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": idEmail("ghost"), "password": "Not the password"}, ""), http.StatusUnauthorized)
			if wrong.Env.Error.Type != "AUTHENTICATION_ERROR" || wrong.Env.Error.Code != "identity.invalid_credentials" {
				t.Fatalf("unexpected error %+v", wrong.Env.Error)
			}
			a := bytes.Replace(wrong.Body, []byte(wrong.Env.RequestID), nil, 1)
			b := bytes.Replace(unknown.Body, []byte(unknown.Env.RequestID), nil, 1)
			if !bytes.Equal(a, b) {
				t.Fatalf("bodies differ beyond the request id:\n%s\n%s", wrong.Body, unknown.Body)
			}
		})
	}
}

func TestLogin_LegacyBcryptHashVerifiesAndIsRehashedToArgon2id(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			store := idStore(t, srv)
			raw, err := bcrypt.GenerateFromPassword([]byte("Authy2 legacy pass"), bcrypt.MinCost)
			if err != nil {
				t.Fatal(err)
			}
			// Authy2 (Python bcrypt) wrote the $2b$ prefix.
			legacy := identity.PasswordHashFromEncoded("$2b$" + string(raw[4:]))
			email, _ := identity.ParseEmail(idEmail("legacy"))
			name, _ := identity.ParseName("Legacy User")
			u, err := identity.NewUser(shared.UserID(uuid.New()), email, name, legacy, time.Now().UTC().Truncate(time.Microsecond))
			if err != nil {
				t.Fatal(err)
			}
			if err := store.Add(context.Background(), u); err != nil {
				t.Fatal(err)
			}

			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email.String(), "password": "wrong legacy pass"}, ""), http.StatusUnauthorized)
			l := idLoginAs(t, srv, email.String(), "Authy2 legacy pass")
			if l.User.ID != u.ID().String() {
				t.Fatalf("logged in as %s", l.User.ID)
			}
			stored, err := store.Get(context.Background(), u.ID())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(stored.PasswordHash().Encoded(), "$argon2id$v=19$m=19456,t=2,p=1$") {
				t.Fatalf("hash not upgraded to argon2id: %.12s…", stored.PasswordHash().Encoded())
			}
			idLoginAs(t, srv, email.String(), "Authy2 legacy pass")
		})
	}
}

func TestChangePassword_RevokesOtherSessionsButKeepsTheCurrentOne(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("pw")
			idRegister(t, srv, email, idPassword)
			current := idLoginAs(t, srv, email, idPassword)
			other := idLoginAs(t, srv, email, idPassword)
			idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, other.Token), http.StatusOK)

			res := idStatus(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": "not it at all", "new_password": "Brand new passphrase"}, current.Token), http.StatusBadRequest)
			if res.Env.Error.Code != "identity.wrong_password" || len(res.Env.Error.Details["current_password"]) == 0 {
				t.Fatalf("unexpected error %+v", res.Env.Error)
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": idPassword, "new_password": "password123"}, current.Token), http.StatusBadRequest)

			var out struct {
				SessionsRevoked int `json:"sessions_revoked"`
			}
			idStatus(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": idPassword, "new_password": "Brand new passphrase"}, current.Token), http.StatusOK).Decode(t, &out)
			if out.SessionsRevoked != 1 {
				t.Fatalf("sessions_revoked = %d, want 1", out.SessionsRevoked)
			}
			idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, current.Token), http.StatusOK)
			idStatus(t, srv.Do(t, "GET", "/api/v1/auth/me", nil, other.Token), http.StatusUnauthorized)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusUnauthorized)
			idLoginAs(t, srv, email, "Brand new passphrase")
		})
	}
}

func TestDeleteAccount_EndsEverySessionAndTheEmailCanNoLongerLogIn(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("del")
			idRegister(t, srv, email, idPassword)
			a := idLoginAs(t, srv, email, idPassword)
			b := idLoginAs(t, srv, email, idPassword)
			idStatus(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": idPassword}, a.Token), http.StatusOK)
			for _, token := range []string{a.Token, b.Token} {
				idStatus(t, srv.Do(t, "GET", "/api/v1/users/me", nil, token), http.StatusUnauthorized)
			}
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusUnauthorized)
			if res.Env.Error.Code != "identity.invalid_credentials" {
				t.Fatalf("code = %s", res.Env.Error.Code)
			}
			// The address is free for a new account.
			again := idRegister(t, srv, email, idPassword)
			if again.ID == a.User.ID {
				t.Fatal("a new account must get a new id")
			}
		})
	}
}

func TestRegister_ConcurrentRegistrationsOfOneEmailExactlyOneWins(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("race")
			const n = 6
			statuses := make([]int, n)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := 0; i < n; i++ {
				addr := email
				if i%2 == 1 {
					addr = strings.ToUpper(email)
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					statuses[i] = srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": addr, "password": idPassword, "name": fmt.Sprintf("Racer %d", i)}, "").Status
				}()
			}
			close(start)
			wg.Wait()
			created, conflicts := 0, 0
			for _, s := range statuses {
				switch s {
				case http.StatusCreated:
					created++
				case http.StatusConflict:
					conflicts++
				}
			}
			if created != 1 || conflicts != n-1 {
				t.Fatalf("statuses %v: want exactly one 201 and the rest 409", statuses)
			}
		})
	}
}

func TestLogin_FailedAttemptsOnOneAccountAre429WithRetryAfterOnEveryInstance(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			limits := apitest.WithConfig(func(c *bootstrap.Config) { c.LoginFailuresPerAccount = 3 })
			srv := apitest.Start(t, backend, limits)
			email := idEmail("brute")
			idRegister(t, srv, email, idPassword)
			for i := 0; i < 3; i++ {
				idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": fmt.Sprintf("guess number %d", i)}, ""), http.StatusUnauthorized)
			}
			servers := []*apitest.Server{srv}
			if backend == apitest.Production {
				// A second instance on the same database and Redis sees the
				// same budget.
				servers = append(servers, apitest.Start(t, backend, limits, apitest.ShareWith(srv)))
			}
			for _, s := range servers {
				res := idStatus(t, s.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": strings.ToUpper(email), "password": idPassword}, ""), http.StatusTooManyRequests)
				if res.Env.Error.Type != "RATE_LIMIT_EXCEEDED" || res.Header.Get("Retry-After") == "" {
					t.Fatalf("unexpected 429: %v %+v", res.Header, res.Env.Error)
				}
			}
		})
	}
}

func TestLogin_PerIPLimitIs429WithRetryAfter(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) { c.LoginRateLimitPerIP = 2 }))
			email := idEmail("ip")
			idRegister(t, srv, email, idPassword)
			idLoginAs(t, srv, email, idPassword)
			idLoginAs(t, srv, email, idPassword)
			res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": idPassword}, ""), http.StatusTooManyRequests)
			if res.Header.Get("Retry-After") == "" || res.Env.Error.Code != "identity.login_rate_limited" {
				t.Fatalf("unexpected 429: %v %+v", res.Header, res.Env.Error)
			}
		})
	}
}

func TestRegister_PerIPLimitIs429(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrap.Config) { c.RegisterRateLimitPerIP = 1 }))
	idRegister(t, srv, idEmail("first"), idPassword)
	res := idStatus(t, srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": idEmail("second"), "password": idPassword, "name": "Second"}, ""), http.StatusTooManyRequests)
	if res.Header.Get("Retry-After") == "" {
		t.Fatal("no Retry-After")
	}
}

func TestIdentity_EveryChangeAndAttemptIsAuditedWithoutSecrets(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			email := idEmail("audit")
			u := idRegister(t, srv, email, idPassword)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": "Wrong guess 1"}, ""), http.StatusUnauthorized)
			idStatus(t, srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": idEmail("ghost"), "password": "Wrong guess 2"}, ""), http.StatusUnauthorized)
			l := idLoginAs(t, srv, email, idPassword)
			idStatus(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "Renamed"}, l.Token), http.StatusOK)
			idStatus(t, srv.Do(t, "POST", "/api/v1/users/me/password", map[string]any{"current_password": idPassword, "new_password": "Brand new passphrase"}, l.Token), http.StatusOK)
			idStatus(t, srv.Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": "Brand new passphrase"}, l.Token), http.StatusOK)

			store := auditpg.New(idDB(t, srv))
			records, err := store.List(context.Background(), auditport.Query{Limit: 100, Order: auditport.OldestFirst})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range records {
				s := r.State()
				for _, secret := range []string{idPassword, "Wrong guess", "Brand new passphrase", "argon2id", "ghost-"} {
					if strings.Contains(string(s.Details), secret) {
						t.Fatalf("%s details leak %q: %s", s.Action, secret, s.Details)
					}
				}
				if !strings.HasPrefix(s.Action, "auth.") && !strings.HasPrefix(s.Action, "user.") {
					continue
				}
				if s.TargetID != u.ID && s.TargetID != "" {
					continue
				}
				got = append(got, fmt.Sprintf("%s %s %s", s.Action, s.ActorType, s.Details))
			}
			want := []string{
				`auth.register user {}`,
				`auth.email.verification_sent user {"reason":"registration"}`,
				`auth.login.failed anonymous {"reason":"wrong_password"}`,
				`auth.login.failed anonymous {"reason":"unknown_email"}`,
				`auth.login.succeeded user {"session_id":"` + l.Session.ID + `"}`,
				`user.profile.updated user {"fields":["name"]}`,
				`user.password.changed user {"sessions_revoked":0}`,
				`user.deleted user {"sessions_revoked":1}`,
			}
			if strings.Join(got, "\n") != strings.Join(want, "\n") {
				t.Fatalf("audit trail:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}
