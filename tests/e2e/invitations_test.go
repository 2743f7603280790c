//go:build integration

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/ports/organizationsport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// linkTokens records the link token of every invitation, as the invitation
// mail will receive it.
type linkTokens struct {
	mu     sync.Mutex
	tokens map[string]string // invitation id → token
}

func (l *linkTokens) InvitationSent(_ context.Context, n organizationsport.InvitationNotice) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.tokens == nil {
		l.tokens = map[string]string{}
	}
	l.tokens[n.Invitation.String()] = n.Token
	return nil
}

func (l *linkTokens) of(t *testing.T, invitation string) string {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	tok, ok := l.tokens[invitation]
	if !ok {
		t.Fatalf("no link token for invitation %s", invitation)
	}
	return tok
}

func (l *linkTokens) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, t := range l.tokens {
		out = append(out, t)
	}
	return out
}

func errorCode(t *testing.T, res *apitest.Response, status int, code string) {
	t.Helper()
	if res.Status != status || res.Env.Error == nil || res.Env.Error.Code != code {
		t.Fatalf("want %d %s, got %d %s", status, code, res.Status, res.Body)
	}
}

// withoutVolatile decodes an envelope and drops what differs between two
// invitations by construction: request id, invitation id, address, times.
func withoutVolatile(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var env map[string]any
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatal(err)
	}
	delete(env, "request_id")
	data, _ := env["data"].(map[string]any)
	for _, k := range []string{"id", "email", "invited_at", "expires_at"} {
		delete(data, k)
	}
	return env
}

func TestInvitations_AnAddressWithAnAccountGetsTheSameAnswerAsAnUnknownOneAndJoinsOnlyByAccepting(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend)
			prober, victim := signUp(t, srv, "prober"), signUp(t, srv, "victim")
			org := createOrg(t, srv, prober, map[string]any{"name": "Probe"})
			base := "/api/v1/organizations/" + org.ID + "/members"
			unknown := "nobody-" + testenv.Unique() + "@example.com"

			known := srv.Do(t, "POST", base, map[string]any{"email": victim.email, "role": "admin"}, prober.token)
			stranger := srv.Do(t, "POST", base, map[string]any{"email": unknown, "role": "admin"}, prober.token)
			if known.Status != http.StatusCreated || stranger.Status != known.Status {
				t.Fatalf("statuses %d and %d", known.Status, stranger.Status)
			}
			a, b := withoutVolatile(t, known.Body), withoutVolatile(t, stranger.Body)
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("the answers differ:\n%s\n%s", known.Body, stranger.Body)
			}
			for _, leak := range []string{victim.id, victim.name, "user_id", "\"name\""} {
				if strings.Contains(string(known.Body), leak) {
					t.Fatalf("the answer holds %q: %s", leak, known.Body)
				}
			}
			var inv invitationView
			known.Decode(t, &inv)

			// The victim is not a member until they accept.
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, victim.token), http.StatusNotFound)
			if got := roleOf(members(t, srv, org.ID, prober), victim.email); got != "" {
				t.Fatalf("the victim is listed as %q before accepting", got)
			}
			var mine []orgView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/organizations", nil, victim.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 0 {
				t.Fatalf("the victim's organizations %+v", mine)
			}
			var listed []invitationView
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/invitations", nil, prober.token), http.StatusOK).Decode(t, &listed)
			if len(listed) != 2 {
				t.Fatalf("invitations %+v", listed)
			}

			expect(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/accept", nil, victim.token), http.StatusOK)
			if got := roleOf(members(t, srv, org.ID, prober), victim.email); got != "active:admin" {
				t.Fatalf("after accepting listed as %q", got)
			}
		})
	}
}

