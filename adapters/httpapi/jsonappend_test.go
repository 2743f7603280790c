package httpapi

import (
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/goccy/go-json"
	"github.com/gofiber/fiber/v2"
)

// jsonStrings are strings whose encoding differs from their bytes.
var jsonStrings = []string{
	"", "plain", `quote " and backslash \`, "<script>&amp;</script>", "line\nfeed\rtab\t",
	"\x00\x01\x08\x0c\x1f\x7f", "Zoë Ångström 日本", "sep\u2028para\u2029", "bad \xff\xfe utf-8 \xe2\x82",
	"emoji 😀", "a\u00a0b",
}

func TestAppendJSONString_WritesWhatTheJSONEncoderWrites(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	cases := append([]string(nil), jsonStrings...)
	for range 2000 {
		b := make([]byte, rng.IntN(24))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := AppendJSONString(nil, s); string(got) != string(want) {
			t.Fatalf("%q: wrote %s, the encoder writes %s", s, got, want)
		}
	}
}

func TestAppendJSONTime_WritesWhatTheJSONEncoderWrites(t *testing.T) {
	for _, at := range []time.Time{
		time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 120000000, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600)),
	} {
		want, _ := json.Marshal(at)
		if got := AppendJSONTime(nil, at); string(got) != string(want) {
			t.Fatalf("wrote %s, the encoder writes %s", got, want)
		}
	}
}

// reflected is a body without AppendJSON; appended is the same body with it.
type reflected struct {
	Name string `json:"name"`
	N    int    `json:"n"`
}

type appended reflected

func (a appended) AppendJSON(b []byte) []byte {
	b = append(b, `{"name":`...)
	b = AppendJSONString(b, a.Name)
	b = append(b, `,"n":`...)
	b = append(b, []byte(strings.TrimSpace(string(mustJSON(a.N))))...)
	return append(b, '}')
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func TestRespond_AnAppenderAnswersTheSameEnvelopeAsTheEncoder(t *testing.T) {
	app := New(Options{Logger: slog.New(slog.DiscardHandler)})
	for _, msg := range jsonStrings {
		msg := msg
		body := reflected{Name: msg + "<&>", N: 201}
		app.Get("/reflected", func(c *fiber.Ctx) error {
			c.Locals(localRequestID, "fixed-id")
			return Respond(c, 201, msg, body)
		})
		app.Get("/appended", func(c *fiber.Ctx) error {
			c.Locals(localRequestID, "fixed-id")
			return Respond(c, 201, msg, appended(body))
		})
		var got [2]string
		for i, path := range []string{"/reflected", "/appended"} {
			res, err := app.Test(httptest.NewRequest("GET", path, nil))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			if res.StatusCode != 201 || res.Header.Get("Content-Type") != fiber.MIMEApplicationJSON {
				t.Fatalf("%s: %d %q", path, res.StatusCode, res.Header.Get("Content-Type"))
			}
			got[i] = string(b)
		}
		if got[0] != got[1] {
			t.Fatalf("message %q:\nencoder:  %s\nappender: %s", msg, got[0], got[1])
		}
		app = New(Options{Logger: slog.New(slog.DiscardHandler)})
	}
}
