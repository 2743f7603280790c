package contactapp_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/memstore/contactmem"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
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

// mailer records accepted mails; failures makes the next sends fail.
type mailer struct {
	mu       sync.Mutex
	accepted []contactport.Mail
	failures int
	delay    time.Duration
	channel  string
}

func (m *mailer) Send(ctx context.Context, mail contactport.Mail) error {
	if m.delay > 0 {
		select {
		case <-time.After(m.delay):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failures > 0 {
		m.failures--
		return errors.New("451 4.3.0 mail server busy")
	}
	m.accepted = append(m.accepted, mail)
	return nil
}

func (m *mailer) Channel() string {
	if m.channel == "" {
		return contact.ChannelSMTP
	}
	return m.channel
}

func (m *mailer) sent() []contactport.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]contactport.Mail(nil), m.accepted...)
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

type fixture struct {
	clock   *platformporttest.Clock
	store   *contactmem.Store
	audit   *auditporttest.Recorder
	meter   *meter
	mailer  *mailer
	svc     *contactapp.Service
	nudges  int
	limiter platformport.RateLimiter
}

func newFixture(t *testing.T, edit ...func(*contactapp.Deps)) *fixture {
	t.Helper()
	f := &fixture{clock: platformporttest.NewClock(t0), store: contactmem.NewStore(), audit: &auditporttest.Recorder{}, meter: &meter{}, mailer: &mailer{}}
	f.limiter = platformmem.NewRateLimiter(f.clock)
	deps := contactapp.Deps{
		Store: f.store, Audit: f.audit, Limiter: f.limiter, Clock: f.clock, Meter: f.meter,
		OnAccepted: func() { f.nudges++ },
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

func (f *fixture) dispatcher(t *testing.T, edit ...func(*contactapp.DispatcherDeps)) *contactapp.Dispatcher {
	t.Helper()
	policy, err := contact.NewRetryPolicy(10*time.Second, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	deps := contactapp.DispatcherDeps{
		Store: f.store, Mailer: f.mailer, Recipient: "team@example.net", Clock: f.clock, Meter: f.meter,
		Retry: policy, Lease: time.Minute, SendTimeout: 5 * time.Second,
	}
	for _, e := range edit {
		e(&deps)
	}
	d, err := contactapp.NewDispatcher(deps)
	if err != nil {
		t.Fatal(err)
	}
	return d
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

func contactappEmpty() contactport.SubmitEnquiry { return contactport.SubmitEnquiry{} }

func claimAll(now time.Time) contactport.ClaimRequest {
	return contactport.ClaimRequest{Owner: "probe", Now: now, Lease: time.Minute, Limit: 100}
}