func TestInvitations_AcceptDeclineCancelAndNoSecondUse(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			links := &linkTokens{}
			srv := startOrgServer(t, backend, apitest.WithBootstrap(bootstrap.WithInvitationNotifier(links)))
			owner, admin, jane, eve := signUp(t, srv, "owner"), signUp(t, srv, "admin"), signUp(t, srv, "jane"), signUp(t, srv, "eve")
			org := createOrg(t, srv, owner, map[string]any{"name": "Lifecycle"})
			join(t, srv, org.ID, owner, admin, "admin")
			me := "/api/v1/users/me/invitations/"

			// Someone else's invitation answers like an unknown one, by id and by link.
			first := invite(t, srv, org.ID, admin, jane.email, "")
			token := links.of(t, first.ID)
			errorCode(t, srv.Do(t, "POST", me+first.ID+"/accept", nil, eve.token), 404, "organizations.invitation_not_found")
			errorCode(t, srv.Do(t, "POST", me+first.ID+"/decline", nil, eve.token), 404, "organizations.invitation_not_found")
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, eve.token), 404, "organizations.invitation_not_found")
			errorCode(t, srv.Do(t, "POST", me+uuid.NewString()+"/accept", nil, jane.token), 404, "organizations.invitation_not_found")
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+strings.Repeat("A", 43)+"/accept", nil, jane.token), 404, "organizations.invitation_not_found")
			var seen []invitationView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/invitations", nil, eve.token), http.StatusOK).Decode(t, &seen)
			if len(seen) != 0 {
				t.Fatalf("eve sees %+v", seen)
			}

			// Accepted through the link, once.
			var joined orgView
			expect(t, srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, jane.token), http.StatusOK).Decode(t, &joined)
			if joined.ID != org.ID || joined.Role != "member" {
				t.Fatalf("joined %+v", joined)
			}
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+token+"/accept", nil, jane.token), 409, "organizations.invitation_already_accepted")
			errorCode(t, srv.Do(t, "POST", me+first.ID+"/accept", nil, jane.token), 409, "organizations.invitation_already_accepted")
			errorCode(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID+"/invitations/"+first.ID, nil, owner.token), 409, "organizations.invitation_already_accepted")
			errorCode(t, srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": jane.email}, owner.token), 409, "organizations.already_member")

			// Declined: no membership, and no second chance.
			declined := invite(t, srv, org.ID, owner, eve.email, "")
			expect(t, srv.Do(t, "POST", me+declined.ID+"/decline", nil, eve.token), http.StatusOK)
			errorCode(t, srv.Do(t, "POST", me+declined.ID+"/accept", nil, eve.token), 409, "organizations.invitation_declined")
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+links.of(t, declined.ID)+"/accept", nil, eve.token), 409, "organizations.invitation_declined")
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, eve.token), http.StatusNotFound)

			// Cancelled by an admin; an owner invitation only by an owner.
			cancelled := invite(t, srv, org.ID, owner, eve.email, "admin")
			boss := invite(t, srv, org.ID, owner, "boss-"+testenv.Unique()+"@example.com", "owner")
			expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID+"/invitations/"+boss.ID, nil, admin.token), http.StatusForbidden)
			expect(t, srv.Do(t, "DELETE", "/api/v1/organizations/"+org.ID+"/invitations/"+cancelled.ID, nil, admin.token), http.StatusOK)
			errorCode(t, srv.Do(t, "POST", me+cancelled.ID+"/accept", nil, eve.token), 409, "organizations.invitation_cancelled")
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/invitations", nil, jane.token), http.StatusForbidden)
			var open []invitationView
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/invitations", nil, admin.token), http.StatusOK).Decode(t, &open)
			if len(open) != 1 || open[0].ID != boss.ID {
				t.Fatalf("open invitations %+v", open)
			}

			// Every step is in the organization's audit log, and no token is.
			var records []struct {
				Action string `json:"action"`
			}
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?action=organization.invitation.*&limit=100", nil, owner.token), http.StatusOK).Decode(t, &records)
			count := map[string]int{}
			for _, r := range records {
				count[r.Action]++
			}
			if count["organization.invitation.created"] != 5 || count["organization.invitation.accepted"] != 2 ||
				count["organization.invitation.declined"] != 1 || count["organization.invitation.cancelled"] != 1 {
				t.Fatalf("invitation records %v", count)
			}
			logs := srv.Logs()
			for _, tok := range links.all() {
				if strings.Contains(logs, tok) {
					t.Fatal("a link token reached the server log")
				}
			}
		})
	}
}

