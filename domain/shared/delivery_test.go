package shared_test

import (
	"testing"

	"github.com/secuird/authy/domain/shared"
)

func TestParseDelivery_ReadsTheTwoDeliveriesBackAndRefusesAnythingElse(t *testing.T) {
	for _, d := range []shared.Delivery{shared.DeliverCookie, shared.DeliverCode} {
		got, err := shared.ParseDelivery(d.String())
		if err != nil || got != d || got.IsZero() {
			t.Fatalf("ParseDelivery(%q) = %v, %v", d.String(), got, err)
		}
	}
	for _, s := range []string{"", "Cookie", "mail"} {
		if _, err := shared.ParseDelivery(s); shared.KindOf(err) != shared.KindInvalid {
			t.Errorf("ParseDelivery(%q) = %v, want invalid", s, err)
		}
	}
	if !(shared.Delivery{}).IsZero() {
		t.Fatal("the zero delivery is not zero")
	}
}
