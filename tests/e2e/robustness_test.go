//go:build integration

package e2e

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/tests/apitest"
)

// The product rule under test: bad input always gets a clear envelope error
// and changes nothing; nothing a client sends makes the server answer 500 or
// lose data. Every operation of the served OpenAPI document is walked, so a
// new route is swept as soon as it is documented.

// sweepOp is one documented operation, as the sweep needs it.
type sweepOp struct {
	method, path string
	params       []string
	body         bool
	fields       []string
	example      map[string]any
	queries      []string
}

func (o sweepOp) String() string { return o.method + " " + o.path }

var pathParam = regexp.MustCompile(`\{([^}]+)\}`)

// sweepOperations lists every operation of the served document, sorted.
func sweepOperations(t *testing.T, doc *openapi3.T) []sweepOp {
	t.Helper()
	var ops []sweepOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := sweepOp{method: strings.ToUpper(method), path: path}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				o.params = append(o.params, m[1])
			}
			for _, p := range append(append(openapi3.Parameters{}, item.Parameters...), op.Parameters...) {
				if p.Value != nil && p.Value.In == "query" {
					o.queries = append(o.queries, p.Value.Name)
				}
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					o.body = true
					if ex, ok := mt.Example.(map[string]any); ok {
						o.example = ex
					}
					if mt.Schema != nil && mt.Schema.Value != nil {
						for name := range mt.Schema.Value.Properties {
							o.fields = append(o.fields, name)
						}
						sort.Strings(o.fields)
					}
				}
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].String() < ops[j].String() })
	if len(ops) < 20 {
		t.Fatalf("the document lists only %d operations", len(ops))
	}
	return ops
}

// sweepWorld is the data the hostile requests aim at: the caller's own
// account and organization, and a victim's real ids.
type sweepWorld struct {
	attacker, victim               orgAccount
	attackerOrg, victimOrg         string
	attackerSession, victimSession string
}

// ownParam fills a path parameter with the caller's own resource, so body
// and query validation is reached.
func (w sweepWorld) ownParam(path, name string) string {
	switch {
	case strings.HasPrefix(path, "/api/v1/auth/sessions/"):
		return w.attackerSession
	case name == "userId":
		return w.attacker.id
	case name == "id":
		return w.attackerOrg
	case name == "asset":
		return "page.js"
	}
	return uuid.NewString()
}

// hostileSegments are path segments, already in their on-the-wire form.
func (w sweepWorld) hostileSegments() map[string]string {
	return map[string]string{
		"not a uuid":           "not-a-uuid",
		"zero":                 "0",
		"negative":             "-1",
		"nil uuid":             "00000000-0000-0000-0000-000000000000",
		"long":                 strings.Repeat("a", 3000),
		"longer than headers":  strings.Repeat("b", 20000),
		"unicode":              url.PathEscape("ünïcødé-☃-😀-\u202e"),
		"encoded slashes":      "%2F..%2F..%2Fetc%2Fpasswd",
		"encoded dots":         "%2e%2e",
		"dot dot":              "..",
		"encoded NUL":          "%00",
		"encoded CR LF":        "%0d%0aX-Injected:%201",
		"invalid utf-8":        "%ff%fe%fd",
		"percent":              "%25",
		"sql quote":            url.PathEscape("1' OR '1'='1"),
		"sql statement":        url.PathEscape("1; DROP TABLE users; --"),
		"uuid in braces":       url.PathEscape("{" + w.victimOrg + "}"),
		"uuid urn":             "urn:uuid:" + w.victimOrg,
		"uuid without dashes":  strings.ReplaceAll(w.victimOrg, "-", ""),
		"uuid upper case":      strings.ToUpper(w.victimOrg),
		"victim organization":  w.victimOrg,
		"victim user":          w.victim.id,
		"victim session":       w.victimSession,
		"uuid with trailing":   w.victimOrg + "x",
		"json":                 url.PathEscape(`{"$ne":null}`),
		"victim org, own user": w.victimOrg + "%2F" + w.attacker.id,
	}
}

func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

