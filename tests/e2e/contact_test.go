//go:build integration

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/tests/apitest"
)

func enquiry(name string) map[string]any {
	return map[string]any{
		"type": "demo", "name": name, "email": "buyer@example.com", "company": "Buyer Inc",
		"phone": "+1 555 0100", "message": "We would like a demo.\nThanks!",
	}
}

type contactReceipt struct {
	ID         string    `json:"id"`
	Type       string    `json:"type"`
	Status     string    `json:"status"`
	ReceivedAt time.Time `json:"received_at"`
}

func submitContact(t *testing.T, srv *apitest.Server, body any, headers map[string]string) *apitest.Response {
	t.Helper()
	return srv.DoWithHeaders(t, "POST", "/api/v1/contact", body, "", headers)
}

// openStore opens the server's database beside it, to look at what was
// committed.
func openStore(t *testing.T, srv *apitest.Server) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// contactMailKey is the outbox key of an enquiry's mail to the first
// CONTACT_EMAIL_TO address.
func contactMailKey(enquiryID string) string { return "contact-enquiry:" + enquiryID + ":0" }

// contactMailID returns the id of an enquiry's mail in the outbox.
func contactMailID(t *testing.T, db *pgstore.DB, enquiryID string) string {
	t.Helper()
	var id string
	if err := db.Gorm().Raw(`SELECT id FROM mail_outbox WHERE dedup_key = ?`, contactMailKey(enquiryID)).Row().Scan(&id); err != nil {
		t.Fatalf("the mail of enquiry %s: %v", enquiryID, err)
	}
	return id
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestContact_AnEnquiryIsStoredAuditedAndMailedToTheLogWithoutSMTP(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			res := submitContact(t, srv, enquiry("Ada Lovelace"), nil)
			if res.Status != http.StatusAccepted {
				t.Fatalf("status %d %s", res.Status, res.Body)
			}
			var r contactReceipt
			res.Decode(t, &r)
			if r.ID == "" || r.Type != "demo" || r.Status != "received" || r.ReceivedAt.IsZero() {
				t.Fatalf("receipt %+v", r)
			}

			db := openStore(t, srv)
			var channel string
			waitFor(t, "the mail to be marked delivered to the log", func() bool {
				row := db.Gorm().Raw(`SELECT COALESCE(channel, '') FROM mail_outbox WHERE dedup_key = ? AND status = 'sent'`, contactMailKey(r.ID)).Row()
				return row.Scan(&channel) == nil && channel == "log"
			})
			if !strings.Contains(srv.Logs(), `"message_id":"`+contactMailID(t, db, r.ID)+`@localhost"`) || !strings.Contains(srv.Logs(), "Enquiry:  "+r.ID) {
				t.Fatal("the mail must be written to the log")
			}

			var actorType, details string
			err := db.Gorm().Raw(`SELECT actor_type, details FROM audit_logs WHERE action = 'contact.enquiry.received' AND target_id = ?`, r.ID).Row().Scan(&actorType, &details)
			if err != nil {
				t.Fatalf("audit record: %v", err)
			}
			var d map[string]any
			if err := json.Unmarshal([]byte(details), &d); err != nil {
				t.Fatal(err)
			}
			if actorType != "anonymous" || d["type"] != "demo" || d["email_domain"] != "example.com" || strings.Contains(details, "demo.\\nThanks") {
				t.Fatalf("audit record %s %s", actorType, details)
			}
		})
	}
}

func TestContact_TheMailReachesTheTeamOverSMTP(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			mx := smtptest.Start(t, smtptest.Options{})
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrapConfig) {
				c.SMTPURL = mx.URL()
				c.ContactEmailTo = "sales-team@example.net"
				c.MailFrom = "Authy <no-reply@authy.test>"
			}))
			res := submitContact(t, srv, enquiry("Grace Hopper"), nil)
			if res.Status != http.StatusAccepted {
				t.Fatalf("status %d %s", res.Status, res.Body)
			}
			var r contactReceipt
			res.Decode(t, &r)
			got := mx.WaitFor(t, 1, 10*time.Second)
			if got[0].To[0] != "sales-team@example.net" || got[0].From != "no-reply@authy.test" {
				t.Fatalf("envelope %s", got[0])
			}
			msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
			if err != nil {
				t.Fatal(err)
			}
			rt, err := msg.Header.AddressList("Reply-To")
			if err != nil || len(rt) != 1 || rt[0].Address != "buyer@example.com" || rt[0].Name != "Grace Hopper" {
				t.Fatalf("reply-to %v %v", rt, err)
			}
			mid := contactMailID(t, openStore(t, srv), r.ID)
			if !strings.Contains(msg.Header.Get("Subject"), "Grace Hopper (Buyer Inc)") || msg.Header.Get("Message-Id") != "<"+mid+"@authy.test>" ||
				!strings.HasPrefix(msg.Header.Get("Content-Type"), "multipart/alternative") {
				t.Fatalf("headers %v", msg.Header)
			}
		})
	}
}