func TestInvitations_ExpireAfterTheirLifetimeAndTheExpiryIsAudited(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			clock := platformporttest.NewClock(time.Now().UTC().Truncate(time.Second))
			links := &linkTokens{}
			srv := startOrgServer(t, backend, apitest.WithClock(clock), apitest.WithBootstrap(bootstrap.WithInvitationNotifier(links)),
				apitest.WithConfig(func(c *bootstrap.Config) { c.InvitationTTL = 5 * time.Minute }))
			owner, late := signUp(t, srv, "owner"), signUp(t, srv, "late")
			org := createOrg(t, srv, owner, map[string]any{"name": "Expiring"})
			inv := invite(t, srv, org.ID, owner, late.email, "")
			if exp, err := time.Parse(time.RFC3339, inv.ExpiresAt); err != nil || !exp.Equal(clock.Now().Add(5*time.Minute)) {
				t.Fatalf("expires_at %q, want %v", inv.ExpiresAt, clock.Now().Add(5*time.Minute))
			}

			clock.Advance(5 * time.Minute)
			var mine []invitationView
			expect(t, srv.Do(t, "GET", "/api/v1/users/me/invitations", nil, late.token), http.StatusOK).Decode(t, &mine)
			if len(mine) != 0 {
				t.Fatalf("an expired invitation is listed: %+v", mine)
			}
			errorCode(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/accept", nil, late.token), 409, "organizations.invitation_expired")
			errorCode(t, srv.Do(t, "POST", "/api/v1/invitations/"+links.of(t, inv.ID)+"/accept", nil, late.token), 409, "organizations.invitation_expired")
			errorCode(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+inv.ID+"/decline", nil, late.token), 409, "organizations.invitation_expired")
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, late.token), http.StatusNotFound)

			var records []struct {
				Action    string  `json:"action"`
				ActorType string  `json:"actor_type"`
				TargetID  *string `json:"target_id"`
			}
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/audit-logs?action=organization.invitation.expired", nil, owner.token), http.StatusOK).Decode(t, &records)
			if len(records) != 1 || records[0].ActorType != "system" || records[0].TargetID == nil || *records[0].TargetID != inv.ID {
				t.Fatalf("expiry records %+v", records)
			}
			// The address can be invited again, and this one is accepted.
			again := invite(t, srv, org.ID, owner, late.email, "")
			expect(t, srv.Do(t, "POST", "/api/v1/users/me/invitations/"+again.ID+"/accept", nil, late.token), http.StatusOK)
		})
	}
}

func TestInvitations_AreRateLimitedPerInvitingUserAndPerClient(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startOrgServer(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.InvitationRateLimitPerUser = 3
				c.InvitationRateLimitPerIP = 5
			}))
			prober, other := signUp(t, srv, "prober"), signUp(t, srv, "other")
			org := createOrg(t, srv, prober, map[string]any{"name": "Limited"})
			otherOrg := createOrg(t, srv, other, map[string]any{"name": "Limited too"})
			probe := func(who orgAccount, org string) *apitest.Response {
				return srv.Do(t, "POST", "/api/v1/organizations/"+org+"/members",
					map[string]any{"email": "probe-" + testenv.Unique() + "@example.com"}, who.token)
			}
			for i := 0; i < 3; i++ {
				expect(t, probe(prober, org.ID), http.StatusCreated)
			}
			limited := func(res *apitest.Response) {
				t.Helper()
				errorCode(t, res, http.StatusTooManyRequests, "organizations.invitation_rate_limited")
				if res.Header.Get("Retry-After") == "" {
					t.Fatalf("429 without Retry-After: %v", res.Header)
				}
			}
			limited(probe(prober, org.ID))
			// Another user from the same client has a budget of their own,
			// until the client's is spent.
			expect(t, probe(other, otherOrg.ID), http.StatusCreated)
			expect(t, probe(other, otherOrg.ID), http.StatusCreated)
			limited(probe(other, otherOrg.ID))
			var listed []invitationView
			expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID+"/invitations", nil, prober.token), http.StatusOK).Decode(t, &listed)
			if len(listed) != 3 {
				t.Fatalf("%d invitations stored, want 3", len(listed))
			}
		})
	}
}