// hostileQueries are raw query strings.
func (w sweepWorld) hostileQueries() []string {
	return []string{
		"limit=-1", "limit=0", "limit=99999999999999999999", "limit=abc", "limit=1.5", "limit=%00",
		"limit=1&limit=2", "limit=" + strings.Repeat("9", 400),
		"cursor=garbage", "cursor=" + b64("junk"), "cursor=" + base64.StdEncoding.EncodeToString([]byte("junk!?")),
		"cursor=" + strings.Repeat("A", 6000), "cursor=%ff%fe", "cursor=%00",
		"cursor=" + b64("a1:9223372036854775807:9223372036854775807"),
		"cursor=" + b64("a1:-1:1"), "cursor=" + b64("a1:1:0"),
		"cursor=" + b64("9223372036854775807."+w.victimOrg),
		"cursor=" + b64("-5."+w.victimOrg),
		"cursor=" + b64("m|9999-12-31T23:59:59.999999999Z|"+w.victimOrg),
		"cursor=" + b64("m|0000-01-01T00:00:00Z|"+w.victimOrg),
		"cursor=" + b64("o|2024-01-01T00:00:00+23:59|"+w.victimOrg),
		"cursor=" + b64("p||"), "cursor=" + b64("o||"), "cursor=" + b64("x|y|z"),
		"from=yesterday", "from=2024-13-45T99:99:99Z", "to=abc",
		"from=0000-01-01T00:00:00Z", "to=9999-12-31T23:59:59.999999999Z",
		"from=2025-01-01T00:00:00Z&to=2024-01-01T00:00:00Z",
		"from=2024-01-01T00:00:00-23:59&to=2024-01-01T00:00:00%2B23:59",
		"action=DROP%20TABLE", "action=auth.*", "action=auth.", "action=..", "action=%00", "action=%25",
		"action=" + strings.Repeat("a.", 200), "action=auth.%ff",
		"actor_id=not-a-uuid", "actor_id=" + url.QueryEscape("' OR 1=1 --"), "actor_id=" + w.victim.id,
		"actor_id=%00", "actor_id=%ff%fe", "actor_id=a%00b", "actor_id=" + strings.Repeat("x", 500),
	}
}

const longBodyMargin = 200

// hostileBodies are raw JSON bodies (sent as application/json) for an
// operation with a request body; none of them is a valid request.
func hostileBodies(o sweepOp, bodyLimit int) map[string][]byte {
	out := map[string][]byte{
		"malformed":          []byte(`{"a":`),
		"single quotes":      []byte(`{'a': 1}`),
		"array":              []byte(`[1, 2, 3]`),
		"array of objects":   []byte(`[{}]`),
		"null":               []byte(`null`),
		"string":             []byte(`"hello"`),
		"number":             []byte(`42`),
		"true":               []byte(`true`),
		"two objects":        []byte(`{}{}`),
		"trailing garbage":   []byte(`{} trailing`),
		"whitespace only":    []byte(" \n\t "),
		"NUL byte":           []byte("\x00"),
		"invalid utf-8 key":  []byte("{\"\xff\xfe\": 1}"),
		"deep arrays":        []byte(strings.Repeat("[", 20000) + strings.Repeat("]", 20000)),
		"deep objects":       []byte(strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)),
		"huge number":        []byte(`{"n": 1e400}`),
		"unknown field only": []byte(`{"is_admin": true}`),
		"duplicate keys":     []byte(`{"role": "owner", "role": "owner", "is_admin": true}`),
	}
	if o.example != nil {
		ex := map[string]any{}
		for k, v := range o.example {
			ex[k] = v
		}
		ex["is_admin"] = true
		b, _ := json.Marshal(ex)
		out["example plus unknown field"] = b
	}
	for _, f := range o.fields {
		key, _ := json.Marshal(f)
		put := func(name, value string) { out[f+": "+name] = []byte("{" + string(key) + ":" + value + "}") }
		put("number", "12345")
		put("float", "-1.5e300")
		put("boolean", "true")
		put("array", `["a"]`)
		put("object", `{"$gt": ""}`)
		put("nested", strings.Repeat(`{"a":`, 64)+"1"+strings.Repeat("}", 64))
		put("NUL", `"a\u0000b"`)
		put("raw NUL", "\"a\x00b\"")
		put("CR LF", `"a\r\nBcc: x@example.com"`)
		put("invalid utf-8", "\"a\xff\xfeb\"")
		put("lone surrogate", `"\ud800"`)
		put("huge", `"`+strings.Repeat("x", bodyLimit-longBodyMargin)+`"`)
		put("empty", `""`)
		put("spaces", `"   "`)
		if o.example == nil {
			continue
		}
		// The documented example with this one field made invalid: the
		// other fields are valid, so only this field can refuse it.
		for name, value := range map[string]string{
			"NUL": `"abcdefgh\u0000ijklmnop"`, "invalid utf-8": "\"abcdefgh\xff\xfeijklmnop\"",
			"lone surrogate": `"abcdefgh\udfffijklmnop"`, "huge": `"` + strings.Repeat("y", bodyLimit-longBodyMargin) + `"`,
			"number": "1e308", "object": `{"a": "b"}`, "array": `[]`, "bell": `"abcdefgh\u0007ijklmnop"`,
		} {
			ex := map[string]json.RawMessage{}
			for k, v := range o.example {
				b, _ := json.Marshal(v)
				ex[k] = b
			}
			ex[f] = json.RawMessage(value)
			var b bytes.Buffer
			b.WriteByte('{')
			first := true
			for k, v := range ex {
				if !first {
					b.WriteByte(',')
				}
				first = false
				kb, _ := json.Marshal(k)
				b.Write(kb)
				b.WriteByte(':')
				b.Write(v)
			}
			b.WriteByte('}')
			out["example with "+f+" "+name] = b.Bytes()
		}
	}
	return out
}

