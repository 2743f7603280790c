//go:build integration

package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

// rawRequest writes request as bytes on a new connection to srv (so header
// lines reach the server exactly as written) and returns the response.
func rawRequest(t *testing.T, srv *apitest.Server, request string) *http.Response {
	t.Helper()
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(srv.URL, "http://"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := conn.Write([]byte(request)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = res.Body.Close() })
	return res
}

// accessLogLine returns the server's access log line of the request with
// id requestID.
func accessLogLine(t *testing.T, srv *apitest.Server, requestID string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(srv.Logs(), "\n") {
		if !strings.Contains(l, `"msg":"request"`) || !strings.Contains(l, requestID) {
			continue
		}
		var line map[string]any
		if err := json.Unmarshal([]byte(l), &line); err == nil && line["request_id"] == requestID {
			return line
		}
	}
	t.Fatalf("no access log line for request %s", requestID)
	return nil
}

// TestForwardedFor_AProxysOwnLineOutranksAForgedFirstLine sends what a
// client behind HAProxy produces: the client's forged X-Forwarded-For line
// first, then the line the proxy adds with the address it saw. The audit
// record and the access log must name the proxy's address.
func TestForwardedFor_AProxysOwnLineOutranksAForgedFirstLine(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded, apitest.WithConfig(func(c *bootstrapConfig) {
		c.TrustedProxies = []string{"127.0.0.1/32"}
	}))
	body := fmt.Sprintf(`{"email":"nobody-%s@example.com","password":"not the password at all"}`, testenv.Unique())
	res := rawRequest(t, srv, "POST /api/v1/auth/login HTTP/1.1\r\n"+
		"Host: authy.test\r\n"+
		"Content-Type: application/json\r\n"+
		"X-Forwarded-For: 203.0.113.66\r\n"+
		"X-Forwarded-For: 198.51.100.7:52114\r\n"+
		fmt.Sprintf("Content-Length: %d\r\n", len(body))+
		"Connection: close\r\n\r\n"+body)
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("login with an unknown email: %d", res.StatusCode)
	}
	id := res.Header.Get("X-Request-ID")
	rec := storedAudit(t, srv, "auth.login.failed", id)
	if str(rec.IP) != "198.51.100.7" {
		t.Fatalf("the audit record believed %q, want the proxy's 198.51.100.7", str(rec.IP))
	}
	if line := accessLogLine(t, srv, id); line["client_ip"] != "198.51.100.7" {
		t.Fatalf("the access log believed %v", line["client_ip"])
	}
}

// TestDecode_ADuplicateOrCaseVariantKeyCreatesNoAccount sends the bodies a
// gateway and the server could read differently: each is refused and
// neither address gets an account.
func TestDecode_ADuplicateOrCaseVariantKeyCreatesNoAccount(t *testing.T) {
	srv := apitest.Start(t, apitest.Embedded)
	first := "first-" + testenv.Unique() + "@example.com"
	second := "second-" + testenv.Unique() + "@example.com"
	const password = "duplicate keys passphrase 1"
	bodies := map[string]string{
		"duplicate":            `{"email":"` + first + `","password":"` + password + `","name":"Dup","email":"` + second + `"}`,
		"escaped duplicate":    `{"email":"` + first + `","password":"` + password + `","name":"Dup","em\u0061il":"` + second + `"}`,
		"case variant":         `{"EMAIL":"` + first + `","password":"` + password + `","name":"Dup"}`,
		"case variant after":   `{"email":"` + first + `","password":"` + password + `","name":"Dup","Email":"` + second + `"}`,
		"unicode-folded alias": `{"email":"` + first + `","pa\u017f\u017fword":"` + password + `","password":"` + password + `","name":"Dup"}`,
	}
	for name, body := range bodies {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("POST", "/api/v1/auth/register", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			res := srv.Raw(t, req)
			env := readEnvelope(t, res)
			if res.StatusCode != http.StatusBadRequest || env.Error == nil || env.Error.Type != "VALIDATION_ERROR" {
				t.Fatalf("%s: %d %+v", body, res.StatusCode, env.Error)
			}
			if len(env.Error.Details) != 1 {
				t.Fatalf("the error must name the key: %+v", env.Error.Details)
			}
		})
	}
	for _, email := range []string{first, second} {
		res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": email, "password": password}, "")
		if res.Status != http.StatusUnauthorized {
			t.Fatalf("an account exists for %s: %d", email, res.Status)
		}
	}
}

