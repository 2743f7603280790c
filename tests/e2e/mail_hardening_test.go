//go:build integration

package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

type mailHealth struct {
	Status string `json:"status"`
	Checks map[string]struct {
		Status  string `json:"status"`
		Backend string `json:"backend"`
		Queued  *int   `json:"queued"`
	} `json:"checks"`
}

func mailHealthOf(t *testing.T, srv *apitest.Server) mailHealth {
	t.Helper()
	res := srv.Do(t, "GET", "/api/health", nil, "")
	if res.Status != http.StatusOK {
		t.Fatalf("health = %d %s", res.Status, res.Body)
	}
	var h mailHealth
	res.Decode(t, &h)
	return h
}

func inProduction(c *bootstrap.Config) {
	c.AppEnv = bootstrap.EnvProduction
	c.SecretKey = strings.Repeat("s", 48)
	c.EncryptionKey = strings.Repeat("e", 48)
	c.SMTPURL = ""
}

func queuedMail(t *testing.T, srv *apitest.Server) int64 {
	t.Helper()
	var n int64
	if err := openStore(t, srv).Gorm().Raw(`SELECT count(*) FROM mail_outbox WHERE status = 'pending'`).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// In production an instance without SMTP_URL must not take mail from the
// shared outbox (it used to write it to its log and mark it delivered): the
// mail stays queued, the job refuses, the health report says so, and an
// instance with SMTP_URL delivers it.
func TestMail_InProductionWithoutSMTPTheMailStaysQueuedForAnInstanceThatCanSendIt(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(inProduction))
			if !strings.Contains(srv.Logs(), "SMTP_URL is not set") {
				t.Fatal("no warning at start about the missing SMTP_URL")
			}
			for _, name := range []string{"Ada Lovelace", "Grace Hopper"} {
				if res := submitContact(t, srv, enquiry(name), nil); res.Status != http.StatusAccepted {
					t.Fatalf("submit = %d %s", res.Status, res.Body)
				}
			}

			h := mailHealthOf(t, srv)
			m := h.Checks["mail"]
			if m.Status != "not_configured" || m.Backend != "none" || m.Queued == nil || *m.Queued != 2 {
				t.Fatalf("mail check = %+v (queued %v), want not_configured, none, 2 queued", m, m.Queued)
			}
			if h.Status != "degraded" {
				t.Fatalf("liveness status %q with mail not configured, want degraded", h.Status)
			}
			if res := srv.Do(t, "GET", "/api/health/ready", nil, ""); res.Status != http.StatusOK {
				t.Fatalf("mail is not required for readiness: %d %s", res.Status, res.Body)
			}

			for _, every := range []time.Duration{0, time.Second} {
				err := srv.App.RunJob(context.Background(), "deliver_mail", every)
				if err == nil || !strings.Contains(err.Error(), "SMTP_URL is not set") {
					t.Fatalf("deliver_mail (interval %s) = %v, want a refusal naming SMTP_URL", every, err)
				}
			}
			if n := queuedMail(t, srv); n != 2 {
				t.Fatalf("%d mails queued, want both", n)
			}
			if strings.Contains(srv.Logs(), "mail delivered") {
				t.Fatal("an instance without SMTP_URL delivered mail in production")
			}
			if backend != apitest.Production {
				return
			}

			// Another instance with SMTP_URL sends the queue.
			mx := smtptest.Start(t, smtptest.Options{})
			apitest.Start(t, backend, apitest.ShareWith(srv), apitest.WithConfig(inProduction),
				apitest.WithConfig(func(c *bootstrap.Config) { c.SMTPURL = mx.URL() }))
			mx.WaitFor(t, 2, 15*time.Second)
			waitFor(t, "the queue to be reported empty", func() bool {
				q := mailHealthOf(t, srv).Checks["mail"].Queued
				return q != nil && *q == 0
			})
		})
	}
}

func TestMail_OutsideProductionWithoutSMTPTheMailGoesToTheLogAndHealthSaysSo(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	m := mailHealthOf(t, srv).Checks["mail"]
	if m.Status != "up" || m.Backend != "log" || m.Queued != nil {
		t.Fatalf("mail check = %+v", m)
	}
	if err := srv.App.RunJob(context.Background(), "deliver_mail", 0); err != nil {
		t.Fatalf("deliver_mail outside production: %v", err)
	}
}
