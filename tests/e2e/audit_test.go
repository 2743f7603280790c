//go:build integration

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/bootstrap"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/apitest"
	"github.com/secuird/authy/tests/testenv"
)

const (
	auditPassword    = "audit trail passphrase 1"
	auditNewPassword = "audit trail passphrase 2"
)

// sharedRequest is a context carrying the request facts the edge would set.
func sharedRequest(requestID string) context.Context {
	return shared.WithRequestMeta(context.Background(), shared.RequestMeta{
		RequestID: requestID, ClientIP: "192.0.2.10", UserAgent: "audit-e2e",
	})
}

// auditDB is one migrated database of either dialect, opened beside any
// server, with the settings the CLI needs to reach it.
type auditDB struct {
	db  *pgstore.DB
	env map[string]string
}

func auditDatabases() map[string]func(t *testing.T) auditDB {
	return map[string]func(t *testing.T) auditDB{
		"postgres": func(t *testing.T) auditDB {
			url := testenv.NewPostgresDatabase(t)
			return openAuditDB(t, pgstore.Options{URL: url}, map[string]string{"DATABASE_URL": url})
		},
		"sqlite": func(t *testing.T) auditDB {
			path := filepath.Join(t.TempDir(), "authy.db")
			return openAuditDB(t, pgstore.Options{SQLitePath: path}, map[string]string{"DATABASE_URL": "", "SQLITE_PATH": path})
		},
	}
}

