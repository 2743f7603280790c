package ssoidp_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/upstream/ssoidp"
)

func TestHTTPClient_RefusesNonPublicAddressesUnlessAllowedAndCapsAnswers(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			_, _ = w.Write([]byte(strings.Repeat("x", ssoidp.MaxResponseSize+10)))
			return
		}
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	guarded := ssoidp.NewHTTPClient(ssoidp.Options{})
	for _, u := range []string{srv.URL, strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)} {
		if _, err := guarded.Get(u); !errors.Is(err, ssoidp.ErrAddressRefused) {
			t.Fatalf("%s: got %v", u, err)
		}
	}
	open := ssoidp.NewHTTPClient(ssoidp.Options{AllowPrivate: true})
	res, err := open.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	res, err = open.Get(srv.URL + "/big")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	buf := make([]byte, 64<<10)
	var readErr error
	for readErr == nil {
		_, readErr = res.Body.Read(buf)
	}
	if readErr.Error() != "the identity provider's answer is too large" {
		t.Fatalf("an oversized answer: %v", readErr)
	}
}
