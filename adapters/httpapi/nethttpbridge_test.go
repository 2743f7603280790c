package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

type bridgeKey struct{}

func TestServeNetHTTP_TheHandlerGetsTheRequestsOwnContext(t *testing.T) {
	app := fiber.New()
	var (
		got         any
		hasDeadline bool
		form        string
	)
	app.Post("/bridge", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(context.WithValue(c.UserContext(), bridgeKey{}, "carried"), time.Minute)
		defer cancel()
		c.SetUserContext(ctx)
		return httpapi.ServeNetHTTP(c, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got = r.Context().Value(bridgeKey{})
			_, hasDeadline = r.Context().Deadline()
			_ = r.ParseForm()
			form = r.PostForm.Get("grant_type")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
		}))
	})
	req := httptest.NewRequest(http.MethodPost, "/bridge", strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if got != "carried" || !hasDeadline {
		t.Fatalf("the handler's context lost the request's: value %v, deadline %v", got, hasDeadline)
	}
	if form != "client_credentials" {
		t.Fatalf("form %q", form)
	}
	if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Cache-Control") != "no-store" ||
		resp.Header.Get("Content-Type") != "application/json" || string(body) != `{"error":"invalid_client"}` {
		t.Fatalf("response %d %v %s", resp.StatusCode, resp.Header, body)
	}
}
