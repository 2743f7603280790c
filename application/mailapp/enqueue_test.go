package mailapp_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/application/mailapp"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
)

func TestEnqueue_StoresAPendingMessageWhoseDataIsSealed(t *testing.T) {
	f := newFixture(t)
	id := f.enqueue(t, resetMail(t, "secret-reset-token"))
	m := f.message(t, id)
	if !m.Pending() || m.To().String() != "ada@example.com" || m.Template() != mail.TemplatePasswordReset || !m.Due(t0) || m.Locale() != "en" {
		t.Fatalf("stored %+v", m.State())
	}
	var raw string
	if err := f.db.Gorm().Raw(`SELECT data FROM mail_outbox WHERE id = ?`, id.String()).Row().Scan(&raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw, "secret-reset-token") || strings.Contains(raw, "Ada") || !strings.HasPrefix(raw, "v1:") {
		t.Fatalf("the stored data must be sealed, got %q", raw)
	}
	plain, err := f.keyring.Open(context.Background(), raw, []byte("mail.message:"+id.String()))
	if err != nil || !strings.Contains(string(plain), `"token":"secret-reset-token"`) {
		t.Fatalf("opened %s %v", plain, err)
	}
	if f.nudges.Load() != 1 {
		t.Fatalf("the worker must be nudged once, got %d", f.nudges.Load())
	}
}

func TestEnqueue_RollsBackWithTheCallersTransaction(t *testing.T) {
	f := newFixture(t)
	errBoom := errors.New("the caller's change failed")
	err := f.db.Transaction(context.Background(), func(ctx context.Context) error {
		if _, err := f.svc.Enqueue(ctx, resetMail(t, "tok")); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("want the caller's error, got %v", err)
	}
	if n := f.pending(t); n != 0 {
		t.Fatalf("%d messages survived the rollback", n)
	}
	if f.nudges.Load() != 0 {
		t.Fatal("no nudge for a rolled-back mail")
	}
}

func TestEnqueue_NudgesTheWorkerOnlyOnceTheTransactionCommitted(t *testing.T) {
	f := newFixture(t)
	err := f.db.Transaction(context.Background(), func(ctx context.Context) error {
		if _, err := f.svc.Enqueue(ctx, resetMail(t, "tok")); err != nil {
			return err
		}
		if f.nudges.Load() != 0 {
			return errors.New("nudged before the commit: the worker would find nothing")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.nudges.Load() != 1 || f.pending(t) != 1 {
		t.Fatalf("nudges %d, pending %d", f.nudges.Load(), f.pending(t))
	}
}

func TestEnqueue_ASecondMailWithTheSameKeyIsTheFirstOne(t *testing.T) {
	f := newFixture(t)
	m := resetMail(t, "tok")
	m.Key = "password-reset:42"
	first, err := f.svc.Enqueue(context.Background(), m)
	if err != nil || first.Existing {
		t.Fatalf("first %+v %v", first, err)
	}
	again, err := f.svc.Enqueue(context.Background(), m)
	if err != nil || !again.Existing || again.ID != first.ID {
		t.Fatalf("again %+v %v, want the first id %s", again, err, first.ID)
	}
	if f.pending(t) != 1 || f.nudges.Load() != 1 {
		t.Fatalf("pending %d, nudges %d", f.pending(t), f.nudges.Load())
	}
}

func TestEnqueue_RefusesAMailWithoutRecipientDataOrAValidLocale(t *testing.T) {
	f := newFixture(t)
	cases := map[string]func(*mailport.Mail){
		"to":            func(m *mailport.Mail) { m.To = shared.Email{} },
		"data":          func(m *mailport.Mail) { m.Data = nil },
		"locale":        func(m *mailport.Mail) { m.Locale = "not a locale" },
		"key":           func(m *mailport.Mail) { m.Key = "has space" },
		"discard_after": func(m *mailport.Mail) { m.DiscardAfter = t0.Add(-time.Second) },
	}
	for field, edit := range cases {
		t.Run(field, func(t *testing.T) {
			m := resetMail(t, "tok")
			edit(&m)
			_, err := f.svc.Enqueue(context.Background(), m)
			var se *shared.Error
			if !errors.As(err, &se) || !errors.Is(err, mail.ErrInvalidMessage) || len(se.Fields()[field]) == 0 {
				t.Fatalf("want an invalid mail naming %s, got %v", field, err)
			}
		})
	}
	if f.pending(t) != 0 {
		t.Fatal("a refused mail was stored")
	}
}

func TestNewService_RequiresItsPorts(t *testing.T) {
	if _, err := mailapp.NewService(mailapp.Deps{}); err == nil || !strings.Contains(err.Error(), "required") {
		t.Fatalf("want a missing-dependency error, got %v", err)
	}
}
