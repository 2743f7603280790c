package mailapp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

func TestDeliverDue_RendersTheMailSendsItAndMarksItSent(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue(t, resetMail(t, "reset-token-1"))
	rep, err := f.worker(t).DeliverDue(context.Background())
	if err != nil || rep != (mailport.DeliveryReport{Sent: 1}) {
		t.Fatalf("report %+v %v", rep, err)
	}
	got := f.sender.sent()
	if len(got) != 1 {
		t.Fatalf("sent %d mails", len(got))
	}
	m := got[0]
	if m.To != "ada@example.com" || m.Subject != "Reset your password" || m.ReplyToAddress != "" || !m.Date.Equal(t0) {
		t.Fatalf("mail %+v", m)
	}
	link := "https://auth.example.com/reset-password?token=reset-token-1"
	if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.Text, "Hello Ada,") {
		t.Fatalf("bodies lack the link or greeting:\n%s\n%s", m.Text, m.HTML)
	}
	if m.MessageID != id.String()+"@authy.test" {
		t.Fatalf("message id %q", m.MessageID)
	}
	stored := f.message(t, id)
	if stored.Status() != mail.StatusSent || stored.Channel() != mail.ChannelSMTP || !stored.SettledAt().Equal(t0) || len(stored.Data()) != 0 {
		t.Fatalf("stored %+v", stored.State())
	}
	if f.meter.get("sent") != 1 {
		t.Fatal("a sent mail must be counted")
	}
	if rep, _ := f.worker(t).DeliverDue(context.Background()); rep != (mailport.DeliveryReport{}) || len(f.sender.sent()) != 1 {
		t.Fatal("a sent mail must never be sent again")
	}
}

func TestDeliverDue_AContactEnquiryAnswersTheVisitor(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, mailport.Mail{To: email(t, "team@example.net"), Data: mailport.ContactEnquiry{
		EnquiryID: "e-1", Type: "demo", Name: "Ada Lovelace", Email: "ada@example.com", Company: "Engines Ltd",
		Message: "Please show us the product.", ReceivedAt: t0,
	}})
	if _, err := f.worker(t).DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	m := f.sender.sent()[0]
	if m.To != "team@example.net" || m.ReplyToName != "Ada Lovelace" || m.ReplyToAddress != "ada@example.com" ||
		m.Subject != "[Contact] Demo request from Ada Lovelace (Engines Ltd)" || !strings.Contains(m.Text, "Please show us the product.") {
		t.Fatalf("mail %+v", m)
	}
}

func TestDeliverDue_ARefusingServerDelaysDeliveryWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.sender.failures = 3
	id := f.enqueue(t, resetMail(t, "tok"))
	w := f.worker(t)
	ctx := context.Background()
	// Policy in the fixture: 10 s, 20 s, 40 s, capped at 1 min.
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		rep, err := w.DeliverDue(ctx)
		if err != nil || rep != (mailport.DeliveryReport{Failed: 1}) {
			t.Fatalf("attempt %d: %+v %v", i+1, rep, err)
		}
		m := f.message(t, id)
		if m.Attempts() != i+1 || !m.NextAttemptAt().Equal(f.clock.Now().Add(wait)) || !strings.Contains(m.LastError(), "451") || !m.Pending() {
			t.Fatalf("attempt %d: %+v", i+1, m.State())
		}
		f.clock.Advance(wait - time.Second)
		if rep, _ := w.DeliverDue(ctx); rep != (mailport.DeliveryReport{}) {
			t.Fatalf("attempt %d: retried before its backoff ended", i+1)
		}
		f.clock.Advance(time.Second)
	}
	rep, err := w.DeliverDue(ctx)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("final attempt %+v %v", rep, err)
	}
	if len(f.sender.sent()) != 1 || f.message(t, id).Status() != mail.StatusSent {
		t.Fatal("the mail must be delivered once in the end")
	}
	if f.meter.get("failed") != 3 || f.meter.get("sent") != 1 {
		t.Fatalf("meter %+v", f.meter.counts)
	}
}