// leakPattern finds internals that must never reach a client.
var leakPattern = regexp.MustCompile(`(?i)sql|gorm|pq:|pgx|sqlstate|\$argon2|\$2[aby]\$|panic|goroutine|runtime\.|\.go:\d|/work/|/home/|/usr/|constraint|duplicate key|relation "`)

// sweepCheck asserts the rule on one answer and returns it.
func sweepCheck(t *testing.T, label string, status int, header http.Header, body []byte) {
	t.Helper()
	if status >= 500 {
		t.Errorf("%s: answered %d: %s", label, status, truncateBody(body))
		return
	}
	if status < 400 {
		return
	}
	if !strings.HasPrefix(header.Get("Content-Type"), "application/json") {
		t.Errorf("%s: %d with content type %q: %s", label, status, header.Get("Content-Type"), truncateBody(body))
		return
	}
	var env apitest.Envelope
	if err := json.Unmarshal(body, &env); err != nil {
		t.Errorf("%s: %d is not an envelope: %v: %s", label, status, err, truncateBody(body))
		return
	}
	switch {
	case env.Version != "1.0" || env.Success || env.Code != status:
		t.Errorf("%s: malformed error envelope for %d: %s", label, status, truncateBody(body))
	case env.RequestID == "" || env.RequestID != header.Get("X-Request-ID"):
		t.Errorf("%s: request id %q, header %q", label, env.RequestID, header.Get("X-Request-ID"))
	case env.Error == nil || env.Error.Type == "" || env.Error.Code == "":
		t.Errorf("%s: %d without error.type and error.code: %s", label, status, truncateBody(body))
	case env.Message == "":
		t.Errorf("%s: %d without a message: %s", label, status, truncateBody(body))
	}
	if status == http.StatusTooManyRequests && header.Get("Retry-After") == "" {
		t.Errorf("%s: 429 without Retry-After", label)
	}
	if m := leakPattern.Find(body); m != nil {
		t.Errorf("%s: the error leaks %q: %s", label, m, truncateBody(body))
	}
}

func truncateBody(b []byte) string {
	if len(b) > 600 {
		return string(b[:600]) + "…"
	}
	return string(b)
}

// sweeper sends requests and counts them.
type sweeper struct {
	t    *testing.T
	srv  *apitest.Server
	sent int
	ops  map[string]bool
}

// raw sends an arbitrary request (path and query already encoded) and
// checks the answer without OpenAPI validation.
func (s *sweeper) raw(label, method, target string, body []byte, headers map[string]string, op sweepOp) {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+target, bytes.NewReader(body))
	if err != nil {
		// The client itself refuses the URL (e.g. a raw control character).
		return
	}
	req.ContentLength = int64(len(body))
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res := s.srv.Raw(s.t, req)
	got, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s: %v", label, err)
	}
	s.sent++
	s.ops[op.String()] = true
	sweepCheck(s.t, label, res.StatusCode, res.Header, got)
}

