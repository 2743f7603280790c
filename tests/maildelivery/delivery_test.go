//go:build integration

// Package maildelivery tests the contact mail pipeline end to end below
// HTTP: the contact service and its dispatcher on the GORM store (SQLite and
// PostgreSQL), sending with the go-mail sender to a real SMTP server on
// loopback.
package maildelivery

import (
	"bytes"
	"context"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// eachBackend runs test on a fresh SQLite file and a fresh PostgreSQL
// database.
func eachBackend(t *testing.T, test func(t *testing.T, store *contactpg.Store)) {
	backends := map[string]func(t *testing.T) pgstore.Options{
		"sqlite":   func(t *testing.T) pgstore.Options { return pgstore.Options{SQLitePath: testenv.SQLiteURL(t)} },
		"postgres": func(t *testing.T) pgstore.Options { return pgstore.Options{URL: testenv.NewPostgresDatabase(t)} },
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			db, err := pgstore.Open(backends[name](t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = db.Close() })
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(context.Background()); err != nil {
				t.Fatal(err)
			}
			test(t, contactpg.New(db))
		})
	}
}

type nopRecorder struct{}

func (nopRecorder) Record(context.Context, ...auditport.Event) error { return nil }

type meter struct {
	mu sync.Mutex
	n  map[string]int
}

func (m *meter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.n == nil {
		m.n = map[string]int{}
	}
	m.n[string(metric)+"/"+outcome] += n
}

func (m *meter) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.n[key]
}

type pipeline struct {
	store *contactpg.Store
	svc   *contactapp.Service
	meter *meter
}

func newPipeline(t *testing.T, store *contactpg.Store) *pipeline {
	t.Helper()
	p := &pipeline{store: store, meter: &meter{}}
	svc, err := contactapp.NewService(contactapp.Deps{
		Store: store, Audit: nopRecorder{}, Limiter: platformmem.NewRateLimiter(platformport.SystemClock),
		Clock: platformport.SystemClock, Meter: p.meter, Limit: platformport.Limit{Max: 1000, Window: time.Hour},
	})
	if err != nil {
		t.Fatal(err)
	}
	p.svc = svc
	return p
}

