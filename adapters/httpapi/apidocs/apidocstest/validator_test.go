package apidocstest_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/secuird/authy/adapters/httpapi/apidocs/apidocstest"
)

func TestValidator_AcceptsADocumentedResponseAndCatchesDrift(t *testing.T) {
	v, err := apidocstest.ForFragments()
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{"Content-Type": {"application/json"}}
	req := httptest.NewRequest("GET", "http://localhost/api/health", nil)
	good := `{"version":"1.0","success":true,"code":200,"message":"alive","request_id":"0b5e6f7c-1111-4222-8333-944445555666","data":{"status":"ok","checks":{}}}`
	if err := v.Check(req, 200, h, []byte(good)); err != nil {
		t.Fatalf("a documented response was refused: %v", err)
	}
	drift := `{"version":"1.0","success":true,"code":200,"message":"alive","request_id":"0b5e6f7c-1111-4222-8333-944445555666","data":{"status":"sunny","checks":{}}}`
	if err := v.Check(req, 200, h, []byte(drift)); err == nil {
		t.Fatal("a value outside the documented enum must be reported")
	}
	if err := v.Check(req, 418, h, []byte(good)); err == nil {
		t.Fatal("an undocumented status must be reported")
	}
	other := httptest.NewRequest("GET", "http://localhost/api/nowhere", nil)
	if err := v.Check(other, 200, h, []byte(good)); !errors.Is(err, apidocstest.ErrUndocumented) {
		t.Fatalf("an undocumented route must be ErrUndocumented, got %v", err)
	}
}
