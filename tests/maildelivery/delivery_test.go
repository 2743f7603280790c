//go:build integration

// Package maildelivery tests the mail pipeline end to end below HTTP: the
// contact service and the mail context's Enqueue and worker on the GORM
// stores (SQLite and PostgreSQL), rendering with the embedded templates and
// sending with the go-mail sender to a real SMTP server on loopback.
package maildelivery

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/mailtemplates"
	"github.com/secuird/authy/adapters/memstore/platformmem"
	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/contactpg"
	"github.com/secuird/authy/adapters/pgstore/mailpg"
	"github.com/secuird/authy/adapters/security"
	mailsmtp "github.com/secuird/authy/adapters/smtp"
	"github.com/secuird/authy/adapters/smtp/smtptest"
	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/application/mailapp"
	maildomain "github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// eachBackend runs test on a fresh SQLite file and a fresh PostgreSQL
// database.
func eachBackend(t *testing.T, test func(t *testing.T, db *pgstore.DB)) {
	for _, b := range testenv.Databases() {
		t.Run(b.Name, func(t *testing.T) { test(t, b.Open(t)) })
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
	db       *pgstore.DB
	outbox   *mailpg.Outbox
	keyring  platformport.Keyring
	renderer *mailtemplates.Renderer
	mail     *mailapp.Service
	contact  *contactapp.Service
	meter    *meter
}

func newPipeline(t *testing.T, db *pgstore.DB) *pipeline {
	t.Helper()
	kr, err := security.NewKeyring("encryption", "maildelivery-test-encryption-key-0123456789")
	if err != nil {
		t.Fatal(err)
	}
	r, err := mailtemplates.New(mailtemplates.Options{PublicURL: "https://auth.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	p := &pipeline{db: db, outbox: mailpg.New(db), keyring: kr, renderer: r, meter: &meter{}}
	p.mail, err = mailapp.NewService(mailapp.Deps{Outbox: p.outbox, Sealer: kr, UnitOfWork: db, Clock: platformport.SystemClock})
	if err != nil {
		t.Fatal(err)
	}
	team, _ := shared.ParseEmail("team@example.net")
	p.contact, err = contactapp.NewService(contactapp.Deps{
		UnitOfWork: db, Enquiries: contactpg.New(db), Legacy: contactpg.NewLegacyMail(db), Mail: p.mail, Audit: nopRecorder{}, Limiter: platformmem.NewRateLimiter(platformport.SystemClock),
		Clock: platformport.SystemClock, Meter: p.meter, Limit: platformport.Limit{Max: 1000, Window: time.Hour},
		Team: []shared.Email{team},
	})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// worker starts a mail worker sending to smtpURL with test-sized backoff
// and stops it when the returned function (or the test's cleanup) runs.
func (p *pipeline) worker(t *testing.T, smtpURL string) (stop func()) {
	t.Helper()
	sender, err := mailsmtp.NewSender(mailsmtp.Config{URL: smtpURL, From: "Authy <no-reply@authy.test>", Timeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	policy, err := maildomain.NewRetryPolicy(50*time.Millisecond, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	w, err := mailapp.NewWorker(mailapp.WorkerDeps{
		Outbox: p.outbox, Sender: sender, Renderer: p.renderer, Sealer: p.keyring, Clock: platformport.SystemClock,
		Meter: p.meter, MessageIDDomain: "authy.test", Retry: policy, Lease: 10 * time.Second, SendTimeout: 3 * time.Second,
		PollInterval: 20 * time.Millisecond, BatchSize: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = w.Run(ctx)
	}()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

func (p *pipeline) submit(t *testing.T, name string) maildomain.MessageID {
	t.Helper()
	ctx := shared.WithRequestMeta(context.Background(), shared.RequestMeta{ClientIP: "192.0.2.10"})
	r, err := p.contact.Submit(ctx, contactport.SubmitEnquiry{
		Type: "support", Name: name, Email: "visitor@example.com", Company: "Visitor GmbH",
		Message: "Our login page shows an error.\nCould you help?",
	})
	if err != nil {
		t.Fatal(err)
	}
	var id string
	if err := p.db.Gorm().Raw(`SELECT id FROM mail_outbox WHERE dedup_key = ?`, "contact-enquiry:"+r.ID+":0").Row().Scan(&id); err != nil {
		t.Fatal(err)
	}
	mid, err := maildomain.ParseMessageID(id)
	if err != nil {
		t.Fatal(err)
	}
	return mid
}

func (p *pipeline) enqueue(t *testing.T, to string, data mailport.TemplateData) maildomain.MessageID {
	t.Helper()
	e, reason := shared.ParseEmail(to)
	if reason != "" {
		t.Fatal(reason)
	}
	q, err := p.mail.Enqueue(context.Background(), mailport.Mail{To: e, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	id, err := maildomain.ParseMessageID(q.ID)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// waitMessage polls the outbox until ok holds for the message.
func (p *pipeline) waitMessage(t *testing.T, id maildomain.MessageID, what string, ok func(*maildomain.Message) bool) *maildomain.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := p.outbox.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if ok(m) {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message never %s: %+v", what, m.State())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func sent(m *maildomain.Message) bool { return m.Status() == maildomain.StatusSent }

func parse(t *testing.T, m smtptest.Message) *mail.Message {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("received message does not parse: %v\n%s", err, m.Data)
	}
	return msg
}

// parts returns the decoded text and HTML parts of a multipart/alternative
// message, failing the test for any other shape.
func parts(t *testing.T, msg *mail.Message) (text, html string) {
	t.Helper()
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/alternative" {
		t.Fatalf("want multipart/alternative, got %q (%v)", msg.Header.Get("Content-Type"), err)
	}
	got := map[string]string{}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextRawPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		var body io.Reader = p
		switch strings.ToLower(p.Header.Get("Content-Transfer-Encoding")) {
		case "quoted-printable":
			body = quotedprintable.NewReader(p)
		case "base64":
			body = base64.NewDecoder(base64.StdEncoding, p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		got[ct] = strings.ReplaceAll(string(b), "\r\n", "\n")
	}
	if len(got) != 2 || got["text/plain"] == "" || got["text/html"] == "" {
		t.Fatalf("want a text and an HTML part, got %v", got)
	}
	return got["text/plain"], got["text/html"]
}

func TestDelivery_AnAcceptedEnquiryReachesTheTeamMailboxWithTextAndHTML(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, db)
		p.worker(t, srv.URL())
		id := p.submit(t, "Rosalind Franklin")
		got := srv.WaitFor(t, 1, 10*time.Second)
		msg := parse(t, got[0])
		if got[0].To[0] != "team@example.net" || !strings.Contains(msg.Header.Get("Reply-To"), "visitor@example.com") ||
			msg.Header.Get("Message-Id") != "<"+id.String()+"@authy.test>" {
			t.Fatalf("unexpected message %s", got[0])
		}
		text, html := parts(t, msg)
		if !strings.Contains(text, "Our login page shows an error.\nCould you help?") || !strings.Contains(html, "Rosalind Franklin") {
			t.Fatalf("parts:\n%s\n%s", text, html)
		}
		m := p.waitMessage(t, id, "marked sent", sent)
		if m.Channel() != maildomain.ChannelSMTP || m.Attempts() != 0 {
			t.Fatalf("message %+v", m.State())
		}
		if p.meter.get("mail_deliveries/sent") != 1 {
			t.Fatal("the delivery must be counted")
		}
	})
}

func TestDelivery_EveryTemplateArrivesWithItsLinkInBothParts(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, db)
		expires := time.Now().Add(time.Hour)
		cases := map[string]struct {
			data mailport.TemplateData
			link string
		}{
			"verify@example.com":  {mailport.EmailVerification{Name: "Vera", Token: "v-token", ExpiresAt: expires}, "https://auth.example.com/verify-email?token=v-token"},
			"reset@example.com":   {mailport.PasswordReset{Token: "r-token", ExpiresAt: expires}, "https://auth.example.com/reset-password?token=r-token"},
			"old@example.com":     {mailport.EmailChangeNotice{NewEmail: "new@example.com", RequestedAt: time.Now()}, ""},
			"new@example.com":     {mailport.EmailChangeConfirmation{NewEmail: "new@example.com", Token: "c-token", ExpiresAt: expires}, "https://auth.example.com/verify-email?token=c-token"},
			"invitee@example.com": {mailport.Invitation{OrganizationName: "Acme", InviterName: "Ada", Role: "admin", Token: "i-token", ExpiresAt: expires}, "https://auth.example.com/invitations/accept?token=i-token"},
			"owner@example.com":   {mailport.RecoveryCodeUsed{UsedAt: time.Now(), CodesLeft: 3}, ""},
		}
		for to, c := range cases {
			p.enqueue(t, to, c.data)
		}
		p.worker(t, srv.URL())
		for _, m := range srv.WaitFor(t, len(cases), 10*time.Second) {
			c := cases[m.To[0]]
			msg := parse(t, m)
			text, html := parts(t, msg)
			if c.link != "" && (!strings.Contains(text, c.link) || !strings.Contains(html, `href="`+c.link+`"`)) {
				t.Fatalf("%s: the link %s is missing:\n%s\n%s", m.To[0], c.link, text, html)
			}
			if msg.Header.Get("Subject") == "" || msg.Header.Get("Auto-Submitted") != "auto-generated" {
				t.Fatalf("%s: headers %v", m.To[0], msg.Header)
			}
		}
	})
}

func TestDelivery_NoFieldOfTheDataCanAddAHeaderOrARecipient(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, db)
		// Straight into the outbox, past the contact domain that already
		// refuses line breaks: the sender must hold on its own.
		p.enqueue(t, "team@example.net", mailport.ContactEnquiry{
			EnquiryID: "x", Type: "demo", Name: "Eve\r\nBcc: victim@example.org", Email: "eve@example.com",
			Company: "Evil\r\nX-Injected: company", Message: "Body\r\n\r\nX-Injected: body", ReceivedAt: time.Now(),
		})
		p.worker(t, srv.URL())
		got := srv.WaitFor(t, 1, 10*time.Second)
		if len(got[0].To) != 1 || got[0].To[0] != "team@example.net" {
			t.Fatalf("recipients changed: %v", got[0].To)
		}
		msg := parse(t, got[0])
		for _, h := range []string{"Bcc", "X-Injected"} {
			if _, ok := msg.Header[h]; ok {
				t.Fatalf("injected header %s:\n%s", h, got[0].Data)
			}
		}
		rt, err := msg.Header.AddressList("Reply-To")
		if err != nil || len(rt) != 1 || rt[0].Address != "eve@example.com" {
			t.Fatalf("reply-to %v %v", rt, err)
		}
	})
}

func TestDelivery_AMailServerDownAtSubmissionGetsTheMailOnceItIsUp(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		addr := smtptest.FreeAddr(t)
		p := newPipeline(t, db)
		p.worker(t, "smtp://"+addr)
		id := p.submit(t, "Barbara McClintock")
		p.waitMessage(t, id, "failed twice", func(m *maildomain.Message) bool { return m.Attempts() >= 2 && m.Pending() })
		srv := smtptest.StartAt(t, addr, smtptest.Options{})
		srv.WaitFor(t, 1, 10*time.Second)
		m := p.waitMessage(t, id, "marked sent", sent)
		if m.LastError() != "" || p.meter.get("mail_deliveries/failed") < 2 {
			t.Fatalf("message %+v, meter %v", m.State(), p.meter.n)
		}
		if n := len(srv.Messages()); n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
	})
}

func TestDelivery_TemporaryAndPermanentRefusalsAreRetriedUntilTheServerAccepts(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{Reply: func(n int) error {
			switch n {
			case 1:
				return smtptest.TempFail
			case 2:
				return smtptest.PermFail
			}
			return nil
		}})
		p := newPipeline(t, db)
		p.worker(t, srv.URL())
		id := p.submit(t, "Lise Meitner")
		srv.WaitFor(t, 1, 10*time.Second)
		m := p.waitMessage(t, id, "marked sent", sent)
		if srv.Attempts() != 3 || m.Attempts() != 2 {
			t.Fatalf("server attempts %d, message attempts %d; want 3 and 2", srv.Attempts(), m.Attempts())
		}
	})
}