func TestDeliverDue_AMailStillQueuedAtItsDeadlineIsGivenUpUnsent(t *testing.T) {
	f := newFixture(t)
	f.sender.failures = 100
	m := resetMail(t, "tok")
	m.DiscardAfter = t0.Add(30 * time.Second)
	id := f.enqueue(t, m)
	w := f.worker(t)
	for f.clock.Now().Before(m.DiscardAfter) {
		if _, err := w.DeliverDue(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.clock.Advance(10 * time.Second)
	}
	f.sender.failures = 0
	f.clock.Set(t0.Add(time.Hour))
	rep, err := w.DeliverDue(context.Background())
	if err != nil || rep != (mailport.DeliveryReport{Expired: 1}) {
		t.Fatalf("report %+v %v", rep, err)
	}
	stored := f.message(t, id)
	if stored.Status() != mail.StatusExpired || len(stored.Data()) != 0 || len(f.sender.sent()) != 0 || f.meter.get("expired") != 1 {
		t.Fatalf("stored %+v, sent %d", stored.State(), len(f.sender.sent()))
	}
	if f.pending(t) != 0 {
		t.Fatal("a given-up mail still counts as pending")
	}
}

func TestDeliverDue_ACrashedWorkersLeaseExpiresAndAnotherWorkerDelivers(t *testing.T) {
	f := newFixture(t)
	f.enqueue(t, resetMail(t, "tok"))
	crashed, err := f.outbox.Claim(context.Background(), mailport.ClaimRequest{Owner: "crashed", Now: t0, Lease: time.Minute, Limit: 10})
	if err != nil || len(crashed) != 1 {
		t.Fatalf("claim %v %v", crashed, err)
	}
	w := f.worker(t)
	if rep, _ := w.DeliverDue(context.Background()); rep.Sent != 0 {
		t.Fatal("a leased mail was sent by another worker")
	}
	f.clock.Advance(time.Minute)
	if rep, err := w.DeliverDue(context.Background()); err != nil || rep.Sent != 1 {
		t.Fatalf("after the lease: %+v %v", rep, err)
	}
}

func TestDeliverDue_FourWorkersRacingSendEachOfFiftyMailsOnce(t *testing.T) {
	f := newFixture(t)
	f.sender.delay = time.Millisecond
	const n = 50
	for i := 0; i < n; i++ {
		f.enqueue(t, resetMail(t, "tok"))
	}
	reps := make([]mailport.DeliveryReport, 4)
	var wg sync.WaitGroup
	for i := range reps {
		w := f.worker(t, func(d *mailapp.WorkerDeps) { d.BatchSize = 3 })
		wg.Add(1)
		go func() {
			defer wg.Done()
			rep, err := w.DeliverDue(context.Background())
			if err != nil {
				t.Error(err)
			}
			reps[i] = rep
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, m := range f.sender.sent() {
		if seen[m.MessageID] {
			t.Fatalf("mail %s sent twice", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	total := 0
	for _, r := range reps {
		total += r.Sent
	}
	if len(seen) != n || total != n || f.pending(t) != 0 {
		t.Fatalf("sent %d distinct mails, reports %+v, want %d", len(seen), reps, n)
	}
}

func TestDeliverDue_DataThatDoesNotOpenIsRetriedNotLost(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue(t, resetMail(t, "tok"))
	other, err := security.NewKeyring("encryption", "another-encryption-key-0123456789abcdefgh")
	if err != nil {
		t.Fatal(err)
	}
	rep, err := f.worker(t, func(d *mailapp.WorkerDeps) { d.Sealer = other }).DeliverDue(context.Background())
	if err != nil || rep != (mailport.DeliveryReport{Failed: 1}) {
		t.Fatalf("report %+v %v", rep, err)
	}
	m := f.message(t, id)
	if !m.Pending() || m.Attempts() != 1 || !strings.Contains(m.LastError(), "open mail data") || strings.Contains(m.LastError(), "tok") {
		t.Fatalf("stored %+v", m.State())
	}
	// With its key back, the mail goes out.
	f.clock.Advance(time.Minute)
	if rep, err := f.worker(t).DeliverDue(context.Background()); err != nil || rep.Sent != 1 {
		t.Fatalf("with the key: %+v %v", rep, err)
	}
}

func TestDeliverDue_TheLogChannelMarksTheMailDeliveredToTheLog(t *testing.T) {
	f := newFixture(t)
	f.sender.channel = mail.ChannelLog
	id := f.enqueue(t, resetMail(t, "tok"))
	if _, err := f.worker(t).DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if m := f.message(t, id); m.Status() != mail.StatusSent || m.Channel() != mail.ChannelLog {
		t.Fatalf("stored %+v", m.State())
	}
}

func TestRun_DeliversANewMailAsSoonAsItIsEnqueued(t *testing.T) {
	f := newFixture(t)
	w := f.worker(t, func(d *mailapp.WorkerDeps) { d.PollInterval = time.Hour })
	svc, err := mailapp.NewService(mailapp.Deps{Outbox: f.outbox, Sealer: f.keyring, UnitOfWork: f.db, Clock: f.clock, OnEnqueued: w.Nudge})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	if _, err := svc.Enqueue(context.Background(), resetMail(t, "tok")); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(f.sender.sent()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the nudged worker did not deliver within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v", err)
	}
}

func TestNewWorker_RefusesALeaseShorterThanTheSendTimeoutAndMissingPorts(t *testing.T) {
	f := newFixture(t)
	_, err := mailapp.NewWorker(mailapp.WorkerDeps{
		Outbox: f.outbox, Sender: f.sender, Renderer: f.renderer, Sealer: f.keyring, Clock: f.clock,
		Lease: time.Second, SendTimeout: time.Minute,
	})
	if err == nil {
		t.Fatal("want an error")
	}
	if _, err := mailapp.NewWorker(mailapp.WorkerDeps{}); err == nil {
		t.Fatal("missing ports must be refused")
	}
}
