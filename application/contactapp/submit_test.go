package contactapp_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/application/contactapp"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

func TestSubmit_StoresTheEnquiryItsMailToTheTeamAndAnAuditEventTogether(t *testing.T) {
	f := newFixture(t)
	ctx := fromIP("203.0.113.7")
	r := f.submit(t, ctx)
	if r.Type != "demo" || !r.ReceivedAt.Equal(t0) {
		t.Fatalf("receipt %+v", r)
	}
	id, err := contact.ParseEnquiryID(r.ID)
	if err != nil {
		t.Fatal(err)
	}
	e, err := f.store.Get(ctx, id)
	if err != nil || e.Name() != "Ada Lovelace" || e.Email() != "ada@example.com" {
		t.Fatalf("stored enquiry %+v %v", e, err)
	}
	mails := f.queued(t)
	if len(mails) != 1 {
		t.Fatalf("queued %+v", mails)
	}
	m := mails[0]
	if m.To != "team@example.net" || m.Template != "contact_enquiry" || m.Key != "contact-enquiry:"+r.ID+":0" {
		t.Fatalf("queued %+v", m)
	}
	for _, want := range []string{`"enquiry_id":"` + r.ID + `"`, `"type":"demo"`, `"name":"Ada Lovelace"`, `"email":"ada@example.com"`,
		`"company":"Engines Ltd"`, `"phone":"+44 20 7946 0958"`, `"message":"Please show us the product.\nThanks!"`} {
		if !strings.Contains(m.Data, want) {
			t.Fatalf("mail data lacks %s: %s", want, m.Data)
		}
	}
	evs := f.audit.Events()
	if len(evs) != 1 {
		t.Fatalf("audit events %+v", evs)
	}
	ev := evs[0]
	if ev.Action != "contact.enquiry.received" || ev.ActorType != auditport.ActorAnonymous || ev.ActorID != "" ||
		ev.TargetType != "contact_enquiry" || ev.TargetID != r.ID || !ev.OccurredAt.Equal(t0) {
		t.Fatalf("audit event %+v", ev)
	}
	if len(ev.Details) != 2 || ev.Details["type"] != "demo" || ev.Details["email_domain"] != "example.com" {
		t.Fatalf("details must hold only type and email domain: %+v", ev.Details)
	}
}

func TestSubmit_MailsEveryTeamAddressOnce(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) {
		d.Team = []shared.Email{email(t, "sales@example.net"), email(t, "Founder@Example.net")}
	})
	r := f.submit(t, fromIP("203.0.113.70"))
	mails := f.queued(t)
	if len(mails) != 2 || mails[0].To != "sales@example.net" || mails[1].To != "founder@example.net" ||
		mails[0].Key != "contact-enquiry:"+r.ID+":0" || mails[1].Key != "contact-enquiry:"+r.ID+":1" {
		t.Fatalf("queued %+v", mails)
	}
}

func TestSubmit_AMailOutboxThatRefusesRollsTheEnquiryBack(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) { d.Mail = failingMail{} })
	if _, err := f.svc.Submit(fromIP("203.0.113.71"), validCmd()); err == nil {
		t.Fatal("want an error")
	}
	var n int64
	if err := f.db.Gorm().Table("contact_enquiries").Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d enquiries survived (%v)", n, err)
	}
	if len(f.audit.Events()) != 0 {
		t.Fatal("a rolled-back enquiry was audited")
	}
}

func TestSubmit_ABadFieldIsRefusedByNameAndStoresNothing(t *testing.T) {
	f := newFixture(t)
	cmd := validCmd()
	cmd.Name = "Ada\r\nBcc: eve@example.com"
	_, err := f.svc.Submit(fromIP("203.0.113.7"), cmd)
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || len(se.Fields()["name"]) == 0 {
		t.Fatalf("want a validation error naming name, got %v", err)
	}
	if len(f.audit.Events()) != 0 || len(f.queued(t)) != 0 {
		t.Fatal("a refused enquiry must leave no trace")
	}
}

