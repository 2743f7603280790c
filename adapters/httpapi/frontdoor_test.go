package httpapi_test

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

// liveServer is the edge on a real loopback listener: buffer reuse,
// framing and connection handling only show over real connections.
type liveServer struct {
	addr string
	mu   sync.Mutex
	kept [][]string
}

// seen returns what /remember kept, read only now.
func (s *liveServer) seen() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, len(s.kept))
	for i, k := range s.kept {
		out[i] = strings.Join(k, "|")
	}
	return out
}

func startLive(t *testing.T, o httpapi.Options) *liveServer {
	t.Helper()
	o.Logger = slog.New(slog.DiscardHandler)
	app := httpapi.New(o)
	s := &liveServer{}
	app.Post("/echo", func(c *fiber.Ctx) error {
		var p struct {
			Name string `json:"name"`
		}
		if err := httpapi.Decode(c, &p); err != nil {
			return err
		}
		return httpapi.OK(c, "echoed", p)
	})
	// remember keeps what a handler could hand to a cache or a goroutine.
	app.All("/remember/:p", func(c *fiber.Ctx) error {
		s.mu.Lock()
		s.kept = append(s.kept, []string{c.Method(), c.Path(), c.Params("p"), c.Query("q"), c.Get("X-Probe")})
		s.mu.Unlock()
		return httpapi.OK(c, "remembered", nil)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	go func() { _ = app.Listener(httpapi.Listener(ln, o)) }()
	t.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return s
}

// rawExchange writes raw on a new connection and reads one response.
func (s *liveServer) rawExchange(t *testing.T, raw string) (*http.Response, []byte, net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, raw); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, body := readResponse(t, br)
	return res, body, conn, br
}

func readResponse(t *testing.T, br *bufio.Reader) (*http.Response, []byte) {
	t.Helper()
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, body
}

// checkRefusal asserts an error envelope with the security headers.
func checkRefusal(t *testing.T, res *http.Response, body []byte, status int, code string) {
	t.Helper()
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Fatalf("%d is not an envelope: %s", res.StatusCode, body)
	}
	if res.StatusCode != status || env.Code != status || env.Success || env.Error == nil || env.Error.Code != code {
		t.Fatalf("got %d %s, want %d %s", res.StatusCode, body, status, code)
	}
	if env.RequestID == "" || env.RequestID != res.Header.Get("X-Request-ID") {
		t.Fatalf("request id %q, header %q", env.RequestID, res.Header.Get("X-Request-ID"))
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("content type %q", res.Header.Get("Content-Type"))
	}
	for _, h := range []string{"X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy", "Referrer-Policy", "Cache-Control"} {
		if res.Header.Get(h) == "" {
			t.Errorf("%d lacks %s", status, h)
		}
	}
}

// expectClosed asserts the server sends nothing more and closes.
func expectClosed(t *testing.T, br *bufio.Reader) {
	t.Helper()
	rest, err := io.ReadAll(br)
	if err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
		t.Fatalf("after the refusal: %v", err)
	}
	if len(rest) > 0 {
		t.Fatalf("the server answered a request hidden after the refusal: %q", rest)
	}
}

func TestFrontDoor_RefusesTwoContentLengthsAndClosesTheConnection(t *testing.T) {
	s := startLive(t, httpapi.Options{})
	hidden := "GET /remember/hidden HTTP/1.1\r\nHost: a\r\n\r\n"
	for _, tc := range []struct{ name, lengths, code string }{
		{"conflicting", fmt.Sprintf("Content-Length: 15\r\nContent-Length: %d\r\n", 15+len(hidden)), "request.ambiguous_length"},
		{"identical", "Content-Length: 15\r\nContent-Length: 15\r\n", "request.ambiguous_length"},
		{"with chunked", "Content-Length: 15\r\nTransfer-Encoding: chunked\r\n", "request.ambiguous_length"},
		{"odd case", "content-length: 15\r\nCONTENT-LENGTH: 16\r\n", "request.ambiguous_length"},
		{"space before the colon", "Content-Length: 15\r\nContent-Length : 16\r\n", "request.bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, body, _, br := s.rawExchange(t, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"+
				tc.lengths+"\r\n"+`{"name":"abc"}`+"\n"+hidden)
			checkRefusal(t, res, body, 400, tc.code)
			if !res.Close {
				t.Error("the refusal must close the connection")
			}
			expectClosed(t, br)
		})
	}
	if seen := s.seen(); len(seen) > 0 {
		t.Fatalf("a hidden request reached a handler: %v", seen)
	}
}