// correlatedRecord is a read-API record with the request and correlation ids.
type correlatedRecord struct {
	Action        string  `json:"action"`
	RequestID     *string `json:"request_id"`
	CorrelationID *string `json:"correlation_id"`
}

// TestAudit_TwoRequestsWithOneClientRequestIDGetTwoRequestIDsAndOneCorrelationID
// sends two logins with the same X-Request-ID: each gets its own request id
// (in the response and its audit record), and both records keep the
// client's id as the correlation id, in the read API and the NDJSON export.
func TestAudit_TwoRequestsWithOneClientRequestIDGetTwoRequestIDsAndOneCorrelationID(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend)
			u, _ := auditSignUp(t, srv, "correlation")
			clientID := "checkout-" + uuid.NewString()[:8]
			headers := map[string]string{"X-Request-ID": clientID}
			var requestIDs []string
			var token string
			for i := 0; i < 2; i++ {
				res := srv.DoWithHeaders(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": auditPassword}, "", headers)
				if res.Status != http.StatusOK {
					t.Fatalf("login: %d %s", res.Status, res.Body)
				}
				if res.Env.RequestID == clientID || res.Header.Get("X-Correlation-ID") != clientID {
					t.Fatalf("request id %q, X-Correlation-ID %q", res.Env.RequestID, res.Header.Get("X-Correlation-ID"))
				}
				line := accessLogLine(t, srv, res.Env.RequestID)
				if line["correlation_id"] != clientID {
					t.Fatalf("the access log line lacks the correlation id: %v", line)
				}
				requestIDs = append(requestIDs, res.Env.RequestID)
				var v struct {
					Token string `json:"token"`
				}
				res.Decode(t, &v)
				token = v.Token
			}
			if requestIDs[0] == requestIDs[1] {
				t.Fatalf("two requests share the request id %s", requestIDs[0])
			}

			res := srv.Do(t, "GET", "/api/v1/users/me/audit-logs?action=auth.login.succeeded", nil, token)
			if res.Status != http.StatusOK {
				t.Fatalf("audit logs: %d %s", res.Status, res.Body)
			}
			var recs []correlatedRecord
			res.Decode(t, &recs)
			got := map[string]string{}
			for _, r := range recs {
				if r.RequestID != nil {
					got[*r.RequestID] = str(r.CorrelationID)
				}
			}
			for _, id := range requestIDs {
				if corr, ok := got[id]; !ok || corr != clientID {
					t.Fatalf("request %s: record found %v with correlation id %q, want %q (records %v)", id, ok, corr, clientID, got)
				}
			}

			// The NDJSON export carries the correlation id too.
			env := map[string]string{"DATABASE_URL": srv.DatabaseURL, "SQLITE_PATH": srv.SQLitePath}
			file := filepath.Join(t.TempDir(), "audit.ndjson")
			if out, err := runAuditCLI(t, auditDB{env: env}, "export", "--action", "auth.login.succeeded", "--out", file); err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			exported := readExport(t, file)
			for _, id := range requestIDs {
				if exported[id] != clientID {
					t.Fatalf("export: request %s has correlation id %q, want %q", id, exported[id], clientID)
				}
			}
			if out, err := runAuditCLI(t, auditDB{env: env}, "verify"); err != nil || !strings.Contains(out, "OK: ") {
				t.Fatalf("verify: %v\n%s", err, out)
			}
		})
	}
}

