//go:build integration

package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/tests/testenv"
)

const (
	auditBenchRows = 1_000_000
	// One organization in ten records is the big one the queries read
	// (100,000 records); the rest spread over 999 others, a fifth of all
	// records belong to none.
	auditBenchOrgs = 1000
	auditBenchStep = 30 * time.Second
)

var auditBenchStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkAuditPageQuery measures the read API's page query on 1,000,000
// records in PostgreSQL: one organization's records under an action prefix
// in a one-week window, newest first, 50 per page, through the real store.
// The baseline, measured in the same run, is a primary-key point read of one
// record, so the ratio says what the filters and ordering cost on top of a
// single index probe. A second case reads a user's own records (actor or
// target, about 40 per user, all time). The seed is computed server-side by one INSERT … SELECT over
// generate_series; its hash chain is not valid, which a query does not need.
//
//	go test -tags integration -run '^$' -bench BenchmarkAuditPageQuery -benchtime 2000x ./tests/bench
func BenchmarkAuditPageQuery(b *testing.B) {
	ctx := context.Background()
	db, err := pgstore.Open(pgstore.Options{
		URL: testenv.NewPostgresDatabase(b), MaxOpenConns: 4,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = db.Close() })
	m, err := pgstore.NewMigrator(db, migrations.FS)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := m.Up(ctx); err != nil {
		b.Fatal(err)
	}
	seeded := time.Now()
	seedAuditRecords(b, db)
	b.Logf("seeded %d audit records in %s", auditBenchRows, time.Since(seeded).Round(time.Millisecond))

	store := auditpg.New(db)
	bigOrg := shared.OrganizationID(benchOrgID(0))
	prefix, err := audit.ParseActionFilter("organization.member.*")
	if err != nil {
		b.Fatal(err)
	}
	span := time.Duration(auditBenchRows) * auditBenchStep
	week := 7 * 24 * time.Hour
	rng := rand.New(rand.NewPCG(1, 2))
	randomWindow := func() (time.Time, time.Time) {
		from := auditBenchStart.Add(time.Duration(rng.Int64N(int64(span - week))))
		return from, from.Add(week)
	}

	b.Run("organization+prefix+week", func(b *testing.B) {
		runAuditQueries(b, db, func() (int, error) {
			from, to := randomWindow()
			recs, err := store.List(ctx, auditport.Query{
				Organization: bigOrg, Action: prefix, From: from, To: to, Limit: 51,
			})
			return len(recs), err
		})
	})
	b.Run("user-as-actor-or-target", func(b *testing.B) {
		runAuditQueries(b, db, func() (int, error) {
			user := shared.UserID(benchUserID(rng.IntN(50_000)))
			recs, err := store.List(ctx, auditport.Query{Subject: user, Limit: 51})
			return len(recs), err
		})
	})
}

// runAuditQueries times b.N runs of query and, in the same run, as many
// primary-key point reads; it reports both latencies and their ratio.
func runAuditQueries(b *testing.B, db *pgstore.DB, query func() (int, error)) {
	ctx := context.Background()
	for i := 0; i < 20; i++ { // warm the connection pool and the cache
		if _, err := query(); err != nil {
			b.Fatal(err)
		}
	}
	rng := rand.New(rand.NewPCG(3, 4))
	base := make([]time.Duration, 0, b.N)
	for i := 0; i < b.N; i++ {
		var seq int64
		t0 := time.Now()
		err := db.Conn(ctx).Raw(`SELECT sequence FROM audit_logs WHERE sequence = ?`, 1+rng.Int64N(auditBenchRows)).Scan(&seq).Error
		base = append(base, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	rows := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		n, err := query()
		lat = append(lat, time.Since(t0))
		if err != nil {
			b.Fatal(err)
		}
		rows += n
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	sort.Slice(base, func(i, j int) bool { return base[i] < base[j] })
	p50, p99 := auditQuantile(lat, 0.50), auditQuantile(lat, 0.99)
	b.ReportMetric(auditMillis(p50), "p50-ms")
	b.ReportMetric(auditMillis(p99), "p99-ms")
	b.ReportMetric(auditMillis(auditQuantile(base, 0.50)), "pk-read-p50-ms")
	b.ReportMetric(float64(p50)/float64(max(auditQuantile(base, 0.50), 1)), "page/pk-read")
	b.ReportMetric(float64(rows)/float64(b.N), "rows/page")
}

// seedAuditRecords fills audit_logs with auditBenchRows records in one
// statement computed by the server: thirty seconds apart, sixteen actions
// in rotation, 50,000 users, and organizations as described above.
func seedAuditRecords(b *testing.B, db *pgstore.DB) {
	b.Helper()
	stmts := []string{
		`ALTER TABLE audit_logs DISABLE TRIGGER USER`,
		fmt.Sprintf(`INSERT INTO audit_logs (sequence, id, occurred_at, actor_type, actor_id, action, target_type,
		        target_id, organization_id, client_ip, user_agent, request_id, details, prev_hash, hash)
		SELECT g,
		       gen_random_uuid(),
		       timestamptz '%s' + g * interval '%d seconds',
		       'user',
		       '%s' || lpad(to_hex(g %% 50000), 12, '0'),
		       (ARRAY['auth.register','auth.login.succeeded','auth.login.failed','auth.logout',
		              'session.refreshed','session.revoked','user.password.changed','user.profile.updated',
		              'organization.created','organization.updated','organization.member.added',
		              'organization.member.removed','organization.member.role_changed',
		              'organization.invitation.created','organization.invitation.accepted',
		              'contact.enquiry.received'])[1 + g %% 16],
		       'user',
		       '%s' || lpad(to_hex((g * 7) %% 50000), 12, '0'),
		       CASE WHEN g %% 10 = 0 THEN '%s'::uuid
		            WHEN g %% 5 = 1 THEN NULL
		            ELSE ('%s' || lpad(to_hex(1 + g %% %d), 12, '0'))::uuid END,
		       '203.0.113.' || (g %% 250),
		       'Mozilla/5.0 (bench)',
		       gen_random_uuid()::text,
		       '{"reason":"bench"}',
		       repeat('0', 64),
		       repeat('0', 64)
		FROM generate_series(1, %d) AS g`,
			auditBenchStart.Format(time.RFC3339), int(auditBenchStep/time.Second),
			benchUserPrefix, benchUserPrefix, benchOrgID(0), benchOrgPrefix, auditBenchOrgs-1, auditBenchRows),
		`ALTER TABLE audit_logs ENABLE TRIGGER USER`,
		fmt.Sprintf(`UPDATE audit_chain_head SET sequence = %d`, auditBenchRows),
		`ANALYZE audit_logs`,
	}
	for _, s := range stmts {
		if err := db.Gorm().Exec(s).Error; err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}

const (
	benchUserPrefix = "00000000-0000-4000-8000-"
	benchOrgPrefix  = "00000000-0000-4000-9000-"
)

func benchUserID(i int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("%s%012x", benchUserPrefix, i)) }

func benchOrgID(i int) uuid.UUID { return uuid.MustParse(fmt.Sprintf("%s%012x", benchOrgPrefix, i)) }

func auditQuantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[int(q*float64(len(sorted)-1)+0.5)]
}

func auditMillis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
