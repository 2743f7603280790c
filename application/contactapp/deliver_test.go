package contactapp_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/platformport"
)

func deliveryOf(t *testing.T, f *fixture, receiptID string) *contact.Delivery {
	t.Helper()
	id, err := contact.ParseEnquiryID(receiptID)
	if err != nil {
		t.Fatal(err)
	}
	d, err := f.store.Outbox().ByEnquiry(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDeliverDue_SendsThePendingMailToTheTeamAndMarksItSent(t *testing.T) {
	f := newFixture(t)
	r := f.submit(t, fromIP("203.0.113.1"))
	rep, err := f.dispatcher(t).DeliverDue(context.Background())
	if err != nil || rep.Sent != 1 || rep.Failed != 0 {
		t.Fatalf("report %+v %v", rep, err)
	}
	mails := f.mailer.sent()
	if len(mails) != 1 {
		t.Fatalf("sent %d mails", len(mails))
	}
	m := mails[0]
	if m.To != "team@example.net" || m.ReplyToAddress != "ada@example.com" || m.ReplyToName != "Ada Lovelace" {
		t.Fatalf("addresses %+v", m)
	}
	if m.Subject != "[Contact] Demo request from Ada Lovelace (Engines Ltd)" {
		t.Fatalf("subject %q", m.Subject)
	}
	for _, want := range []string{"Demo request (demo)", "Ada Lovelace", "ada@example.com", "Engines Ltd", "+44 20 7946 0958", "Please show us the product.\nThanks!", r.ID} {
		if !strings.Contains(m.Body, want) {
			t.Fatalf("body lacks %q:\n%s", want, m.Body)
		}
	}
	if !strings.Contains(m.MessageID, r.ID) || !m.Date.Equal(t0) {
		t.Fatalf("message id %q date %v", m.MessageID, m.Date)
	}
	d := deliveryOf(t, f, r.ID)
	if !d.Sent() || d.Channel() != contact.ChannelSMTP || !d.SentAt().Equal(t0) {
		t.Fatalf("delivery %+v", d.State())
	}
	if f.meter.get(platformport.MetricMailDeliveries, "sent") != 1 {
		t.Fatal("a sent mail must be counted")
	}
	if rep, _ := f.dispatcher(t).DeliverDue(context.Background()); rep.Sent+rep.Failed != 0 || len(f.mailer.sent()) != 1 {
		t.Fatal("a sent mail must never be sent again")
	}
}

func TestDeliverDue_AMailServerThatRefusesDelaysDeliveryWithBackoff(t *testing.T) {
	f := newFixture(t)
	f.mailer.failures = 3
	r := f.submit(t, fromIP("203.0.113.2"))
	w := f.dispatcher(t)
	ctx := context.Background()

	// Policy in the fixture: 10 s, 20 s, 40 s, capped at 1 min.
	for i, wait := range []time.Duration{10 * time.Second, 20 * time.Second, 40 * time.Second} {
		rep, err := w.DeliverDue(ctx)
		if err != nil || rep.Failed != 1 || rep.Sent != 0 {
			t.Fatalf("attempt %d: %+v %v", i+1, rep, err)
		}
		d := deliveryOf(t, f, r.ID)
		if d.Attempts() != i+1 || !d.NextAttemptAt().Equal(f.clock.Now().Add(wait)) || !strings.Contains(d.LastError(), "451") {
			t.Fatalf("attempt %d: %+v", i+1, d.State())
		}
		f.clock.Advance(wait - time.Second)
		if rep, _ := w.DeliverDue(ctx); rep.Sent+rep.Failed != 0 {
			t.Fatalf("attempt %d: retried before its backoff ended", i+1)
		}
		f.clock.Advance(time.Second)
	}
	rep, err := w.DeliverDue(ctx)
	if err != nil || rep.Sent != 1 {
		t.Fatalf("final attempt %+v %v", rep, err)
	}
	if len(f.mailer.sent()) != 1 || !deliveryOf(t, f, r.ID).Sent() {
		t.Fatal("the enquiry must be delivered once in the end")
	}
	if f.meter.get(platformport.MetricMailDeliveries, "failed") != 3 || f.meter.get(platformport.MetricMailDeliveries, "sent") != 1 {
		t.Fatalf("meter %+v", f.meter.counts)
	}
}

func TestDeliverDue_WithTheLogChannelMarksTheMailDeliveredToTheLog(t *testing.T) {
	f := newFixture(t)
	f.mailer.channel = contact.ChannelLog
	r := f.submit(t, fromIP("203.0.113.3"))
	if _, err := f.dispatcher(t).DeliverDue(context.Background()); err != nil {
		t.Fatal(err)
	}
	if d := deliveryOf(t, f, r.ID); !d.Sent() || d.Channel() != contact.ChannelLog {
		t.Fatalf("delivery %+v", d.State())
	}
}

func TestDeliverDue_ACrashedWorkersLeaseExpiresAndAnotherWorkerDelivers(t *testing.T) {
	f := newFixture(t)
	f.submit(t, fromIP("203.0.113.4"))
	crashed, err := f.store.Outbox().Claim(context.Background(), contactport.ClaimRequest{Owner: "crashed", Now: t0, Lease: time.Minute, Limit: 10})
	if err != nil || len(crashed) != 1 {
		t.Fatalf("claim %v %v", crashed, err)
	}
	w := f.dispatcher(t)
	if rep, _ := w.DeliverDue(context.Background()); rep.Sent != 0 {
		t.Fatal("a leased delivery was sent by another worker")
	}
	f.clock.Advance(time.Minute)
	if rep, err := w.DeliverDue(context.Background()); err != nil || rep.Sent != 1 {
		t.Fatalf("after the lease: %+v %v", rep, err)
	}
}

func TestDeliverDue_TwoWorkersRacingSendEachMailOnce(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) { d.Limit = platformport.Limit{Max: 100, Window: time.Hour} })
	f.mailer.delay = time.Millisecond
	const n = 30
	for i := 0; i < n; i++ {
		f.submit(t, fromIP("203.0.113.5"))
	}
	a := f.dispatcher(t, func(d *contactapp.DispatcherDeps) { d.BatchSize = 3 })
	b := f.dispatcher(t, func(d *contactapp.DispatcherDeps) { d.BatchSize = 3 })
	var wg sync.WaitGroup
	reps := make([]contactport.DeliveryReport, 2)
	for i, w := range []*contactapp.Dispatcher{a, b} {
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
	for _, m := range f.mailer.sent() {
		if seen[m.MessageID] {
			t.Fatalf("mail %s sent twice", m.MessageID)
		}
		seen[m.MessageID] = true
	}
	if len(seen) != n || reps[0].Sent+reps[1].Sent != n {
		t.Fatalf("sent %d distinct mails, reports %+v, want %d", len(seen), reps, n)
	}
}

func TestRun_DeliversANewEnquiryAsSoonAsItIsNudged(t *testing.T) {
	var w *contactapp.Dispatcher
	f := newFixture(t, func(d *contactapp.Deps) { d.OnAccepted = func() { w.Nudge() } })
	w = f.dispatcher(t, func(d *contactapp.DispatcherDeps) { d.PollInterval = time.Hour })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	f.submit(t, fromIP("203.0.113.6"))
	deadline := time.Now().Add(5 * time.Second)
	for len(f.mailer.sent()) == 0 {
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

func TestNewDispatcher_RefusesALeaseShorterThanTheSendTimeout(t *testing.T) {
	f := newFixture(t)
	_, err := contactapp.NewDispatcher(contactapp.DispatcherDeps{
		Store: f.store, Mailer: f.mailer, Recipient: "x@example.net", Clock: f.clock,
		Lease: time.Second, SendTimeout: time.Minute,
	})
	if err == nil {
		t.Fatal("want an error")
	}
	if _, err := contactapp.NewDispatcher(contactapp.DispatcherDeps{}); err == nil {
		t.Fatal("missing ports must be refused")
	}
}
