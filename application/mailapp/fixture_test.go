package mailapp_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/mailtemplates"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

var t0 = time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)

const encryptionKey = "mailapp-test-encryption-key-0123456789abcdef"

// meter counts by metric and outcome.
type meter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *meter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[string(metric)+"/"+outcome] += n
}

func (m *meter) get(outcome string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[string(platformport.MetricMailDeliveries)+"/"+outcome]
}

// sender records accepted mails; failures makes the next sends fail.
type sender struct {
	mu       sync.Mutex
	accepted []mailport.Outgoing
	failures int
	delay    time.Duration
	channel  mail.Channel
}

func (s *sender) Send(ctx context.Context, m mailport.Outgoing) error {
	if s.delay > 0 {
		select {
		case <-time.After(s.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures > 0 {
		s.failures--
		return errors.New("451 4.3.0 mail server busy")
	}
	s.accepted = append(s.accepted, m)
	return nil
}

func (s *sender) Channel() mail.Channel {
	if s.channel.IsZero() {
		return mail.ChannelSMTP
	}
	return s.channel
}

func (s *sender) sent() []mailport.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailport.Outgoing(nil), s.accepted...)
}

// fixture is the mail context on a throwaway SQLite database through the
// real outbox, keyring and templates, with a fixed clock and a recording
// sender.
type fixture struct {
	db       *pgstore.DB
	outbox   *mailpg.Outbox
	clock    *platformporttest.Clock
	keyring  platformport.Keyring
	renderer *mailtemplates.Renderer
	sender   *sender
	meter    *meter
	svc      *mailapp.Service
	nudges   atomic.Int32
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t), MaxOpenConns: 10})
	kr, err := security.NewKeyring("encryption", encryptionKey)
	if err != nil {
		t.Fatal(err)
	}
	r, err := mailtemplates.New(mailtemplates.Options{PublicURL: "https://auth.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, outbox: mailpg.New(db), clock: platformporttest.NewClock(t0), keyring: kr, renderer: r, sender: &sender{}, meter: &meter{}}
	svc, err := mailapp.NewService(mailapp.Deps{
		Outbox: f.outbox, Sealer: kr, UnitOfWork: db, Clock: f.clock,
		OnEnqueued: func() { f.nudges.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func (f *fixture) worker(t *testing.T, edit ...func(*mailapp.WorkerDeps)) *mailapp.Worker {
	t.Helper()
	policy, err := mail.NewRetryPolicy(10*time.Second, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	d := mailapp.WorkerDeps{
		Outbox: f.outbox, Sender: f.sender, Renderer: f.renderer, Sealer: f.keyring, Clock: f.clock, Meter: f.meter,
		MessageIDDomain: "authy.test", Retry: policy, Lease: time.Minute, SendTimeout: 5 * time.Second,
	}
	for _, e := range edit {
		e(&d)
	}
	w, err := mailapp.NewWorker(d)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func email(t *testing.T, s string) shared.Email {
	t.Helper()
	e, reason := shared.ParseEmail(s)
	if reason != "" {
		t.Fatalf("%q: %s", s, reason)
	}
	return e
}

func resetMail(t *testing.T, token string) mailport.Mail {
	return mailport.Mail{
		To:   email(t, "Ada@Example.com"),
		Data: mailport.PasswordReset{Name: "Ada", Token: token, ExpiresAt: t0.Add(30 * time.Minute)},
	}
}

func (f *fixture) enqueue(t *testing.T, m mailport.Mail) mail.MessageID {
	t.Helper()
	q, err := f.svc.Enqueue(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	id, err := mail.ParseMessageID(q.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *fixture) message(t *testing.T, id mail.MessageID) *mail.Message {
	t.Helper()
	m, err := f.outbox.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *fixture) pending(t *testing.T) int {
	t.Helper()
	b, err := f.outbox.Backlog(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return b.Pending
}