func TestSubmit_TheSixthAcceptedEnquiryFromOneAddressIsRateLimited(t *testing.T) {
	f := newFixture(t)
	ctx := fromIP("198.51.100.1")
	for i := 0; i < 5; i++ {
		f.submit(t, ctx)
	}
	f.clock.Advance(10 * time.Minute)
	_, err := f.svc.Submit(ctx, validCmd())
	var se *shared.Error
	if !errors.As(err, &se) || se.Kind() != shared.KindRateLimited || !errors.Is(err, contactapp.ErrRateLimited) {
		t.Fatalf("want rate limited, got %v", err)
	}
	if se.RetryAfter() != 50*time.Minute {
		t.Fatalf("retry after %v, want 50m (the first enquiry leaves the window then)", se.RetryAfter())
	}
	if f.meter.get(platformport.MetricRateLimited, "contact") != 1 {
		t.Fatal("the refusal must be counted")
	}
	if len(f.audit.Events()) != 5 {
		t.Fatalf("audit events %d, want 5", len(f.audit.Events()))
	}
	f.submit(t, fromIP("198.51.100.2"))
	f.clock.Advance(50 * time.Minute)
	f.submit(t, ctx)
}

func TestSubmit_InvalidEnquiriesDoNotCountTowardsTheLimit(t *testing.T) {
	f := newFixture(t)
	ctx := fromIP("198.51.100.9")
	bad := validCmd()
	bad.Email = "nope"
	for i := 0; i < 10; i++ {
		if _, err := f.svc.Submit(ctx, bad); shared.KindOf(err) != shared.KindInvalid {
			t.Fatalf("want invalid, got %v", err)
		}
	}
	for i := 0; i < 5; i++ {
		f.submit(t, ctx)
	}
}

func TestSubmit_AClientOverTheLimitIsRefusedBeforeItsInputIsChecked(t *testing.T) {
	f := newFixture(t)
	ctx := fromIP("198.51.100.3")
	for i := 0; i < 5; i++ {
		f.submit(t, ctx)
	}
	if _, err := f.svc.Submit(ctx, contactappEmpty()); shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("want rate limited before validation, got %v", err)
	}
}

func TestSubmit_AnAuditFailureRollsTheEnquiryBack(t *testing.T) {
	f := newFixture(t)
	f.audit.Fail = errors.New("audit store down")
	ctx := fromIP("203.0.113.8")
	_, err := f.svc.Submit(ctx, validCmd())
	if err == nil || shared.KindOf(err) != shared.KindUnknown {
		t.Fatalf("want an internal error, got %v", err)
	}
	if got := f.queued(t); len(got) != 0 {
		t.Fatalf("a rolled-back enquiry left a mail: %+v", got)
	}
	var n int64
	if err := f.db.Gorm().Table("contact_enquiries").Count(&n).Error; err != nil || n != 0 {
		t.Fatalf("%d enquiries survived the rollback (%v)", n, err)
	}
}

func TestSubmit_ARateLimiterThatDoesNotAnswerFailsClosed(t *testing.T) {
	f := newFixture(t, func(d *contactapp.Deps) { d.Limiter = failingLimiter{} })
	_, err := f.svc.Submit(fromIP("203.0.113.9"), validCmd())
	if shared.KindOf(err) != shared.KindUnavailable || !errors.Is(err, contactapp.ErrUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	if len(f.audit.Events()) != 0 {
		t.Fatal("nothing may be stored")
	}
}

func TestSubmit_WithoutAClientAddressSharesOneLimit(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < 5; i++ {
		f.submit(t, context.Background())
	}
	if _, err := f.svc.Submit(context.Background(), validCmd()); shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("want rate limited, got %v", err)
	}
}

func TestNewService_RequiresItsPorts(t *testing.T) {
	if _, err := contactapp.NewService(contactapp.Deps{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatalf("want a missing-dependency error, got %v", err)
	}
}

func TestSubmit_IPv6ClientsShareTheLimitOfTheirSlash64(t *testing.T) {
	f := newFixture(t)
	for i := 1; i <= 5; i++ {
		f.submit(t, fromIP("2001:db8:1:2::"+strconv.Itoa(i)))
	}
	if _, err := f.svc.Submit(fromIP("2001:db8:1:2:ffff::9"), validCmd()); shared.KindOf(err) != shared.KindRateLimited {
		t.Fatalf("another address in the same /64 must share the limit, got %v", err)
	}
	f.submit(t, fromIP("2001:db8:1:3::1"))
	f.submit(t, fromIP("::ffff:192.0.2.1"))
}