func TestDelivery_FourWorkersRacingSendEachMailOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, db)
		const n = 20
		ids := make([]maildomain.MessageID, n)
		for i := range ids {
			ids[i] = p.submit(t, "Racer")
		}
		var stops []func()
		for i := 0; i < 4; i++ {
			stops = append(stops, p.worker(t, srv.URL()))
		}
		srv.WaitFor(t, n, 20*time.Second)
		for _, id := range ids {
			p.waitMessage(t, id, "marked sent", sent)
		}
		// Once every worker stopped nothing else can arrive: the count is final.
		for _, stop := range stops {
			stop()
		}
		seen := map[string]bool{}
		for _, m := range srv.Messages() {
			mid := parse(t, m).Header.Get("Message-Id")
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
	eachBackend(t, func(t *testing.T, db *pgstore.DB) {
		srv := smtptest.Start(t, smtptest.Options{})
		p := newPipeline(t, db)
		id := p.submit(t, "Crash Test")
		// A worker that claimed the mail and died: its lease runs out 300 ms
		// from now.
		claimed, err := p.outbox.Claim(context.Background(), mailport.ClaimRequest{
			Owner: "crashed-worker", Now: time.Now(), Lease: 300 * time.Millisecond, Limit: 10,
		})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim %v %v", claimed, err)
		}
		p.worker(t, srv.URL())
		srv.WaitFor(t, 1, 10*time.Second)
		p.waitMessage(t, id, "marked sent", sent)
	})
}
