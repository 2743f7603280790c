//go:build integration

package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/secuird/authy/tests/apitest"
)

func TestSeed_IsIdempotentAndBobCanSignIn(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			var first, second bytes.Buffer
			if err := srv.App.Seed(context.Background(), &first); err != nil {
				t.Fatalf("first seed: %v\n%s", err, first.String())
			}
			if err := srv.App.Seed(context.Background(), &second); err != nil {
				t.Fatalf("second seed: %v\n%s", err, second.String())
			}
			if strings.Contains(second.String(), "created") {
				t.Fatalf("the second run created something:\n%s", second.String())
			}

			login := srv.Do(t, "POST", "/api/v1/auth/login", map[string]string{
				"email": "bob@acme-corp.com", "password": "UserPass123!",
			}, "")
			if login.Status != 200 {
				t.Fatalf("bob cannot sign in: %d %s", login.Status, login.Body)
			}
			var session struct {
				Token string `json:"token"`
			}
			login.Decode(t, &session)
			orgs := srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, session.Token)
			var list []struct {
				ID   string `json:"id"`
				Name string `json:"name"`
				Role string `json:"role"`
			}
			orgs.Decode(t, &list)
			if len(list) != 1 || list[0].Name != "Acme Corp" || list[0].Role != "member" {
				t.Fatalf("bob's organizations = %+v", list)
			}
			members := srv.Do(t, "GET", "/api/v1/organizations/"+list[0].ID+"/members?limit=100", nil, session.Token)
			var ms []struct {
				Email  string `json:"email"`
				Role   string `json:"role"`
				Status string `json:"status"`
			}
			members.Decode(t, &ms)
			got := map[string]string{}
			for _, m := range ms {
				got[m.Email] = m.Role + "/" + m.Status
			}
			want := map[string]string{
				"alice@acme-corp.com": "owner/active", "bob@acme-corp.com": "member/active",
				"carol@acme-corp.com": "admin/active", "dave@acme-corp.com": "member/active",
			}
			if len(got) != len(want) {
				t.Fatalf("members = %v", got)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
			// Erin has an invitation and no account; the owner sees it.
			alice := srv.Do(t, "POST", "/api/v1/auth/login", map[string]string{
				"email": "alice@acme-corp.com", "password": "OwnerPass123!",
			}, "")
			var owner struct {
				Token string `json:"token"`
			}
			alice.Decode(t, &owner)
			var invs []struct {
				Email  string `json:"email"`
				Role   string `json:"role"`
				Status string `json:"status"`
			}
			srv.Do(t, "GET", "/api/v1/organizations/"+list[0].ID+"/invitations", nil, owner.Token).Decode(t, &invs)
			if len(invs) != 1 || invs[0].Email != "erin@acme-corp.com" || invs[0].Role != "member" || invs[0].Status != "pending" {
				t.Fatalf("invitations = %+v", invs)
			}
		})
	}
}