// overLimit announces a body larger than the server accepts and reads the
// answer over a plain connection: the server may answer before the body is
// sent and close, which an HTTP client reports as a failed write.
func (s *sweeper) overLimit(label, method, target string, size int, headers map[string]string, op sweepOp) {
	s.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.srv.URL, "http://"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close()
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: authy\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n", method, target, size)
	for k, v := range headers {
		fmt.Fprintf(&head, "%s: %s\r\n", k, v)
	}
	head.WriteString("\r\n")
	if _, err := io.WriteString(conn, head.String()); err != nil {
		s.t.Fatalf("%s: %v", label, err)
	}
	// The body is written concurrently; the server may stop reading it.
	go func() { _, _ = conn.Write(bytes.Repeat([]byte(" "), size)) }()
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		s.t.Errorf("%s: no answer: %v", label, err)
		return
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	s.sent++
	s.ops[op.String()] = true
	if res.StatusCode != http.StatusRequestEntityTooLarge {
		s.t.Errorf("%s: answered %d, want 413: %s", label, res.StatusCode, truncateBody(got))
	}
	sweepCheck(s.t, label, res.StatusCode, res.Header, got)
}

// json sends a well-formed JSON request through the validating client.
func (s *sweeper) json(label, method, target string, body any, token string, op sweepOp) {
	s.t.Helper()
	res := s.srv.Do(s.t, method, target, body, token)
	s.sent++
	s.ops[op.String()] = true
	sweepCheck(s.t, label, res.Status, res.Header, res.Body)
}

func fill(o sweepOp, value func(name string) string) string {
	return pathParam.ReplaceAllStringFunc(o.path, func(m string) string {
		return value(strings.Trim(m, "{}"))
	})
}

// sweep sends every hostile input to o as one caller (token "" is
// anonymous).
func (s *sweeper) sweep(o sweepOp, w sweepWorld, who, token string, bodyLimit int) {
	s.t.Helper()
	auth := map[string]string{}
	if token != "" {
		auth["Authorization"] = "Bearer " + token
	}
	with := func(extra map[string]string) map[string]string {
		h := map[string]string{}
		for k, v := range auth {
			h[k] = v
		}
		for k, v := range extra {
			h[k] = v
		}
		return h
	}
	own := fill(o, func(n string) string { return w.ownParam(o.path, n) })
	// An operation with no input of its own (logout, refresh, delete my
	// account) does exactly what it says whatever else is sent: it is swept
	// anonymously and with broken credentials only.
	inputless := o.method != http.MethodGet && !o.body && len(o.params) == 0
	readOnly := o.method == http.MethodGet

	// Broken credentials (they replace the caller's, so once is enough).
	for name, value := range map[string]string{
		"empty bearer":     "Bearer ",
		"garbage bearer":   "Bearer not-a-token",
		"long bearer":      "Bearer " + strings.Repeat("t", 6000),
		"basic":            "Basic " + base64.StdEncoding.EncodeToString([]byte("a:b")),
		"bearer with tab":  "Bearer a\tb",
		"bearer utf-8":     "Bearer ünïcødé",
		"two bearers":      "Bearer a, Bearer b",
		"lower-case token": "bearer " + strings.ToLower(uuid.NewString()),
	} {
		if token != "" {
			break
		}
		s.raw(fmt.Sprintf("%s with %s", o, name), o.method, own, nil, map[string]string{"Authorization": value}, o)
	}
	if inputless && token != "" {
		return
	}

	// Hostile path parameters, one at a time; the others are the caller's own.
	for _, p := range o.params {
		for name, seg := range w.hostileSegments() {
			target := fill(o, func(n string) string {
				if n == p {
					return seg
				}
				return w.ownParam(o.path, n)
			})
			var body []byte
			headers := with(nil)
			if o.body {
				body = []byte(`{}`)
				if o.example != nil {
					body, _ = json.Marshal(o.example)
				}
				headers["Content-Type"] = "application/json"
			}
			s.raw(fmt.Sprintf("%s as %s, %s=%s", o, who, p, name), o.method, target, body, headers, o)
		}
	}

	// Hostile query strings on reads and on operations that declare a query.
	if readOnly || len(o.queries) > 0 {
		for _, q := range w.hostileQueries() {
			s.raw(fmt.Sprintf("%s as %s ?%s", o, who, truncateLabel(q)), o.method, own+"?"+q, nil, with(nil), o)
		}
	}

	if !o.body {
		return
	}
	// Hostile bodies.
	for name, body := range hostileBodies(o, bodyLimit) {
		s.raw(fmt.Sprintf("%s as %s with body %s", o, who, name), o.method, own, body,
			with(map[string]string{"Content-Type": "application/json"}), o)
	}
	valid := []byte(`{}`)
	if o.example != nil {
		valid, _ = json.Marshal(o.example)
	}
	// Wrong or missing content types, and no body at all.
	for name, ct := range map[string]string{
		"no content type":  "",
		"text/plain":       "text/plain",
		"form":             "application/x-www-form-urlencoded",
		"multipart":        "multipart/form-data; boundary=x",
		"xml":              "application/xml",
		"bad media type":   ";;;",
		"json, odd params": "application/json; charset=ebcdic; x=\"",
	} {
		h := with(nil)
		if ct != "" {
			h["Content-Type"] = ct
		}
		s.raw(fmt.Sprintf("%s as %s with content type %s", o, who, name), o.method, own, valid, h, o)
	}
	s.overLimit(fmt.Sprintf("%s as %s with a body over the limit", o, who), o.method, own, bodyLimit+1, auth, o)
	s.raw(fmt.Sprintf("%s as %s with no body", o, who), o.method, own, nil,
		with(map[string]string{"Content-Type": "application/json"}), o)
	// Well-formed JSON of the wrong shape, through the validating client.
	for _, f := range o.fields {
		for name, v := range map[string]any{
			"number": 7, "boolean": false, "array": []any{"x"}, "object": map[string]any{"$ne": nil},
		} {
			s.json(fmt.Sprintf("%s as %s, %s as %s", o, who, f, name), o.method, own, map[string]any{f: v}, token, o)
		}
	}
}

