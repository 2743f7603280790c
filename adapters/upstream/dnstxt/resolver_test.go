package dnstxt_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/upstream/dnstxt"
	"github.com/secuird/authy/adapters/upstream/dnstxt/dnstxttest"
	"github.com/secuird/authy/domain/sso"
)

func TestResolver_ReadsPublishedRecordsAndTellsAMissingNameFromADownServer(t *testing.T) {
	srv := dnstxttest.Start(t)
	srv.SetTXT("_authy-challenge.example.com", "v=spf1 -all", "authy-domain-verification=abc")
	r, err := dnstxt.New(srv.Addr, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := r.LookupTXT(ctx, "_authy-challenge.example.com")
	if err != nil || !slices.Contains(got, "authy-domain-verification=abc") {
		t.Fatalf("got %v, %v", got, err)
	}
	if got, err := r.LookupTXT(ctx, "_authy-challenge.other.example"); err != nil || len(got) != 0 {
		t.Fatalf("a missing name: %v, %v", got, err)
	}
	srv.SetDown(true)
	if _, err := r.LookupTXT(ctx, "_authy-challenge.example.com"); !errors.Is(err, sso.ErrDNSUnavailable) {
		t.Fatalf("a failing server: %v", err)
	}
	if _, err := dnstxt.New("no-port", 0); err == nil {
		t.Fatal("a server without a port accepted")
	}
}
