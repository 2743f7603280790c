package apidocs_test

import (
	"errors"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
)

func TestRegister_AsksForTheDocumentOnlyWhenItIsRequested(t *testing.T) {
	calls := 0
	app := fiber.New()
	apidocs.Register(app, func() ([]byte, error) {
		calls++
		return []byte(`{"openapi":"3.1.0"}`), nil
	})
	if calls != 0 {
		t.Fatal("Register built the document before anyone asked for it")
	}
	for range 2 {
		res, err := app.Test(httptest.NewRequest("GET", "/api/openapi.json", nil))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		if res.StatusCode != fiber.StatusOK || string(body) != `{"openapi":"3.1.0"}` || res.Header.Get("Content-Type") != fiber.MIMEApplicationJSONCharsetUTF8 {
			t.Fatalf("GET /api/openapi.json = %d %q %q", res.StatusCode, res.Header.Get("Content-Type"), body)
		}
	}
	if calls != 2 {
		t.Fatalf("the source was asked %d times for 2 requests", calls)
	}
}

func TestRegister_AnswersAnErrorWhenTheDocumentCannotBeMerged(t *testing.T) {
	app := fiber.New()
	apidocs.Register(app, func() ([]byte, error) { return nil, errors.New("path documented twice") })
	res, err := app.Test(httptest.NewRequest("GET", "/api/openapi.json", nil))
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != fiber.StatusInternalServerError {
		t.Fatalf("status = %d, want 500", res.StatusCode)
	}
}
