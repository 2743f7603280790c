package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
)

// metaServer is the edge with a route that shows the request metadata the
// layers below receive.
func metaServer(t *testing.T) *testServer {
	t.Helper()
	s := newServer(t, httpapi.Options{})
	s.app.Get("/meta", func(c *fiber.Ctx) error {
		m := shared.RequestMetaFrom(c.UserContext())
		return httpapi.OK(c, "meta", fiber.Map{
			"request_id": m.RequestID, "correlation_id": m.CorrelationID, "local": httpapi.CorrelationID(c),
		})
	})
	return s
}

type metaSeen struct {
	RequestID     string `json:"request_id"`
	CorrelationID string `json:"correlation_id"`
	Local         string `json:"local"`
}

func (s *testServer) meta(t *testing.T, headers ...string) (envelope, metaSeen, map[string]string) {
	t.Helper()
	status, env, h := s.do(t, "GET", "/meta", "", "", headers...)
	var m metaSeen
	if status != 200 || json.Unmarshal(env.Data, &m) != nil {
		t.Fatalf("GET /meta: %d %s", status, env.Data)
	}
	if m.RequestID != env.RequestID {
		t.Fatalf("the layers below saw request id %q, the response says %q", m.RequestID, env.RequestID)
	}
	if m.Local != m.CorrelationID {
		t.Fatalf("CorrelationID %q and the request metadata %q disagree", m.Local, m.CorrelationID)
	}
	return env, m, h
}

func TestRequestID_IsAlwaysTheServersOwnEvenWhenTheClientSendsOne(t *testing.T) {
	s := metaServer(t)
	const sent = "0b5e6f7c-1111-4222-8333-944445555666"
	first, m1, h1 := s.meta(t, "X-Request-ID", sent)
	second, m2, h2 := s.meta(t, "X-Request-ID", sent)
	for _, env := range []envelope{first, second} {
		u, err := uuid.Parse(env.RequestID)
		if err != nil || u.Version() != 4 || env.RequestID == sent {
			t.Fatalf("request id %q: want a new server-side v4 UUID", env.RequestID)
		}
	}
	if first.RequestID == second.RequestID {
		t.Fatalf("two requests share the request id %s", first.RequestID)
	}
	if m1.CorrelationID != sent || m2.CorrelationID != sent || h1["X-Correlation-Id"] != sent || h2["X-Correlation-Id"] != sent {
		t.Fatalf("the client's id must be kept as the correlation id and echoed: %+v %+v %v", m1, m2, h1)
	}
}

func TestRequestID_KeepsOnlyAWellFormedClientIDForCorrelation(t *testing.T) {
	s := metaServer(t)
	cases := map[string]bool{
		"0B5E6F7C-1111-4222-8333-944445555666":   true,
		"checkout-7f3a":                          true,
		"trace:span.1_a":                         true,
		strings.Repeat("a", 64):                  true,
		strings.Repeat("a", 65):                  false,
		`x" injected`:                            false,
		"two words":                              false,
		"caf\u00e9":                              false,
		"a\tb":                                   false,
		"a/b":                                    false,
		"{0b5e6f7c-1111-4222-8333-944445555666}": false,
	}
	for sent, kept := range cases {
		_, m, h := s.meta(t, "X-Request-ID", sent)
		switch {
		case kept && (m.CorrelationID != sent || h["X-Correlation-Id"] != sent):
			t.Errorf("%q must be kept as sent: %q, header %q", sent, m.CorrelationID, h["X-Correlation-Id"])
		case !kept && (m.CorrelationID != "" || h["X-Correlation-Id"] != ""):
			t.Errorf("%q must be dropped: %q, header %q", sent, m.CorrelationID, h["X-Correlation-Id"])
		}
	}
	if _, m, h := s.meta(t); m.CorrelationID != "" || h["X-Correlation-Id"] != "" {
		t.Fatalf("no client id, yet correlation %q header %q", m.CorrelationID, h["X-Correlation-Id"])
	}
}

func TestRequestID_ErrorAnswersAndTheAccessLogCarryBothIDs(t *testing.T) {
	s := newServer(t, httpapi.Options{})
	_, env, h := s.do(t, "GET", "/typed/notfound", "", "", "X-Request-ID", "client-trace-42")
	if env.RequestID == "client-trace-42" || h["X-Correlation-Id"] != "client-trace-42" {
		t.Fatalf("request id %q, correlation header %q", env.RequestID, h["X-Correlation-Id"])
	}
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.logs.String()), "\n") {
		if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, env.RequestID) {
			_ = json.Unmarshal([]byte(l), &line)
		}
	}
	if line["request_id"] != env.RequestID || line["correlation_id"] != "client-trace-42" {
		t.Fatalf("access log line %v", line)
	}
}

func TestRequestID_BrowsersMayReadTheCorrelationHeader(t *testing.T) {
	s := newServer(t, httpapi.Options{CORSOrigins: []string{"https://app.example"}})
	_, _, h := s.do(t, "GET", "/typed/notfound", "", "", "Origin", "https://app.example", "X-Request-ID", "client-trace-7")
	if !strings.Contains(h["Access-Control-Expose-Headers"], "X-Correlation-ID") || h["X-Correlation-Id"] != "client-trace-7" {
		t.Fatalf("exposed %q, correlation %q", h["Access-Control-Expose-Headers"], h["X-Correlation-Id"])
	}
}