func truncateLabel(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// snapshot is everything a hostile request must not change.
type snapshot map[string]string

func takeSnapshot(t *testing.T, db *pgstore.DB) snapshot {
	t.Helper()
	queries := map[string]string{
		"users":         "SELECT id, email, name, password_hash, created_at, updated_at FROM users ORDER BY id",
		"organizations": "SELECT * FROM organizations ORDER BY id",
		"memberships":   "SELECT * FROM organization_memberships ORDER BY organization_id, user_id",
		"invitations":   "SELECT * FROM organization_invitations ORDER BY id",
		"sessions":      "SELECT id, user_id, status, end_reason FROM sessions ORDER BY id",
		"enquiries":     "SELECT COUNT(*) AS n FROM contact_enquiries",
		"passkeys":      "SELECT * FROM passkeys ORDER BY id",
		"mail outbox":   "SELECT COUNT(*) AS n FROM mail_outbox",
		"audit":         "SELECT action, COUNT(*) AS n FROM audit_logs GROUP BY action ORDER BY action",
	}
	out := snapshot{}
	for name, q := range queries {
		var rows []map[string]any
		if err := db.Gorm().Raw(q).Scan(&rows).Error; err != nil {
			t.Fatalf("snapshot %s: %v", name, err)
		}
		b, err := json.Marshal(rows)
		if err != nil {
			t.Fatal(err)
		}
		out[name] = string(b)
	}
	return out
}

func openSweepDB(t *testing.T, srv *apitest.Server) *pgstore.DB {
	t.Helper()
	db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath, MaxOpenConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// auditCounts reads the "audit" part of a snapshot.
func auditCounts(t *testing.T, s snapshot) map[string]float64 {
	t.Helper()
	var rows []struct {
		Action string  `json:"action"`
		N      float64 `json:"n"`
	}
	if err := json.Unmarshal([]byte(s["audit"]), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, r := range rows {
		out[r.Action] = r.N
	}
	return out
}

func startSweepServer(t *testing.T, backend apitest.Backend) *apitest.Server {
	t.Helper()
	return apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
		c.LoginRateLimitPerIP = 100000
		c.LoginFailuresPerAccount = 100000
		c.RegisterRateLimitPerIP = 100000
		c.PasswordChangeRateLimitPerUser = 100000
		// A domain, so the passkey routes are on and swept.
		c.PublicURL = "http://authy-sweep.example"
	}))
}

