//go:build integration

package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const profilePassword = "Profile pass phrase 1"

type profileMe struct {
	ID        string `json:"id"`
	Email     string `json:"email"`
	Name      string `json:"name"`
	UpdatedAt string `json:"updated_at"`
}

// profileServers starts one server, and on Production a second instance
// sharing its database and Redis.
func profileServers(t *testing.T, backend apitest.Backend) []*apitest.Server {
	t.Helper()
	one := apitest.Start(t, backend)
	if backend != apitest.Production {
		return []*apitest.Server{one}
	}
	return []*apitest.Server{one, apitest.Start(t, backend, apitest.ShareWith(one))}
}

func profileSignup(t *testing.T, srv *apitest.Server) (email, token string) {
	t.Helper()
	email = "profile-" + testenv.Unique() + "@example.test"
	if res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": email, "password": profilePassword, "name": "Before Change"}, ""); res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": profilePassword}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var out struct {
		Token string `json:"token"`
	}
	res.Decode(t, &out)
	return email, out.Token
}

func profileGetMe(t *testing.T, srv *apitest.Server, token string) profileMe {
	t.Helper()
	res := srv.Do(t, "GET", "/api/v1/auth/me", nil, token)
	if res.Status != http.StatusOK {
		t.Fatalf("GET /auth/me: %d %s", res.Status, res.Body)
	}
	var v profileMe
	res.Decode(t, &v)
	return v
}

// profileCached reports whether Redis holds the user's view (Production).
func profileCached(t *testing.T, srv *apitest.Server, id string) string {
	t.Helper()
	opt, err := redis.ParseURL(srv.RedisURL)
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opt)
	defer func() { _ = rdb.Close() }()
	v, err := rdb.Get(context.Background(), srv.RedisPrefix+"profile:"+id).Result()
	if err != nil && err != redis.Nil {
		t.Fatal(err)
	}
	return v
}

func TestProfileCache_AProfileChangeIsVisibleAtOnceOnEveryInstance(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			servers := profileServers(t, backend)
			_, token := profileSignup(t, servers[0])
			var before profileMe
			for _, srv := range servers {
				before = profileGetMe(t, srv, token) // every instance has read (and cached) the view
				profileGetMe(t, srv, token)
			}
			if backend == apitest.Production && profileCached(t, servers[0], before.ID) == "" {
				t.Fatal("the profile view was not cached in Redis")
			}
			newEmail := "changed-" + testenv.Unique() + "@example.test"
			res := servers[0].Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": "After Change", "email": newEmail, "current_password": profilePassword}, token)
			if res.Status != http.StatusAccepted {
				t.Fatalf("PATCH /users/me: %d %s", res.Status, res.Body)
			}
			// The name changed at once; the email changes when the link is
			// opened, here through the last instance.
			for _, srv := range servers {
				if got := profileGetMe(t, srv, token); got.Name != "After Change" || got.Email == newEmail {
					t.Fatalf("on %s before the confirmation: %+v", srv.URL, got)
				}
			}
			link := waitForLinkOn(t, servers, newEmail, "/verify-email", 1)
			if res := servers[len(servers)-1].Do(t, "POST", "/api/v1/auth/verify-email", map[string]any{"token": link}, ""); res.Status != http.StatusOK {
				t.Fatalf("confirm: %d %s", res.Status, res.Body)
			}
			for i := range 2 {
				for _, srv := range servers {
					got := profileGetMe(t, srv, token)
					if got.Name != "After Change" || got.Email != newEmail || got.UpdatedAt == before.UpdatedAt {
						t.Fatalf("read %d on %s after the change: %+v", i, srv.URL, got)
					}
				}
			}
		})
	}
}

func TestProfileCache_ADeletedAccountsTokenIsRefusedAtOnceOnEveryInstance(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			servers := profileServers(t, backend)
			email, token := profileSignup(t, servers[0])
			for _, srv := range servers {
				profileGetMe(t, srv, token)
			}
			if res := servers[0].Do(t, "DELETE", "/api/v1/users/me", map[string]any{"current_password": profilePassword}, token); res.Status/100 != 2 {
				t.Fatalf("DELETE /users/me: %d %s", res.Status, res.Body)
			}
			for _, srv := range servers {
				for _, path := range []string{"/api/v1/auth/me", "/api/v1/users/me"} {
					if res := srv.Do(t, "GET", path, nil, token); res.Status != http.StatusUnauthorized {
						t.Fatalf("GET %s on %s after deletion: %d %s", path, srv.URL, res.Status, res.Body)
					}
				}
				if res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": profilePassword}, ""); res.Status != http.StatusUnauthorized {
					t.Fatalf("login after deletion: %d %s", res.Status, res.Body)
				}
			}
		})
	}
}
