package contact_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
)

func newDelivery(t *testing.T) *contact.Delivery {
	t.Helper()
	d, err := contact.NewDelivery(contact.DeliveryID(uuid.New()), newID(), now)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestNewDelivery_IsDueAtOnce(t *testing.T) {
	d := newDelivery(t)
	if !d.Due(now) || d.Due(now.Add(-time.Second)) || d.Sent() || d.Attempts() != 0 {
		t.Fatalf("unexpected %+v", d.State())
	}
	if _, err := contact.NewDelivery(contact.DeliveryID{}, newID(), now); err == nil {
		t.Fatal("zero id must fail")
	}
}

func TestDelivery_FailuresBackOffExponentiallyUpToTheCap(t *testing.T) {
	policy, err := contact.NewRetryPolicy(2*time.Second, 30*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	d := newDelivery(t)
	want := []time.Duration{2, 4, 8, 16, 30, 30}
	at := now
	for i, w := range want {
		if err := d.RecordFailure(at, "451 try later", policy); err != nil {
			t.Fatal(err)
		}
		if d.Attempts() != i+1 {
			t.Fatalf("attempts = %d", d.Attempts())
		}
		if got := d.NextAttemptAt().Sub(at); got != w*time.Second {
			t.Fatalf("attempt %d: delay %v, want %v", i+1, got, w*time.Second)
		}
		if d.Due(d.NextAttemptAt().Add(-time.Millisecond)) || !d.Due(d.NextAttemptAt()) {
			t.Fatal("due exactly at next attempt")
		}
		at = d.NextAttemptAt()
	}
	if d.LastError() != "451 try later" {
		t.Fatalf("last error %q", d.LastError())
	}
}

func TestDelivery_KeepsAShortOneLineReason(t *testing.T) {
	d := newDelivery(t)
	if err := d.RecordFailure(now, "line1\r\nline2"+strings.Repeat("x", 1000), contact.DefaultRetryPolicy); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(d.LastError(), "\r\n") || len([]rune(d.LastError())) != contact.MaxErrorLength {
		t.Fatalf("reason %q", d.LastError())
	}
}

func TestDelivery_OnceSentNeverChangesAgain(t *testing.T) {
	d := newDelivery(t)
	if err := d.MarkSent(now, contact.ChannelSMTP); err != nil {
		t.Fatal(err)
	}
	if !d.Sent() || d.Channel() != contact.ChannelSMTP || !d.SentAt().Equal(now) || d.Due(now.Add(time.Hour)) {
		t.Fatalf("unexpected %+v", d.State())
	}
	if err := d.MarkSent(now, contact.ChannelLog); !errors.Is(err, contact.ErrAlreadySent) {
		t.Fatalf("second MarkSent: %v", err)
	}
	if err := d.RecordFailure(now, "x", contact.DefaultRetryPolicy); !errors.Is(err, contact.ErrAlreadySent) {
		t.Fatalf("failure after sent: %v", err)
	}
	if d.Channel() != contact.ChannelSMTP || d.Attempts() != 0 {
		t.Fatal("a refused change must leave the delivery unchanged")
	}
}

func TestDelivery_RefusesAnUnknownChannel(t *testing.T) {
	d := newDelivery(t)
	if err := d.MarkSent(now, "pigeon"); err == nil || d.Sent() {
		t.Fatal("unknown channel must be refused")
	}
}

func TestDelivery_RehydrateRoundTripsState(t *testing.T) {
	d := newDelivery(t)
	_ = d.RecordFailure(now, "boom", contact.DefaultRetryPolicy)
	got := contact.RehydrateDelivery(d.State())
	if got.State() != d.State() {
		t.Fatalf("%+v != %+v", got.State(), d.State())
	}
}

func TestRetryPolicy_ValidatesAndDefaults(t *testing.T) {
	if _, err := contact.NewRetryPolicy(0, time.Second); err == nil {
		t.Fatal("zero initial must fail")
	}
	if _, err := contact.NewRetryPolicy(time.Minute, time.Second); err == nil {
		t.Fatal("max below initial must fail")
	}
	var zero contact.RetryPolicy
	if zero.Delay(1) != 5*time.Second || zero.Delay(100) != 10*time.Minute {
		t.Fatalf("zero policy must act as the default: %v %v", zero.Delay(1), zero.Delay(100))
	}
}