func TestRobustness_HostileInputGetsAnEnvelopeErrorAndChangesNothing(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startSweepServer(t, backend)
			w := sweepWorld{attacker: signUp(t, srv, "attacker"), victim: signUp(t, srv, "victim")}
			w.attackerOrg = createOrg(t, srv, w.attacker, map[string]any{"name": "Attacker Org"}).ID
			w.victimOrg = createOrg(t, srv, w.victim, map[string]any{"name": "Victim Org"}).ID
			w.attackerSession = currentSession(t, srv, w.attacker.token)
			w.victimSession = currentSession(t, srv, w.victim.token)
			db := openSweepDB(t, srv)
			before := takeSnapshot(t, db)
			meBefore := expect(t, srv.Do(t, "GET", "/api/v1/users/me", nil, w.attacker.token), http.StatusOK).Env.Data
			victimBefore := expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+w.victimOrg+"/members", nil, w.victim.token), http.StatusOK).Env.Data

			ops := sweepOperations(t, srv.App.OpenAPI().Spec)
			sw := &sweeper{t: t, srv: srv, ops: map[string]bool{}}
			limit := srv.Config().BodyLimitBytes
			for _, o := range ops {
				sw.sweep(o, w, "anonymous", "", limit)
				sw.sweep(o, w, "owner", w.attacker.token, limit)
			}
			for _, o := range ops {
				if !sw.ops[o.String()] {
					t.Errorf("%s was not swept", o)
				}
			}
			t.Logf("%s: %d hostile requests over %d operations", backend, sw.sent, len(ops))

			after := takeSnapshot(t, db)
			for name := range before {
				if name != "audit" && before[name] != after[name] {
					t.Errorf("hostile input changed %s:\nbefore %s\nafter  %s", name, before[name], after[name])
				}
			}
			// Failed attempts are recorded (refusals by a limit as one summary
			// per limited key and window), and nothing else.
			ab, aa := auditCounts(t, before), auditCounts(t, after)
			for action, n := range aa {
				if n != ab[action] && !strings.HasSuffix(action, ".failed") && !strings.HasSuffix(action, ".rate_limited") {
					t.Errorf("hostile input recorded %v new %q audit records", n-ab[action], action)
				}
			}
			for action, n := range ab {
				if aa[action] < n {
					t.Errorf("audit records of %q went from %v to %v", action, n, aa[action])
				}
			}

			meAfter := expect(t, srv.Do(t, "GET", "/api/v1/users/me", nil, w.attacker.token), http.StatusOK).Env.Data
			victimAfter := expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+w.victimOrg+"/members", nil, w.victim.token), http.StatusOK).Env.Data
			if !bytes.Equal(meBefore, meAfter) || !bytes.Equal(victimBefore, victimAfter) {
				t.Errorf("reads changed:\n%s\n%s\n%s\n%s", meBefore, meAfter, victimBefore, victimAfter)
			}
			// Both accounts still sign in with their passwords.
			login(t, srv, w.attacker)
			login(t, srv, w.victim)
		})
	}
}

func currentSession(t *testing.T, srv *apitest.Server, token string) string {
	t.Helper()
	var list []struct {
		ID      string `json:"id"`
		Current bool   `json:"current"`
	}
	expect(t, srv.Do(t, "GET", "/api/v1/auth/sessions", nil, token), http.StatusOK).Decode(t, &list)
	for _, s := range list {
		if s.Current {
			return s.ID
		}
	}
	t.Fatal("no current session")
	return ""
}

// Odd but valid text is kept exactly: nothing is escaped, trimmed inside,
// replaced or cut, on either backend.
func TestRobustness_OddButValidTextIsStoredAndReadBackExactly(t *testing.T) {
	names := []string{
		"Robert'); DROP TABLE users; --",
		"ünïcødé ☃ 😀 e\u0301vil 中文 العربية",
		`%00 \u0000 \\ "quoted" <script>alert(1)</script>`,
		strings.Repeat("😀", 100),
	}
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := startSweepServer(t, backend)
			owner := signUp(t, srv, "odd")
			org := createOrg(t, srv, owner, map[string]any{"name": "Odd"})
			for _, name := range names {
				var user struct {
					Name string `json:"name"`
				}
				expect(t, srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": name}, owner.token), http.StatusOK)
				expect(t, srv.Do(t, "GET", "/api/v1/users/me", nil, owner.token), http.StatusOK).Decode(t, &user)
				if user.Name != name {
					t.Errorf("user name %q read back as %q", name, user.Name)
				}
				var got orgView
				expect(t, srv.Do(t, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"name": name}, owner.token), http.StatusOK)
				expect(t, srv.Do(t, "GET", "/api/v1/organizations/"+org.ID, nil, owner.token), http.StatusOK).Decode(t, &got)
				if got.Name != name {
					t.Errorf("organization name %q read back as %q", name, got.Name)
				}
			}
		})
	}
}