func TestFrontDoor_AnswersAnUnknownMethodWithTheEnvelopeAndSecurityHeaders(t *testing.T) {
	s := startLive(t, httpapi.Options{Production: true})
	res, body, _, _ := s.rawExchange(t, "BREW /echo HTTP/1.1\r\nHost: a\r\n\r\n")
	checkRefusal(t, res, body, 400, "request.invalid_method")
	if res.Header.Get("Strict-Transport-Security") == "" {
		t.Error("production refusals carry HSTS too")
	}
}

func TestFrontDoor_AnswersOversizedHeadersWith431InTheEnvelope(t *testing.T) {
	s := startLive(t, httpapi.Options{MaxHeaderBytes: 8 << 10})
	res, body, _, _ := s.rawExchange(t, "GET /remember/x HTTP/1.1\r\nHost: a\r\nX-Probe: "+strings.Repeat("h", 9<<10)+"\r\n\r\n")
	checkRefusal(t, res, body, 431, "request.headers_too_large")
	res, body, _, _ = s.rawExchange(t, "GET /remember/x?q="+strings.Repeat("q", 7<<10)+" HTTP/1.1\r\nHost: a\r\n\r\n")
	if res.StatusCode != 200 {
		t.Fatalf("a request line within MaxHeaderBytes: %d %s", res.StatusCode, body)
	}
}