func openAuditDB(t *testing.T, o pgstore.Options, env map[string]string) auditDB {
	t.Helper()
	db, err := pgstore.Open(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Up(context.Background()); err != nil {
		t.Fatal(err)
	}
	return auditDB{db: db, env: env}
}

func (a auditDB) recorder() *auditapp.Recorder {
	return auditapp.NewRecorder(auditpg.New(a.db), a.db, platformport.SystemClock, nil)
}

func (a auditDB) count(t *testing.T, query string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := a.db.Gorm().Raw(query, args...).Scan(&n).Error; err != nil {
		t.Fatal(err)
	}
	return n
}

// runAuditCLI runs `authy audit ...` against db and returns its output and
// error (a non-nil error is a non-zero exit status).
func runAuditCLI(t *testing.T, db auditDB, args ...string) (string, error) {
	t.Helper()
	t.Setenv("APP_ENV", "testing")
	for k, v := range db.env {
		t.Setenv(k, v)
	}
	var out bytes.Buffer
	cmd := bootstrap.NewRootCommand()
	cmd.SetArgs(append([]string{"audit"}, args...))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

// seal places every record written so far in the chain, as the sealer
// `serve` runs would.
func (a auditDB) seal(t *testing.T) {
	t.Helper()
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: auditpg.New(a.db)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sealer.SealPending(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// seedAudit records n events, one per call, through the real recorder, and
// seals them.
func seedAudit(t *testing.T, db auditDB, org string, n int) {
	t.Helper()
	rec := db.recorder()
	for i := 0; i < n; i++ {
		ctx := sharedRequest(fmt.Sprintf("seed-%d", i))
		if err := rec.Record(ctx, auditport.Event{
			Action: "organization.updated", ActorID: uuid.NewString(), OrganizationID: org,
			TargetType: "organization", TargetID: org, Details: map[string]any{"i": i},
		}); err != nil {
			t.Fatal(err)
		}
	}
	db.seal(t)
}

func TestAuditRecorder_AForcedFailureAfterTheChangeKeepsNeitherChangeNorRecord(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			rec := db.recorder()
			boom := errors.New("forced failure after the change and its record")
			userID := uuid.NewString()
			insertUser := func(ctx context.Context, id string) error {
				now := time.Now().UTC()
				email := id + "@example.com"
				return db.db.Conn(ctx).Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
					VALUES (?, ?, ?, 'Tx Test', 'x', ?, ?)`, id, email, email, now, now).Error
			}
			err := db.db.Transaction(context.Background(), func(ctx context.Context) error {
				if err := insertUser(ctx, userID); err != nil {
					return err
				}
				if err := rec.Record(ctx, auditport.Event{Action: "auth.register", ActorID: userID, TargetType: "user", TargetID: userID}); err != nil {
					return err
				}
				return boom
			})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			if n := db.count(t, `SELECT count(*) FROM users WHERE id = ?`, userID); n != 0 {
				t.Fatal("the change outlived the failed unit of work")
			}
			if n := db.count(t, `SELECT count(*) FROM audit_logs`); n != 0 {
				t.Fatal("the record outlived the failed unit of work")
			}

			// A failed audit write (an invalid event) takes the change down too.
			err = db.db.Transaction(context.Background(), func(ctx context.Context) error {
				if err := insertUser(ctx, userID); err != nil {
					return err
				}
				return rec.Record(ctx, auditport.Event{Action: "Not A Valid Action"})
			})
			if err == nil {
				t.Fatal("an invalid event must fail the unit of work")
			}
			if n := db.count(t, `SELECT count(*) FROM users WHERE id = ?`, userID); n != 0 {
				t.Fatal("the change outlived its failed record")
			}

			// Without a failure both commit, and the sealer starts the chain
			// with the record.
			err = db.db.Transaction(context.Background(), func(ctx context.Context) error {
				if err := insertUser(ctx, userID); err != nil {
					return err
				}
				return rec.Record(ctx, auditport.Event{Action: "auth.register", ActorID: userID, TargetType: "user", TargetID: userID})
			})
			if err != nil {
				t.Fatal(err)
			}
			db.seal(t)
			if db.count(t, `SELECT count(*) FROM users WHERE id = ?`, userID) != 1 ||
				db.count(t, `SELECT count(*) FROM audit_logs l JOIN audit_chain c ON c.pos = l.pos WHERE c.sequence = 1 AND l.target_id = ?`, userID) != 1 {
				t.Fatal("the committed change or its record is missing")
			}
		})
	}
}

func TestAuditVerify_ReportsAnIntactChainAndExitsZero(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 7)
			out, err := runAuditCLI(t, db, "verify", "--batch", "3")
			if err != nil {
				t.Fatalf("verify failed on an intact chain: %v\n%s", err, out)
			}
			if !strings.Contains(out, "OK: 7 record(s) verified; head sequence 7") || strings.Contains(out, "UNSEALED") {
				t.Fatalf("output: %s", out)
			}
		})
	}
}

// Records written but not sealed yet are not part of the chain: verify
// passes over the sealed ones and reports how many await the sealer and
// since when; `authy audit seal` seals them.
func TestAuditVerify_ReportsRecordsNotSealedYetAndAuditSealSealsThem(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 3)
			rec := db.recorder()
			old := time.Now().UTC().Add(-2 * time.Minute).Truncate(time.Microsecond)
			for i, at := range []time.Time{time.Now().UTC(), old} {
				if err := rec.Record(sharedRequest(fmt.Sprintf("late-%d", i)), auditport.Event{Action: "auth.logout", ActorID: uuid.NewString(), OccurredAt: at}); err != nil {
					t.Fatal(err)
				}
			}
			out, err := runAuditCLI(t, db, "verify")
			if err != nil {
				t.Fatalf("records awaiting the sealer break nothing: %v\n%s", err, out)
			}
			want := "UNSEALED: 2 record(s) not in the chain yet; the oldest occurred at " + old.Format(time.RFC3339Nano)
			if !strings.Contains(out, "OK: 3 record(s) verified; head sequence 3") || !strings.Contains(out, want) ||
				!strings.Contains(out, "is `authy serve` running") {
				t.Fatalf("output: %s", out)
			}

			out, err = runAuditCLI(t, db, "seal")
			if err != nil || !strings.Contains(out, "sealed 2 record(s); head sequence 5") {
				t.Fatalf("seal: %v\n%s", err, out)
			}
			out, err = runAuditCLI(t, db, "verify")
			if err != nil || !strings.Contains(out, "OK: 5 record(s) verified; head sequence 5") || strings.Contains(out, "UNSEALED") {
				t.Fatalf("verify after sealing: %v\n%s", err, out)
			}
		})
	}
}

// tamper runs SQL against the log behind the application's back, first
// lifting the database's append-only guards as a table owner could.
func tamper(t *testing.T, db auditDB, stmts ...string) {
	t.Helper()
	var lift []string
	if db.db.Dialect() == pgstore.Postgres {
		lift = []string{`ALTER TABLE audit_logs DISABLE TRIGGER USER`, `ALTER TABLE audit_chain DISABLE TRIGGER USER`}
	} else {
		lift = []string{`DROP TRIGGER IF EXISTS audit_logs_no_update`, `DROP TRIGGER IF EXISTS audit_logs_no_delete`,
			`DROP TRIGGER IF EXISTS audit_chain_no_update`, `DROP TRIGGER IF EXISTS audit_chain_no_delete`}
	}
	for _, s := range append(lift, stmts...) {
		if err := db.db.Gorm().Exec(s).Error; err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// sealedAt is the insert position of the record sealed at sequence seq.
func sealedAt(seq int) string {
	return fmt.Sprintf("(SELECT pos FROM audit_chain WHERE sequence = %d)", seq)
}

func TestAuditVerify_FindsARowEditedInTheDatabase(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 6)
			tamper(t, db, `UPDATE audit_logs SET details = '{"i":99}' WHERE pos = `+sealedAt(4))
			out, err := runAuditCLI(t, db, "verify", "--batch", "2")
			if err == nil {
				t.Fatalf("verify passed a tampered chain:\n%s", out)
			}
			if !strings.Contains(out, "BROKEN after 3 intact record(s): sequence 4 (id ") || !strings.Contains(out, "does not match its hash") {
				t.Fatalf("output: %s", out)
			}
		})
	}
}

func TestAuditVerify_FindsARowEditedWithItsHashRecomputed(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 5)
			// A forger who also rewrites the row's own hash breaks the next
			// record's link instead.
			tamper(t, db, `UPDATE audit_logs SET actor_id = 'mallory' WHERE pos = `+sealedAt(2),
				`UPDATE audit_chain SET hash = '`+strings.Repeat("a", 64)+`' WHERE sequence = 2`)
			out, err := runAuditCLI(t, db, "verify")
			if err == nil || !strings.Contains(out, "sequence 2") {
				t.Fatalf("err = %v, output: %s", err, out)
			}
		})
	}
}

func TestAuditVerify_FindsADeletedMiddleRowAndDeletedLastRows(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 6)
			tamper(t, db, `DELETE FROM audit_logs WHERE pos = `+sealedAt(3), `DELETE FROM audit_chain WHERE sequence = 3`)
			out, err := runAuditCLI(t, db, "verify", "--batch", "2")
			if err == nil {
				t.Fatalf("verify passed a chain with a hole:\n%s", out)
			}
			if !strings.Contains(out, "sequence 4") || !strings.Contains(out, "expected sequence 3 after 2, found 4") {
				t.Fatalf("output: %s", out)
			}

			db = open(t)
			seedAudit(t, db, uuid.NewString(), 6)
			tamper(t, db, `DELETE FROM audit_logs WHERE pos IN (SELECT pos FROM audit_chain WHERE sequence >= 5)`,
				`DELETE FROM audit_chain WHERE sequence >= 5`)
			out, err = runAuditCLI(t, db, "verify")
			if err == nil || !strings.Contains(out, "records 5..6 are missing") {
				t.Fatalf("err = %v, output: %s", err, out)
			}
		})
	}
}

// A record the sealer's watermark was moved past (with no gap left for it)
// would never be chained: verify reports it, whatever else is intact.
func TestAuditVerify_FindsARecordTheSealerWasMadeToPassOver(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 3)
			rec := db.recorder()
			if err := rec.Record(sharedRequest("hidden"), auditport.Event{Action: "auth.logout", ActorID: uuid.NewString()}); err != nil {
				t.Fatal(err)
			}
			var id string
			if err := db.db.Gorm().Raw(`SELECT id FROM audit_logs WHERE request_id = 'hidden'`).Scan(&id).Error; err != nil {
				t.Fatal(err)
			}
			tamper(t, db, `UPDATE audit_chain_head SET pos = (SELECT max(pos) FROM audit_logs) WHERE id = 1`)
			out, err := runAuditCLI(t, db, "verify")
			if err == nil || !strings.Contains(out, "BROKEN after 3 intact record(s): records outside the chain") ||
				!strings.Contains(out, "1 record(s) are neither in the chain nor awaiting the sealer") || !strings.Contains(out, id) {
				t.Fatalf("err = %v, output: %s", err, out)
			}
		})
	}
}

// Moving the head back (to pass off the last records as never sealed, or
// after sealing records by hand) leaves sealed records beyond it.
func TestAuditVerify_FindsRecordsSealedBeyondTheHead(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			seedAudit(t, db, uuid.NewString(), 6)
			tamper(t, db, `UPDATE audit_chain_head SET sequence = 4, hash = (SELECT hash FROM audit_chain WHERE sequence = 4) WHERE id = 1`)
			out, err := runAuditCLI(t, db, "verify", "--batch", "4")
			if err == nil || !strings.Contains(out, "sequence 6 (id ") || !strings.Contains(out, "beyond the chain head (sequence 4)") {
				t.Fatalf("err = %v, output: %s", err, out)
			}
		})
	}
}

func TestAuditExport_WritesNDJSONOfOneOrganizationInATimeRange(t *testing.T) {
	for name, open := range auditDatabases() {
		t.Run(name, func(t *testing.T) {
			db := open(t)
			org := uuid.NewString()
			seedAudit(t, db, uuid.NewString(), 2) // another organization
			before := time.Now().UTC()
			seedAudit(t, db, org, 5)
			file := filepath.Join(t.TempDir(), "audit.ndjson")
			out, err := runAuditCLI(t, db, "export", "--org", org, "--from", before.Format(time.RFC3339Nano),
				"--to", time.Now().UTC().Add(time.Minute).Format(time.RFC3339), "--out", file, "--batch", "2")
			if err != nil {
				t.Fatalf("export: %v\n%s", err, out)
			}
			if !strings.Contains(out, "exported 5 record(s)") {
				t.Fatalf("output: %s", out)
			}
			if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
				t.Fatalf("export file mode: %v %v", fi, err)
			}
			f, err := os.Open(file)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			sc := bufio.NewScanner(f)
			var seqs []int64
			prev := ""
			for sc.Scan() {
				var line struct {
					Sequence       int64           `json:"sequence"`
					OrganizationID string          `json:"organization_id"`
					Action         string          `json:"action"`
					RequestID      string          `json:"request_id"`
					IP             string          `json:"ip"`
					Details        json.RawMessage `json:"details"`
					PrevHash       string          `json:"prev_hash"`
					Hash           string          `json:"hash"`
				}
				if err := json.Unmarshal(sc.Bytes(), &line); err != nil {
					t.Fatalf("not JSON: %s", sc.Bytes())
				}
				if line.OrganizationID != org || line.Action != "organization.updated" || len(line.Hash) != 64 || line.IP != "192.0.2.10" {
					t.Fatalf("line: %s", sc.Bytes())
				}
				if prev != "" && line.PrevHash != prev {
					t.Fatalf("consecutive records of one organization should chain here: %s", sc.Bytes())
				}
				prev = line.Hash
				seqs = append(seqs, line.Sequence)
			}
			if fmt.Sprint(seqs) != "[3 4 5 6 7]" {
				t.Fatalf("exported sequences %v, want oldest first 3..7", seqs)
			}

			out, err = runAuditCLI(t, db, "export", "--from", "last tuesday")
			if err == nil || !strings.Contains(err.Error(), "from") {
				t.Fatalf("bad --from: %v %s", err, out)
			}
		})
	}
}

// auditRecord is a record as the read API returns it.
type auditRecord struct {
	ID string `json:"id"`
	// Sequence is null until the record is sealed.
	Sequence       *int64         `json:"sequence"`
	OccurredAt     time.Time      `json:"occurred_at"`
	ActorType      string         `json:"actor_type"`
	ActorID        *string        `json:"actor_id"`
	Action         string         `json:"action"`
	TargetType     *string        `json:"target_type"`
	TargetID       *string        `json:"target_id"`
	OrganizationID *string        `json:"organization_id"`
	IP             *string        `json:"ip"`
	UserAgent      *string        `json:"user_agent"`
	RequestID      *string        `json:"request_id"`
	Details        map[string]any `json:"details"`
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// auditPages reads every page of path (which has no query yet or ends in
// a query) with limit 2, checking newest-first order and no repeats.
func auditPages(t *testing.T, srv *apitest.Server, path, token string) []auditRecord {
	t.Helper()
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []auditRecord
	seen := map[string]bool{}
	cursor := ""
	for page := 0; page < 200; page++ {
		p := path + sep + "limit=2"
		if cursor != "" {
			p += "&cursor=" + cursor
		}
		res := srv.Do(t, "GET", p, nil, token)
		if res.Status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", p, res.Status, res.Body)
		}
		var items []auditRecord
		var meta struct {
			Limit      int     `json:"limit"`
			NextCursor *string `json:"next_cursor"`
		}
		res.Decode(t, &items)
		res.DecodeMeta(t, &meta)
		for _, it := range items {
			if seen[it.ID] {
				t.Fatalf("record %s on two pages", it.ID)
			}
			seen[it.ID] = true
			if n := len(all); n > 0 && it.OccurredAt.After(all[n-1].OccurredAt) {
				t.Fatalf("not newest first: %s (%v) after %s (%v)", it.ID, it.OccurredAt, all[n-1].ID, all[n-1].OccurredAt)
			}
			all = append(all, it)
		}
		if meta.NextCursor == nil {
			return all
		}
		cursor = *meta.NextCursor
	}
	t.Fatal("audit pagination does not end")
	return nil
}

// findAudit returns the record of action made by the request with id
// requestID, failing the test when there is none.
func findAudit(t *testing.T, list []auditRecord, action, requestID string) auditRecord {
	t.Helper()
	for _, r := range list {
		if r.Action == action && str(r.RequestID) == requestID {
			return r
		}
	}
	var seen []string
	for _, r := range list {
		seen = append(seen, r.Action+"@"+str(r.RequestID))
	}
	t.Fatalf("no %s record for request %s among %v", action, requestID, seen)
	return auditRecord{}
}

// checkOrigin asserts the facts every record takes from its request.
func checkOrigin(t *testing.T, r auditRecord) {
	t.Helper()
	if str(r.IP) != "127.0.0.1" || !strings.HasPrefix(str(r.UserAgent), "Go-http-client/") || r.OccurredAt.IsZero() {
		t.Fatalf("%s: ip %q user agent %q occurred_at %v", r.Action, str(r.IP), str(r.UserAgent), r.OccurredAt)
	}
	raw, _ := json.Marshal(r.Details)
	for _, secret := range []string{auditPassword, auditNewPassword, "argon2", "$2a$", "$2b$"} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("%s: details hold a secret: %s", r.Action, raw)
		}
	}
}

// storedAudit reads records of action straight from the server's database
// (for records no user can see: attempts against unknown accounts, deleted
// accounts, anonymous enquiries).
func storedAudit(t *testing.T, srv *apitest.Server, action, requestID string) auditRecord {
	t.Helper()
	db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath, MaxOpenConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	f, err := audit.ParseActionFilter(action)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := auditpg.New(db).List(context.Background(), auditport.Query{Action: f, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var list []auditRecord
	for _, rec := range recs {
		s := rec.State()
		var details map[string]any
		_ = json.Unmarshal(s.Details, &details)
		opt := func(v string) *string {
			if v == "" {
				return nil
			}
			return &v
		}
		var seq *int64
		if s.Sequence != 0 {
			seq = &s.Sequence
		}
		list = append(list, auditRecord{
			ID: s.ID.String(), Sequence: seq, OccurredAt: s.OccurredAt, ActorType: s.ActorType,
			ActorID: opt(s.ActorID), Action: s.Action, TargetType: opt(s.TargetType), TargetID: opt(s.TargetID),
			OrganizationID: opt(s.OrganizationID), IP: opt(s.ClientIP), UserAgent: opt(s.UserAgent),
			RequestID: opt(s.RequestID), Details: details,
		})
	}
	return findAudit(t, list, action, requestID)
}

// auditUser is a registered user with a session.
type auditUser struct {
	id, email, token, session string
}

func auditSignUp(t *testing.T, srv *apitest.Server, label string) (auditUser, string) {
	t.Helper()
	u := auditUser{email: fmt.Sprintf("audit-%s-%s@example.com", label, testenv.Unique())}
	res := srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": u.email, "password": auditPassword, "name": "Audit " + label}, "")
	if res.Status != http.StatusCreated {
		t.Fatalf("register: %d %s", res.Status, res.Body)
	}
	verifyEmailOf(t, srv, u.email) // invitations are accepted by verified addresses only
	var v struct {
		ID string `json:"id"`
	}
	res.Decode(t, &v)
	u.id = v.ID
	return u, res.Env.RequestID
}

func auditLogin(t *testing.T, srv *apitest.Server, u auditUser, password string) (auditUser, string) {
	t.Helper()
	res := srv.Do(t, "POST", "/api/v1/auth/login", map[string]any{"email": u.email, "password": password}, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login: %d %s", res.Status, res.Body)
	}
	var v struct {
		Token   string `json:"token"`
		Session struct {
			ID string `json:"id"`
		} `json:"session"`
	}
	res.Decode(t, &v)
	u.token, u.session = v.Token, v.Session.ID
	return u, res.Env.RequestID
}

// auditCall sends a request that must answer want and returns its request id.
func auditCall(t *testing.T, srv *apitest.Server, want int, method, path string, body any, token string) string {
	t.Helper()
	res := srv.Do(t, method, path, body, token)
	if res.Status != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, res.Status, want, res.Body)
	}
	return res.Env.RequestID
}

// TestAudit_EveryActionIsRecordedAndFoundThroughTheReadAPI performs each
// audited action through HTTP and finds its record, by the request id the
// response carried, through the read API (the user's own feed or the
// organization's) or, for records no user can see, in the store.
func TestAudit_EveryActionIsRecordedAndFoundThroughTheReadAPI(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.LoginRateLimitPerIP = 1000
				c.RegisterRateLimitPerIP = 1000
				c.LoginFailuresPerAccount = 1000
			}))
			type expectation struct {
				action, requestID string
				check             func(t *testing.T, r auditRecord)
			}
			var mine []expectation
			byUser := func(u auditUser, targetType, targetID string) func(t *testing.T, r auditRecord) {
				return func(t *testing.T, r auditRecord) {
					t.Helper()
					if r.ActorType != "user" || str(r.ActorID) != u.id || str(r.TargetType) != targetType || (targetID != "" && str(r.TargetID) != targetID) {
						t.Fatalf("%s: actor %s/%s target %s/%s", r.Action, r.ActorType, str(r.ActorID), str(r.TargetType), str(r.TargetID))
					}
				}
			}

			// Identity and sessions.
			alice, rid := auditSignUp(t, srv, "alice")
			mine = append(mine, expectation{"auth.register", rid, byUser(alice, "user", alice.id)})
			alice, rid = auditLogin(t, srv, alice, auditPassword)
			mine = append(mine, expectation{"auth.login.succeeded", rid, byUser(alice, "user", alice.id)})
			rid = auditCall(t, srv, 401, "POST", "/api/v1/auth/login", map[string]any{"email": alice.email, "password": "not the password"}, "")
			mine = append(mine, expectation{"auth.login.failed", rid, func(t *testing.T, r auditRecord) {
				if r.ActorType != "anonymous" || str(r.TargetID) != alice.id || r.Details["reason"] != "wrong_password" {
					t.Fatalf("failed login: %+v", r)
				}
			}})
			second, _ := auditLogin(t, srv, alice, auditPassword)
			rid = auditCall(t, srv, 200, "POST", "/api/v1/auth/sessions/refresh", nil, second.token)
			mine = append(mine, expectation{"session.refreshed", rid, byUser(alice, "session", second.session)})
			rid = auditCall(t, srv, 200, "DELETE", "/api/v1/auth/sessions/"+second.session, nil, alice.token)
			mine = append(mine, expectation{"session.revoked", rid, byUser(alice, "session", second.session)})
			third, _ := auditLogin(t, srv, alice, auditPassword)
			rid = auditCall(t, srv, 200, "POST", "/api/v1/auth/logout", nil, third.token)
			mine = append(mine, expectation{"auth.logout", rid, byUser(alice, "session", third.session)})
			rid = auditCall(t, srv, 200, "PATCH", "/api/v1/users/me", map[string]any{"name": "Alice Audited"}, alice.token)
			mine = append(mine, expectation{"user.profile.updated", rid, func(t *testing.T, r auditRecord) {
				byUser(alice, "user", alice.id)(t, r)
				if fmt.Sprint(r.Details["fields"]) != "[name]" {
					t.Fatalf("profile details: %v", r.Details)
				}
			}})
			rid = auditCall(t, srv, 200, "POST", "/api/v1/users/me/password", map[string]any{"current_password": auditPassword, "new_password": auditNewPassword}, alice.token)
			mine = append(mine, expectation{"user.password.changed", rid, byUser(alice, "user", alice.id)})

			// Organizations: alice owns one, bob is added and promoted,
			// carol is invited before she has an account.
			var org struct {
				ID string `json:"id"`
			}
			res := srv.Do(t, "POST", "/api/v1/organizations", map[string]any{"name": "Audit Org " + testenv.Unique()}, alice.token)
			if res.Status != http.StatusCreated {
				t.Fatalf("create organization: %d %s", res.Status, res.Body)
			}
			res.Decode(t, &org)
			var orgWide []expectation
			inOrg := func(targetType string, target func() string) func(t *testing.T, r auditRecord) {
				return func(t *testing.T, r auditRecord) {
					t.Helper()
					if str(r.OrganizationID) != org.ID || str(r.TargetType) != targetType || (target != nil && str(r.TargetID) != target()) {
						t.Fatalf("%s: organization %s target %s/%s", r.Action, str(r.OrganizationID), str(r.TargetType), str(r.TargetID))
					}
				}
			}
			orgWide = append(orgWide, expectation{"organization.created", res.Env.RequestID, inOrg("organization", func() string { return org.ID })})
			rid = auditCall(t, srv, 200, "PATCH", "/api/v1/organizations/"+org.ID, map[string]any{"name": "Audit Org Renamed " + testenv.Unique()}, alice.token)
			orgWide = append(orgWide, expectation{"organization.updated", rid, inOrg("organization", func() string { return org.ID })})

			bob, _ := auditSignUp(t, srv, "bob")
			bob, _ = auditLogin(t, srv, bob, auditPassword)
			res = srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": bob.email, "role": "member"}, alice.token)
			if res.Status != http.StatusCreated {
				t.Fatalf("invite bob: %d %s", res.Status, res.Body)
			}
			var bobInvitation struct {
				ID string `json:"id"`
			}
			res.Decode(t, &bobInvitation)
			orgWide = append(orgWide, expectation{"organization.invitation.created", res.Env.RequestID, inOrg("invitation", func() string { return bobInvitation.ID })})
			rid = auditCall(t, srv, 200, "POST", "/api/v1/users/me/invitations/"+bobInvitation.ID+"/accept", nil, bob.token)
			orgWide = append(orgWide, expectation{"organization.invitation.accepted", rid, inOrg("invitation", func() string { return bobInvitation.ID })})
			orgWide = append(orgWide, expectation{"organization.member.added", rid, inOrg("user", func() string { return bob.id })})
			rid = auditCall(t, srv, 200, "PATCH", "/api/v1/organizations/"+org.ID+"/members/"+bob.id+"/role", map[string]any{"role": "admin"}, alice.token)
			orgWide = append(orgWide, expectation{"organization.member.role_changed", rid, inOrg("user", func() string { return bob.id })})

			carolEmail := fmt.Sprintf("audit-carol-%s@example.com", testenv.Unique())
			res = srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": carolEmail}, bob.token)
			if res.Status != http.StatusCreated {
				t.Fatalf("invite carol: %d %s", res.Status, res.Body)
			}
			var carolInvitation struct {
				ID string `json:"id"`
			}
			res.Decode(t, &carolInvitation)
			orgWide = append(orgWide, expectation{"organization.invitation.created", res.Env.RequestID, inOrg("invitation", nil)})
			carol := auditUser{email: carolEmail}
			res = srv.Do(t, "POST", "/api/v1/auth/register", map[string]any{"email": carolEmail, "password": auditPassword, "name": "Carol"}, "")
			if res.Status != http.StatusCreated {
				t.Fatalf("register carol: %d %s", res.Status, res.Body)
			}
			verifyEmailOf(t, srv, carolEmail)
			var carolView struct {
				ID string `json:"id"`
			}
			res.Decode(t, &carolView)
			carol.id = carolView.ID
			carol, _ = auditLogin(t, srv, carol, auditPassword)
			// Registering joins nothing; carol joins when she accepts.
			rid = auditCall(t, srv, 200, "POST", "/api/v1/users/me/invitations/"+carolInvitation.ID+"/accept", nil, carol.token)
			orgWide = append(orgWide, expectation{"organization.invitation.accepted", rid, inOrg("invitation", func() string { return carolInvitation.ID })})
			orgWide = append(orgWide, expectation{"organization.member.added", rid, inOrg("user", func() string { return carol.id })})
			rid = auditCall(t, srv, 200, "DELETE", "/api/v1/organizations/"+org.ID+"/members/"+carol.id, nil, alice.token)
			orgWide = append(orgWide, expectation{"organization.member.removed", rid, inOrg("user", func() string { return carol.id })})

			// Who may read the organization's log: owners and admins; a
			// member is 403, a non-member and a malformed id 404.
			dave, _ := auditSignUp(t, srv, "dave")
			dave, _ = auditLogin(t, srv, dave, auditPassword)
			res = srv.Do(t, "POST", "/api/v1/organizations/"+org.ID+"/members", map[string]any{"email": dave.email}, alice.token)
			var daveInvitation struct {
				ID string `json:"id"`
			}
			res.Decode(t, &daveInvitation)
			auditCall(t, srv, 200, "POST", "/api/v1/users/me/invitations/"+daveInvitation.ID+"/accept", nil, dave.token)
			orgPath := "/api/v1/organizations/" + org.ID + "/audit-logs"
			for _, c := range []struct {
				who   string
				token string
				path  string
				want  int
			}{
				{"owner", alice.token, orgPath, 200},
				{"admin", bob.token, orgPath, 200},
				{"member", dave.token, orgPath, 403},
				{"former member", carol.token, orgPath, 404},
				{"unknown organization", alice.token, "/api/v1/organizations/" + uuid.NewString() + "/audit-logs", 404},
				{"malformed id", alice.token, "/api/v1/organizations/not-an-id/audit-logs", 404},
				{"anonymous", "", orgPath, 401},
			} {
				if got := srv.Do(t, "GET", c.path, nil, c.token).Status; got != c.want {
					t.Fatalf("%s reading the organization's log: %d, want %d", c.who, got, c.want)
				}
			}
			orgRecords := auditPages(t, srv, orgPath, bob.token)
			for _, e := range orgWide {
				r := findAudit(t, orgRecords, e.action, e.requestID)
				checkOrigin(t, r)
				e.check(t, r)
			}

			// Filters on the organization's log.
			members := auditPages(t, srv, orgPath+"?action=organization.member.*", alice.token)
			for _, r := range members {
				if !strings.HasPrefix(r.Action, "organization.member.") {
					t.Fatalf("prefix filter let %s through", r.Action)
				}
			}
			if len(members) < 3 {
				t.Fatalf("%d member records, want at least 3", len(members))
			}
			if got := auditPages(t, srv, orgPath+"?action=organization.created&actor_id="+alice.id, alice.token); len(got) != 1 {
				t.Fatalf("exact action and actor: %d records", len(got))
			}
			future := time.Now().UTC().Add(time.Hour).Format(time.RFC3339)
			if got := auditPages(t, srv, orgPath+"?from="+future, alice.token); len(got) != 0 {
				t.Fatalf("from the future: %d records", len(got))
			}
			for _, bad := range []string{"?from=yesterday", "?to=2025-13-01T00:00:00Z", "?action=auth%25", "?cursor=forged", "?limit=many"} {
				res := srv.Do(t, "GET", orgPath+bad, nil, alice.token)
				if res.Status != 400 || res.Env.Error.Type != "VALIDATION_ERROR" {
					t.Fatalf("%s: %d %s", bad, res.Status, res.Body)
				}
			}

			rid = auditCall(t, srv, 200, "DELETE", "/api/v1/organizations/"+org.ID, nil, alice.token)
			mine = append(mine, expectation{"organization.deleted", rid, inOrg("organization", func() string { return org.ID })})

			// The user's own feed: everything alice did or had done to her.
			own := auditPages(t, srv, "/api/v1/users/me/audit-logs", alice.token)
			for _, e := range mine {
				r := findAudit(t, own, e.action, e.requestID)
				checkOrigin(t, r)
				e.check(t, r)
			}
			for _, r := range own {
				if str(r.ActorID) != alice.id && !(str(r.TargetType) == "user" && str(r.TargetID) == alice.id) {
					t.Fatalf("alice sees a record that is not hers: %+v", r)
				}
			}
			bobsFeed := auditPages(t, srv, "/api/v1/users/me/audit-logs?action=organization.", bob.token)
			findAudit(t, bobsFeed, "organization.member.added", orgWide[4].requestID) // bob's acceptance
			if got := auditPages(t, srv, "/api/v1/users/me/audit-logs?action=auth.login.failed", alice.token); len(got) != 1 {
				t.Fatalf("alice's failed logins: %d", len(got))
			}

			// Records no user can read: an attempt on an unknown account,
			// an account that no longer exists, an anonymous enquiry.
			rid = auditCall(t, srv, 401, "POST", "/api/v1/auth/login", map[string]any{"email": "nobody-" + testenv.Unique() + "@example.com", "password": auditPassword}, "")
			r := storedAudit(t, srv, "auth.login.failed", rid)
			checkOrigin(t, r)
			if r.ActorType != "anonymous" || r.TargetID != nil || r.Details["reason"] != "unknown_email" {
				t.Fatalf("unknown-email login: %+v", r)
			}
			frank, _ := auditSignUp(t, srv, "frank")
			frank, _ = auditLogin(t, srv, frank, auditPassword)
			rid = auditCall(t, srv, 200, "DELETE", "/api/v1/users/me", map[string]any{"current_password": auditPassword}, frank.token)
			r = storedAudit(t, srv, "user.deleted", rid)
			checkOrigin(t, r)
			byUser(frank, "user", frank.id)(t, r)
			res = srv.Do(t, "POST", "/api/v1/contact", map[string]any{
				"type": "general", "name": "Audit Visitor", "email": "visitor@example.com",
				"company": "Example", "message": "Hello from the audit test.",
			}, "")
			if res.Status != http.StatusAccepted {
				t.Fatalf("contact: %d %s", res.Status, res.Body)
			}
			r = storedAudit(t, srv, "contact.enquiry.received", res.Env.RequestID)
			checkOrigin(t, r)
			if r.ActorType != "anonymous" {
				t.Fatalf("enquiry: %+v", r)
			}

			// After all of it the server's sealer has chained every record
			// and the chain is intact.
			db, err := pgstore.Open(pgstore.Options{URL: srv.DatabaseURL, SQLitePath: srv.SQLitePath, MaxOpenConns: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			awaitSealed(t, auditpg.New(db), 10*time.Second)
			rep, err := auditapp.NewAdmin(auditpg.New(db)).Verify(context.Background(), 7)
			if err != nil || rep.Break != nil || rep.Checked < 20 || rep.Unsealed != 0 {
				t.Fatalf("chain after the run: %+v %v", rep, err)
			}
		})
	}
}

// awaitSealed polls until no record awaits the sealer, failing after
// deadline.
func awaitSealed(t *testing.T, store *auditpg.Store, deadline time.Duration) {
	t.Helper()
	end := time.Now().Add(deadline)
	for {
		b, err := store.Backlog(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if b.Count == 0 {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%d record(s) still unsealed after %s, the oldest from %v", b.Count, deadline, b.Oldest)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestAudit_RecordsAreSealedByTheServerSoonAfterTheirCommitUnderLoad runs
// profile changes from several clients at once against a running server
// and polls the read API until every one of their records has its place in
// the chain. The bound is about a second (AUDIT_SEAL_INTERVAL plus a pass);
// the test allows a generous multiple of it, so it proves the sealer runs
// and keeps up, not a timing.
func TestAudit_RecordsAreSealedByTheServerSoonAfterTheirCommitUnderLoad(t *testing.T) {
	for _, backend := range apitest.Backends {
		t.Run(backend.String(), func(t *testing.T) {
			srv := apitest.Start(t, backend, apitest.WithConfig(func(c *bootstrap.Config) {
				c.LoginRateLimitPerIP = 1000
				c.RegisterRateLimitPerIP = 1000
			}))
			const clients, changes = 4, 10
			users := make([]auditUser, clients)
			for i := range users {
				u, _ := auditSignUp(t, srv, fmt.Sprintf("load%d", i))
				users[i], _ = auditLogin(t, srv, u, auditPassword)
			}
			errs := make(chan error, clients)
			for i := range users {
				go func() {
					for j := 0; j < changes; j++ {
						res := srv.Do(t, "PATCH", "/api/v1/users/me", map[string]any{"name": fmt.Sprintf("Load %d.%d", i, j)}, users[i].token)
						if res.Status != http.StatusOK {
							errs <- fmt.Errorf("profile change: %d %s", res.Status, res.Body)
							return
						}
					}
					errs <- nil
				}()
			}
			for range users {
				if err := <-errs; err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for _, u := range users {
				for {
					recs := auditPages(t, srv, "/api/v1/users/me/audit-logs?action=user.profile.updated", u.token)
					unsealed := 0
					for _, r := range recs {
						if r.Sequence == nil {
							unsealed++
						}
					}
					if len(recs) == changes && unsealed == 0 {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("%d of %d records still unsealed", unsealed, len(recs))
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		})
	}
}