// worker starts a dispatcher sending to smtpURL with test-sized backoff and
// stops it when the returned function (or the test's cleanup) runs.
func (p *pipeline) worker(t *testing.T, smtpURL string) (stop func()) {
	t.Helper()
	sender, err := mailsmtp.NewSender(mailsmtp.Config{URL: smtpURL, From: "Authy <no-reply@authy.test>", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := contact.NewRetryPolicy(50*time.Millisecond, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	d, err := contactapp.NewDispatcher(contactapp.DispatcherDeps{
		Store: p.store, Mailer: sender, Recipient: "team@example.net", Clock: platformport.SystemClock,
		Meter: p.meter, Retry: policy, Lease: 10 * time.Second, SendTimeout: 3 * time.Second,
		PollInterval: 20 * time.Millisecond, BatchSize: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = d.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func (p *pipeline) submit(t *testing.T, name string) contact.EnquiryID {
	t.Helper()
	ctx := shared.WithRequestMeta(context.Background(), shared.RequestMeta{ClientIP: "192.0.2.10"})
	r, err := p.svc.Submit(ctx, contactport.SubmitEnquiry{
		Type: "support", Name: name, Email: "visitor@example.com", Company: "Visitor GmbH",
		Message: "Our login page shows an error.\nCould you help?",
	})
	if err != nil {
		t.Fatal(err)
	}
	id, err := contact.ParseEnquiryID(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitDelivery polls the outbox until ok holds for the enquiry's delivery.
func (p *pipeline) waitDelivery(t *testing.T, id contact.EnquiryID, what string, ok func(*contact.Delivery) bool) *contact.Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d, err := p.store.Outbox().ByEnquiry(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(d) {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery never %s: %+v", what, d.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sent(d *contact.Delivery) bool { return d.Sent() }

func TestDelivery_AnAcceptedEnquiryReachesTheTeamMailbox(t *testing.T) {
	eachBackend(t, func(t *testing.T, store *contactpg.Store) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, store)
		p.worker(t, srv.URL())
		id := p.submit(t, "Rosalind Franklin")
		got := srv.WaitFor(t, 1, 10*time.Second)
		msg, err := mail.ReadMessage(bytes.NewReader(got[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		if got[0].To[0] != "team@example.net" || !strings.Contains(msg.Header.Get("Reply-To"), "visitor@example.com") ||
			!strings.Contains(msg.Header.Get("Message-Id"), id.String()) {
			t.Fatalf("unexpected message %s", got[0])
		}
		d := p.waitDelivery(t, id, "marked sent", sent)
		if d.Channel() != contact.ChannelSMTP || d.Attempts() != 0 {
			t.Fatalf("delivery %+v", d.State())
		}
		if p.meter.get("mail_deliveries/sent") != 1 {
			t.Fatal("the delivery must be counted")
		}
	})
}

func TestDelivery_AMailServerDownAtSubmissionGetsTheMailOnceItIsUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, store *contactpg.Store) {
		addr := smtptest.FreeAddr(t)
		p := newPipeline(t, store)
		p.worker(t, "smtp://"+addr)
		id := p.submit(t, "Barbara McClintock")
		p.waitDelivery(t, id, "failed twice", func(d *contact.Delivery) bool { return d.Attempts() >= 2 && !d.Sent() })
		srv := smtptest.StartAt(t, addr, smtptest.Options{})
		srv.WaitFor(t, 1, 10*time.Second)
		d := p.waitDelivery(t, id, "marked sent", sent)
		if d.LastError() != "" || p.meter.get("mail_deliveries/failed") < 2 {
			t.Fatalf("delivery %+v, meter %v", d.State(), p.meter.n)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
	})
}

func TestDelivery_RefusalsAreRetriedUntilTheServerAccepts(t *testing.T) {
	eachBackend(t, func(t *testing.T, store *contactpg.Store) {
		srv := smtptest.Start(t, smtptest.Options{Reply: func(n int) error {
			switch n {
			case 1:
				return smtptest.TempFail
			case 2:
				return smtptest.PermFail
			}
			return nil
		}})
		p := newPipeline(t, store)
		p.worker(t, srv.URL())
		id := p.submit(t, "Lise Meitner")
		srv.WaitFor(t, 1, 10*time.Second)
		d := p.waitDelivery(t, id, "marked sent", sent)
		if srv.Attempts() != 3 || d.Attempts() != 2 {
			t.Fatalf("server attempts %d, delivery attempts %d; want 3 and 2", srv.Attempts(), d.Attempts())
		}
	})
}

func TestDelivery_TwoWorkersRacingSendEachMailOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, store *contactpg.Store) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, store)
		const n = 12
		ids := make([]contact.EnquiryID, n)
		for i := range ids {
			ids[i] = p.submit(t, "Racer")
		}
		stopA := p.worker(t, srv.URL())
		stopB := p.worker(t, srv.URL())
		srv.WaitFor(t, n, 20*time.Second)
		for _, id := range ids {
			p.waitDelivery(t, id, "marked sent", sent)
		}
		// Once both workers stopped nothing else can arrive: the count is final.
		stopA()
		stopB()
		seen := map[string]bool{}
		for _, m := range srv.Messages() {
			msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
			if err != nil {
				t.Fatal(err)
			}
			mid := msg.Header.Get("Message-Id")
			if seen[mid] {
				t.Fatalf("%s delivered twice", mid)
			}
			seen[mid] = true
		}
		if len(seen) != n || srv.Attempts() != n {
			t.Fatalf("%d distinct mails in %d attempts, want %d", len(seen), srv.Attempts(), n)
		}
	})
}

func TestDelivery_ACrashedWorkersLeaseExpiresAndAnotherWorkerSends(t *testing.T) {
	eachBackend(t, func(t *testing.T, store *contactpg.Store) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, store)
		id := p.submit(t, "Crash Test")
		// A worker that claimed the delivery and died: its lease runs out
		// 300 ms from now.
		claimed, err := store.Outbox().Claim(context.Background(), contactport.ClaimRequest{
			Owner: "crashed-worker", Now: time.Now(), Lease: 300 * time.Millisecond, Limit: 10,
		})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim %v %v", claimed, err)
		}
		p.worker(t, srv.URL())
		srv.WaitFor(t, 1, 10*time.Second)
		p.waitDelivery(t, id, "marked sent", sent)
	})
}