func TestFrontDoor_RefusesCompressedBodies(t *testing.T) {
	s := startLive(t, httpapi.Options{})
	res, body, _, _ := s.rawExchange(t, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n{}")
	checkRefusal(t, res, body, 415, "request.unsupported_content_encoding")
}

func TestFrontDoor_HoldsTheBodyLimitForDeclaredAndChunkedBodies(t *testing.T) {
	s := startLive(t, httpapi.Options{BodyLimit: 64})
	big := `{"name":"` + strings.Repeat("x", 100) + `"}`
	res, body, _, _ := s.rawExchange(t, fmt.Sprintf("POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(big), big))
	checkRefusal(t, res, body, 413, "request.too_large")

	chunk := func(s string) string { return fmt.Sprintf("%x\r\n%s\r\n", len(s), s) }
	res, body, _, _ = s.rawExchange(t, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
		chunk(big[:50])+chunk(big[50:])+"0\r\n\r\n")
	checkRefusal(t, res, body, 413, "request.too_large")

	res, body, _, _ = s.rawExchange(t, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"+
		chunk(`{"name":`)+chunk(`"chunked"}`)+"0\r\n\r\n")
	if res.StatusCode != 200 || !strings.Contains(string(body), `"name":"chunked"`) {
		t.Fatalf("a chunked body within the limit: %d %s", res.StatusCode, body)
	}
}

func TestFrontDoor_RefusesABodyShorterThanDeclared(t *testing.T) {
	s := startLive(t, httpapi.Options{})
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	// Past the first 8 KiB, which fasthttp reads before any handler.
	_, _ = io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n{\"name\":\""+strings.Repeat("x", 9000))
	_ = conn.(*net.TCPConn).CloseWrite()
	res, body := readResponse(t, bufio.NewReader(conn))
	checkRefusal(t, res, body, 400, "request.incomplete_body")
}

func TestFrontDoor_ABodyIsNeverReadAsTheNextRequest(t *testing.T) {
	s := startLive(t, httpapi.Options{})
	smuggled := "GET /remember/smuggled HTTP/1.1\r\nHost: a\r\n\r\n"
	// A route that never reads its body, then a real second request.
	_, _, conn, br := s.rawExchange(t, fmt.Sprintf("POST /remember/first HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n%s", len(smuggled), smuggled))
	if _, err := io.WriteString(conn, "GET /remember/second HTTP/1.1\r\nHost: a\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	if res, body := readResponse(t, br); res.StatusCode != 200 {
		t.Fatalf("second request: %d %s", res.StatusCode, body)
	}
	if seen := s.seen(); len(seen) != 2 || !strings.Contains(seen[0], "first") || !strings.Contains(seen[1], "second") {
		t.Fatalf("handlers saw %v, want first then second", seen)
	}
}

func TestContextStrings_StayIntactAfterTheRequestEnds(t *testing.T) {
	s := startLive(t, httpapi.Options{})
	client := &http.Client{Transport: &http.Transport{MaxConnsPerHost: 1}} // one reused connection
	var want []string
	for i, m := range []string{"GET", "POST", "PATCH", "DELETE", "PUT", "GET", "OPTIONS"} {
		p, q, probe := fmt.Sprintf("p%d%s", i, strings.Repeat("z", i*7)), fmt.Sprintf("q%d", i*31), strings.Repeat(string(rune('a'+i)), 20-i)
		req, _ := http.NewRequest(m, "http://"+s.addr+"/remember/"+p+"?q="+q, nil)
		req.Header.Set("X-Probe", probe)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
		want = append(want, strings.Join([]string{m, "/remember/" + p, p, q, probe}, "|"))
	}
	seen := s.seen()
	if len(seen) != len(want) {
		t.Fatalf("kept %d requests, sent %d", len(seen), len(want))
	}
	for i := range want {
		if seen[i] != want[i] {
			t.Errorf("request %d: kept %q, sent %q", i, seen[i], want[i])
		}
	}
}

func TestListener_TurnsAwayConnectionsOverThePerClientBoundWithAnEnvelope(t *testing.T) {
	s := startLive(t, httpapi.Options{MaxConnsPerIP: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		_, _ = io.WriteString(c, "GET /remember/held HTTP/1.1\r\nHost: a\r\n") // headers never finish
		held = append(held, c)
	}
	res, body, _, _ := s.rawExchange(t, "GET /remember/third HTTP/1.1\r\nHost: a\r\n\r\n")
	checkRefusal(t, res, body, 429, "request.too_many_connections")
	if res.Header.Get("Retry-After") == "" {
		t.Error("429 without Retry-After")
	}

	held[0].Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		res, body, _, _ := s.rawExchange(t, "GET /remember/again HTTP/1.1\r\nHost: a\r\n\r\n")
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a closed connection never freed its slot: %d %s", res.StatusCode, body)
		}
		time.Sleep(20 * time.Millisecond) // polling interval
	}
}

func TestListener_ExemptsTrustedProxiesFromThePerClientBound(t *testing.T) {
	proxies, err := httpapi.ParseTrustedProxies([]string{"127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	s := startLive(t, httpapi.Options{MaxConnsPerIP: 1, TrustedProxies: proxies})
	held, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, _ = io.WriteString(held, "GET /remember/held HTTP/1.1\r\nHost: a\r\n")
	if res, body, _, _ := s.rawExchange(t, "GET /remember/second HTTP/1.1\r\nHost: a\r\n\r\n"); res.StatusCode != 200 {
		t.Fatalf("a trusted proxy's second connection: %d %s", res.StatusCode, body)
	}
}

func TestListener_TurnsAwayConnectionsOverTheOverallBoundWith503(t *testing.T) {
	s := startLive(t, httpapi.Options{MaxConns: 1})
	held, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, _ = io.WriteString(held, "GET /remember/held HTTP/1.1\r\nHost: a\r\n")
	res, body, _, _ := s.rawExchange(t, "GET /remember/second HTTP/1.1\r\nHost: a\r\n\r\n")
	checkRefusal(t, res, body, 503, "service.too_many_connections")
}