func TestContact_TheSixthAcceptedEnquiryFromOneAddressWithinAnHourIsRefused(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			bad := enquiry("Ada")
			bad["email"] = "not-an-address"
			for i := 0; i < 2; i++ {
				if res := submitContact(t, srv, bad, nil); res.Status != http.StatusBadRequest {
					t.Fatalf("invalid enquiry: %d", res.Status)
				}
			}
			for i := 0; i < 5; i++ {
				if res := submitContact(t, srv, enquiry("Ada"), nil); res.Status != http.StatusAccepted {
					t.Fatalf("enquiry %d: %d %s", i+1, res.Status, res.Body)
				}
			}
			res := submitContact(t, srv, enquiry("Ada"), nil)
			assertRateLimited(t, res)
		})
	}
}

func assertRateLimited(t *testing.T, res *apitest.Response) {
	t.Helper()
	if res.Status != http.StatusTooManyRequests || res.Env.Error == nil || res.Env.Error.Type != "RATE_LIMIT_EXCEEDED" {
		t.Fatalf("want 429 RATE_LIMIT_EXCEEDED, got %d %s", res.Status, res.Body)
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 || secs > 3600 {
		t.Fatalf("Retry-After %q must be whole seconds within the hour", res.Header.Get("Retry-After"))
	}
}

func TestContact_TheLimitIsSharedByEveryInstance(t *testing.T) {
	a := apitest.Start(t, apitest.Production)
	b := apitest.Start(t, apitest.Production, apitest.ShareWith(a))
	for i, srv := range []*apitest.Server{a, a, a, b, b} {
		if res := submitContact(t, srv, enquiry("Twin"), nil); res.Status != http.StatusAccepted {
			t.Fatalf("enquiry %d: %d %s", i+1, res.Status, res.Body)
		}
	}
	assertRateLimited(t, submitContact(t, b, enquiry("Twin"), nil))
	assertRateLimited(t, submitContact(t, a, enquiry("Twin"), nil))
}

func TestContact_TheClientAddressFollowsTheTrustedProxyRule(t *testing.T) {
	t.Run("behind a trusted proxy each forwarded client has its own limit", func(t *testing.T) {
		srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrapConfig) {
			c.TrustedProxies = []string{"127.0.0.1/32"}
		}))
		first := map[string]string{"X-Forwarded-For": "198.51.100.1"}
		for i := 0; i < 5; i++ {
			if res := submitContact(t, srv, enquiry("Proxied"), first); res.Status != http.StatusAccepted {
				t.Fatalf("enquiry %d: %d", i+1, res.Status)
			}
		}
		assertRateLimited(t, submitContact(t, srv, enquiry("Proxied"), first))
		other := map[string]string{"X-Forwarded-For": "198.51.100.2"}
		if res := submitContact(t, srv, enquiry("Proxied"), other); res.Status != http.StatusAccepted {
			t.Fatalf("another client must have its own limit: %d", res.Status)
		}
	})
	t.Run("without a trusted proxy a forged header does not escape the limit", func(t *testing.T) {
		srv := apitest.Start(t, apitest.Embedded)
		for i := 0; i < 5; i++ {
			forged := map[string]string{"X-Forwarded-For": "203.0.113." + strconv.Itoa(i+1)}
			if res := submitContact(t, srv, enquiry("Forger"), forged); res.Status != http.StatusAccepted {
				t.Fatalf("enquiry %d: %d", i+1, res.Status)
			}
		}
		assertRateLimited(t, submitContact(t, srv, enquiry("Forger"), map[string]string{"X-Forwarded-For": "203.0.113.99"}))
	})
}

func TestContact_ABadFieldIsRefusedByName(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	cases := []struct {
		name  string
		field string
		value any
	}{
		{"unknown type", "type", "partnership"},
		{"line break in the name", "name", "Eve\r\nBcc: victim@example.org"},
		{"line break in the email", "email", "eve@example.com\nBcc: victim@example.org"},
		{"line break in the company", "company", "Evil\r\nX-Injected: 1"},
		{"name too long", "name", strings.Repeat("n", 101)},
		{"message too long", "message", strings.Repeat("m", 5001)},
		{"missing message", "message", ""},
		{"phone with letters", "phone", "call me"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := enquiry("Ada")
			body[tc.field] = tc.value
			res := submitContact(t, srv, body, nil)
			if res.Status != http.StatusBadRequest || res.Env.Error == nil || res.Env.Error.Type != "VALIDATION_ERROR" || len(res.Env.Error.Details[tc.field]) == 0 {
				t.Fatalf("want 400 naming %s, got %d %s", tc.field, res.Status, res.Body)
			}
		})
	}
}

func TestContact_TheDeliverMailJobRunsOnce(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	found := false
	for _, n := range srv.App.JobNames() {
		found = found || n == "deliver_mail"
	}
	if !found {
		t.Fatalf("jobs %v lack deliver_mail", srv.App.JobNames())
	}
	if res := submitContact(t, srv, enquiry("Job"), nil); res.Status != http.StatusAccepted {
		t.Fatalf("status %d", res.Status)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.App.RunJob(ctx, "deliver_mail", 0); err != nil {
		t.Fatal(err)
	}
}
