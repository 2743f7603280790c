package httpapi

import (
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

func TestObserve_AnUnknownPathBelowAGroupWithMiddlewareIsUnmatchedNotTheGroupPrefix(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	app := New(Options{Observe: func(method, route string, status int, _ time.Duration) {
		mu.Lock()
		defer mu.Unlock()
		seen[route+" "+strconv.Itoa(status)]++
	}})
	api := app.Group("/api/v1", func(c *fiber.Ctx) error { return c.Next() })
	api.Get("/things/:id", func(c *fiber.Ctx) error {
		return shared.NotFound("things.not_found", "no such thing")
	})

	for _, path := range []string{"/api/v1/nope/123", "/api/v1/things/42"} {
		res, err := app.Test(httptest.NewRequest("GET", path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if res.StatusCode != fiber.StatusNotFound {
			t.Fatalf("%s answered %d", path, res.StatusCode)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if seen["(unmatched) 404"] != 1 || seen["/api/v1/things/:id 404"] != 1 || seen["/api/v1 404"] != 0 {
		t.Fatalf("route labels %v", seen)
	}
}
