package contactapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
	"github.com/secuird/authy/tests/testenv"
)

var t0 = time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)

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

func (m *meter) get(metric platformport.Metric, outcome string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[string(metric)+"/"+outcome]
}

// failingLimiter is a rate limiter that does not answer.
type failingLimiter struct{}

func (failingLimiter) Take(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{}, errors.New("redis: connection refused")
}

func (failingLimiter) Peek(context.Context, string, platformport.Limit) (platformport.Decision, error) {
	return platformport.Decision{}, errors.New("redis: connection refused")
}

func (failingLimiter) Reset(context.Context, string) error { return nil }

// failingMail is a mail outbox that refuses every mail.
type failingMail struct{}

func (failingMail) Enqueue(context.Context, mailport.Mail) (mailport.Queued, error) {
	return mailport.Queued{}, errors.New("mail outbox refused")
}

// fixture is the contact context on a throwaway SQLite database, with the
// mail context's real Enqueue on the same database, so what commits (or
// rolls back) together is what a test reads back.
type fixture struct {
	db      *pgstore.DB
	clock   *platformporttest.Clock
	store   *contactpg.Store
	outbox  *mailpg.Outbox
	keyring platformport.Keyring
	mail    mailport.Enqueuer
	audit   *auditporttest.Recorder
	meter   *meter
	svc     *contactapp.Service
	limiter platformport.RateLimiter
}

func newFixture(t *testing.T, edit ...func(*contactapp.Deps)) *fixture {
	t.Helper()
	db := testenv.SQLite(t)
	kr, err := security.NewKeyring("encryption", "contactapp-test-encryption-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, clock: platformporttest.NewClock(t0), store: contactpg.New(db), outbox: mailpg.New(db), keyring: kr,
		audit: &auditporttest.Recorder{}, meter: &meter{}}
	f.limiter = platformmem.NewRateLimiter(f.clock)
	m, err := mailapp.NewService(mailapp.Deps{Outbox: f.outbox, Sealer: kr, UnitOfWork: db, Clock: f.clock})
	if err != nil {
		t.Fatal(err)
	}
	f.mail = m
	deps := contactapp.Deps{
		UnitOfWork: db, Enquiries: f.store, Legacy: contactpg.NewLegacyMail(db), Mail: f.mail, Audit: f.audit, Limiter: f.limiter, Clock: f.clock, Meter: f.meter,
		Team: []shared.Email{email(t, "team@example.net")},
	}
	for _, e := range edit {
		e(&deps)
	}
	svc, err := contactapp.NewService(deps)
	if err != nil {
		t.Fatal(err)
	}
	f.svc = svc
	return f
}

func email(t *testing.T, s string) shared.Email {
	t.Helper()
	e, reason := shared.ParseEmail(s)
	if reason != "" {
		t.Fatalf("%q: %s", s, reason)
	}
	return e
}

func fromIP(ip string) context.Context {
	return shared.WithRequestMeta(context.Background(), shared.RequestMeta{RequestID: "r", ClientIP: ip, UserAgent: "test"})
}

func validCmd() contactport.SubmitEnquiry {
	return contactport.SubmitEnquiry{
		Type: "demo", Name: "Ada Lovelace", Email: "Ada@Example.COM", Company: "Engines Ltd",
		Phone: "+44 20 7946 0958", Message: "Please show us the product.\nThanks!",
	}
}

func (f *fixture) submit(t *testing.T, ctx context.Context) contactport.EnquiryReceipt {
	t.Helper()
	r, err := f.svc.Submit(ctx, validCmd())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// queued returns the pending mails of the outbox with their opened data.
func (f *fixture) queued(t *testing.T) []queuedMail {
	t.Helper()
	var rows []struct {
		ID        string
		DedupKey  string
		Recipient string
		Template  string
		Data      string
	}
	if err := f.db.Gorm().Raw(`SELECT id, dedup_key, recipient, template, data FROM mail_outbox WHERE status = 'pending' ORDER BY dedup_key`).Scan(&rows).Error; err != nil {
		t.Fatal(err)
	}
	out := make([]queuedMail, 0, len(rows))
	for _, r := range rows {
		plain, err := f.keyring.Open(context.Background(), r.Data, []byte("mail.message:"+r.ID))
		if err != nil {
			t.Fatalf("mail %s does not open: %v", r.ID, err)
		}
		out = append(out, queuedMail{Key: r.DedupKey, To: r.Recipient, Template: r.Template, Data: string(plain)})
	}
	return out
}

type queuedMail struct {
	Key, To, Template, Data string
}

func contactappEmpty() contactport.SubmitEnquiry { return contactport.SubmitEnquiry{} }