// readExport maps each exported record's request id to its correlation id.
func readExport(t *testing.T, file string) map[string]string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var line map[string]any
		if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
			t.Fatalf("not JSON: %s", sc.Bytes())
		}
		corr, present := line["correlation_id"]
		if !present {
			t.Fatalf("the line has no correlation_id: %s", sc.Bytes())
		}
		reqID, _ := line["request_id"].(string)
		s, _ := corr.(string)
		out[reqID] = s
	}
	return out
}

// TestAuditVerify_PassesOnRecordsWrittenBeforeAndAfterCorrelationIDs
// writes records into a database at the schema before correlation ids
// (migration 5), migrates it, appends records that carry one, and checks
// `authy audit verify` passes over both and still finds a correlation id
// altered behind the application's back.
func TestAuditVerify_PassesOnRecordsWrittenBeforeAndAfterCorrelationIDs(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			ctx := context.Background()
			m, err := pgstore.NewMigrator(db.db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 5); err != nil {
				t.Fatal(err)
			}
			insertOldRecords(t, db, 3)
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}

			rec := db.recorder()
			for i := 0; i < 2; i++ {
				ctx := shared.WithRequestMeta(ctx, shared.RequestMeta{
					RequestID: uuid.NewString(), CorrelationID: "client-trace-1", ClientIP: "192.0.2.10", UserAgent: "audit-e2e",
				})
				if err := rec.Record(ctx, auditport.Event{Action: "auth.logout", ActorID: uuid.NewString()}); err != nil {
					t.Fatal(err)
				}
			}
			if n := db.count(t, `SELECT count(*) FROM audit_logs WHERE correlation_id = 'client-trace-1'`); n != 2 {
				t.Fatalf("%d records carry the correlation id, want 2", n)
			}
			db.seal(t)
			out, err := runAuditCLI(t, db, "verify", "--batch", "2")
			if err != nil || !strings.Contains(out, "OK: 5 record(s) verified; head sequence 5") {
				t.Fatalf("verify over old and new records: %v\n%s", err, out)
			}

			tamper(t, db, `UPDATE audit_logs SET correlation_id = 'someone-else' WHERE pos = (SELECT pos FROM audit_chain WHERE sequence = 4)`)
			out, err = runAuditCLI(t, db, "verify")
			if err == nil || !strings.Contains(out, "sequence 4") {
				t.Fatalf("verify missed an altered correlation id: %v\n%s", err, out)
			}
		})
	}
}

// insertOldRecords appends n records the way the store did before the
// correlation_id column existed: sealed without one, inserted into the
// columns of migration 5, the chain head moved.
func insertOldRecords(t *testing.T, db auditDB, n int) {
	t.Helper()
	act, _ := audit.ParseAction("auth.login.succeeded")
	var entries []audit.Entry
	for i := 0; i < n; i++ {
		actor, _ := audit.NewActor(audit.ActorUser, uuid.NewString())
		e, err := audit.NewEntry(audit.EntryParams{
			ID: uuid.New(), OccurredAt: time.Now().Add(-time.Hour), Actor: actor, Action: act,
			Origin: audit.NewOrigin("192.0.2.10", "before-upgrade", uuid.NewString(), ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	recs, head := audit.Seal(audit.Genesis(), entries)
	for _, r := range recs {
		s := r.State()
		err := db.db.Gorm().Exec(`INSERT INTO audit_logs (sequence, id, occurred_at, actor_type, actor_id, action,
			client_ip, user_agent, request_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Sequence, s.ID.String(), s.OccurredAt, s.ActorType, s.ActorID, s.Action,
			s.ClientIP, s.UserAgent, s.RequestID, string(s.Details), s.PrevHash, s.Hash).Error
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := db.db.Gorm().Exec(`UPDATE audit_chain_head SET sequence = ?, hash = ? WHERE id = 1`, head.Sequence(), head.Hash()).Error; err != nil {
		t.Fatal(err)
	}
}
