package httpapi_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
)

func newDeadlineServer(t *testing.T, d time.Duration) *testServer {
	t.Helper()
	s := newServer(t, httpapi.Options{RequestTimeout: d})
	// Waits for its context the way a query on a hung database does, and
	// fails with the driver's unclassified error.
	s.app.Get("/hang", func(c *fiber.Ctx) error {
		<-c.UserContext().Done()
		return fmt.Errorf("read from database: %w", c.UserContext().Err())
	})
	s.app.Get("/hang-typed", func(c *fiber.Ctx) error {
		<-c.UserContext().Done()
		return shared.NotFound("x.missing", "nothing here")
	})
	s.app.Get("/deadline", func(c *fiber.Ctx) error {
		dl, ok := c.UserContext().Deadline()
		return httpapi.OK(c, "deadline", fiber.Map{"set": ok, "in_ms": time.Until(dl).Milliseconds(),
			"meta": shared.RequestMetaFrom(c.UserContext()).RequestID != ""})
	})
	return s
}

func TestDeadline_AHandlerWaitingOnAHungDependencyAnswers503WithRetryAfter(t *testing.T) {
	s := newDeadlineServer(t, 50*time.Millisecond)
	status, env, h := s.do(t, "GET", "/hang", "", "")
	if status != 503 || env.Error == nil || env.Error.Type != "SERVICE_UNAVAILABLE" || env.Error.Code != "request.deadline_exceeded" {
		t.Fatalf("%d %+v", status, env.Error)
	}
	if h["Retry-After"] != "5" {
		t.Fatalf("Retry-After = %q, want 5", h["Retry-After"])
	}
}

func TestDeadline_KeepsAnErrorThatAlreadyHasAKind(t *testing.T) {
	s := newDeadlineServer(t, 50*time.Millisecond)
	if status, env, _ := s.do(t, "GET", "/hang-typed", "", ""); status != 404 || env.Error.Code != "x.missing" {
		t.Fatalf("%d %+v", status, env.Error)
	}
}

func TestDeadline_EveryRequestContextCarriesTheConfiguredDeadlineAndItsMetadata(t *testing.T) {
	for _, c := range []struct {
		set  time.Duration
		want time.Duration
	}{{3 * time.Second, 3 * time.Second}, {0, httpapi.DefaultRequestTimeout}} {
		s := newDeadlineServer(t, c.set)
		status, env, _ := s.do(t, "GET", "/deadline", "", "")
		var got struct {
			Set  bool  `json:"set"`
			InMS int64 `json:"in_ms"`
			Meta bool  `json:"meta"`
		}
		if status != 200 || json.Unmarshal(env.Data, &got) != nil || !got.Set || !got.Meta ||
			got.InMS <= 0 || got.InMS > c.want.Milliseconds() {
			t.Fatalf("RequestTimeout %s: %d %s", c.set, status, env.Data)
		}
	}
}

func TestErrors_AnUnavailableDependencyAnswers503WithARetryHint(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	s.app.Get("/down-soon", func(c *fiber.Ctx) error {
		return shared.Unavailable("x.down", "try later").WithRetryAfter(1500 * time.Millisecond)
	})
	for path, want := range map[string]string{"/typed/unavailable": "5", "/down-soon": "2"} {
		status, env, h := s.do(t, "GET", path, "", "")
		if status != 503 || env.Error == nil || env.Error.Type != "SERVICE_UNAVAILABLE" || h["Retry-After"] != want {
			t.Fatalf("%s: %d %+v Retry-After %q, want %s", path, status, env.Error, h["Retry-After"], want)
		}
	}
}
