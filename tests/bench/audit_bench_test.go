//go:build integration

package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
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
// record (by its insert position), so the ratio says what the filters and ordering cost on top of a
// single index probe. A second case reads a user's own records (actor or
// target, about 40 per user, all time). The seed is computed server-side by one INSERT … SELECT over
// generate_series (each record with its link in audit_chain, as sealed
// records have); its hash chain is not valid, which a query does not need.
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
		err := db.Conn(ctx).Raw(`SELECT pos FROM audit_logs WHERE pos = ?`, 1+rng.Int64N(auditBenchRows)).Scan(&seq).Error
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
		fmt.Sprintf(`INSERT INTO audit_logs (pos, id, occurred_at, actor_type, actor_id, action, target_type,
		        target_id, organization_id, client_ip, user_agent, request_id, details)
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
		       '{"reason":"bench"}'
		FROM generate_series(1, %d) AS g`,
			auditBenchStart.Format(time.RFC3339), int(auditBenchStep/time.Second),
			benchUserPrefix, benchUserPrefix, benchOrgID(0), benchOrgPrefix, auditBenchOrgs-1, auditBenchRows),
		fmt.Sprintf(`INSERT INTO audit_chain (sequence, pos, prev_hash, hash)
		SELECT g, g, repeat('0', 64), repeat('0', 64) FROM generate_series(1, %d) AS g`, auditBenchRows),
		`ALTER TABLE audit_logs ENABLE TRIGGER USER`,
		fmt.Sprintf(`UPDATE audit_chain_head SET sequence = %d, pos = %d`, auditBenchRows, auditBenchRows),
		fmt.Sprintf(`SELECT setval('audit_logs_pos_seq', %d)`, auditBenchRows),
		`ANALYZE audit_logs`,
		`ANALYZE audit_chain`,
	}
	// Seeding takes longer than the database's default bound on a
	// statement without a deadline.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for _, s := range stmts {
		if err := db.Gorm().WithContext(ctx).Exec(s).Error; err != nil {
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

// auditCommitPhase is how long one measurement of one kind of transaction
// runs; each worker count measures every kind auditCommitRounds times, in
// turn, so all of them see the same machine.
const (
	auditCommitPhase  = 500 * time.Millisecond
	auditCommitRounds = 8
)

// BenchmarkAuditedCommits measures audited commits per second as a share
// of plain insert transactions per second on PostgreSQL, at 1, 4, 16 and 32
// concurrent workers, in the same run, two ways:
//
//   - audited/plain: a use case's transaction (one row inserted into a
//     table of its own, the business change) with its audit record written
//     through the real recorder (auditapp on auditpg) in the same
//     transaction, against the same transaction without the record;
//   - record/row: an audit record in a transaction of its own (what a
//     refused attempt writes) against a plain insert transaction of the
//     same row into audit_plain, audit_logs' columns with the indexes the
//     read API uses and no chain: what the chain itself costs.
//
// The sealer runs throughout, as it does inside serve, woken after each
// commit, so its cost is in both figures. While transactions run, the age
// of the oldest record awaiting the sealer is sampled every 50 ms, in every
// phase so that each pays for the sampling (seal-lag-ms, the largest seen
// while audited ones ran: how long after its commit a record is sealed at
// worst); after each audited phase the benchmark waits for the
// sealer to drain what is left (drain-ms), and at the end it verifies the
// whole chain.
//
//	go test -tags integration -run '^$' -bench BenchmarkAuditedCommits -benchtime 1x ./tests/bench
func BenchmarkAuditedCommits(b *testing.B) {
	ctx := context.Background()
	db, err := pgstore.Open(pgstore.Options{
		URL: testenv.NewPostgresDatabase(b), MaxOpenConns: 40,
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
	for _, stmt := range []string{
		`CREATE TABLE bench_changes (id uuid PRIMARY KEY, changed_at timestamptz NOT NULL, note text NOT NULL)`,
		`CREATE TABLE audit_plain (pos bigserial PRIMARY KEY, id uuid NOT NULL UNIQUE, occurred_at timestamptz NOT NULL,
			actor_type text NOT NULL, actor_id text, action text NOT NULL, target_type text, target_id text,
			organization_id uuid, client_ip text, user_agent text, request_id text, correlation_id text,
			details json NOT NULL, prev_hash text NOT NULL, hash text NOT NULL)`,
		`CREATE INDEX ON audit_plain (organization_id, occurred_at DESC, pos DESC) WHERE organization_id IS NOT NULL`,
		`CREATE INDEX ON audit_plain (actor_id, occurred_at DESC, pos DESC) WHERE actor_id IS NOT NULL`,
		`CREATE INDEX ON audit_plain (target_id, occurred_at DESC, pos DESC) WHERE target_id IS NOT NULL`,
		`CREATE INDEX ON audit_plain (occurred_at, pos)`,
	} {
		if err := db.Gorm().Exec(stmt).Error; err != nil {
			b.Fatal(err)
		}
	}
	store := auditpg.New(db)
	rec := auditapp.NewRecorder(store, db, platformport.SystemClock, nil)
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: store, Interval: auditapp.DefaultSealInterval})
	if err != nil {
		b.Fatal(err)
	}
	rec.AfterCommit(sealer.Wake)
	sealCtx, stopSealer := context.WithCancel(ctx)
	sealed := make(chan error, 1)
	go func() { sealed <- sealer.Run(sealCtx) }()
	b.Cleanup(func() {
		stopSealer()
		<-sealed
	})

	event := func() auditport.Event {
		user := uuid.NewString()
		return auditport.Event{
			Action: "user.profile.updated", ActorID: user, TargetType: "user", TargetID: user,
			Details: map[string]any{"fields": []string{"name"}},
		}
	}
	change := func(ctx context.Context) error {
		return db.Conn(ctx).Exec(`INSERT INTO bench_changes (id, changed_at, note) VALUES (?, ?, ?)`,
			uuid.New(), time.Now().UTC(), "profile name changed").Error
	}
	kinds := []func(ctx context.Context) error{
		// 0: the business change alone.
		func(ctx context.Context) error { return db.Transaction(ctx, change) },
		// 1: the business change with its audit record.
		func(ctx context.Context) error {
			return db.Transaction(ctx, func(ctx context.Context) error {
				if err := change(ctx); err != nil {
					return err
				}
				return rec.Record(ctx, event())
			})
		},
		// 2: the audit record's row, inserted plainly.
		func(ctx context.Context) error {
			user, id := uuid.NewString(), uuid.Must(uuid.NewV7())
			return db.Transaction(ctx, func(ctx context.Context) error {
				return db.Conn(ctx).Exec(`INSERT INTO audit_plain (id, occurred_at, actor_type, actor_id, action, target_type,
					target_id, client_ip, user_agent, request_id, details, prev_hash, hash)
					VALUES (?, ?, 'user', ?, 'user.profile.updated', 'user', ?, ?, ?, ?, ?, '', '')`,
					id, time.Now().UTC(), user, user, "203.0.113.7", "Mozilla/5.0 (bench)", uuid.NewString(), `{"fields":["name"]}`).Error
			})
		},
		// 3: the audit record in its own transaction.
		func(ctx context.Context) error { return rec.Record(ctx, event()) },
	}
	var total int64
	for _, workers := range []int{1, 4, 16, 32} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			var n [4]int64
			var d [4]time.Duration
			var drain, lag time.Duration
			for round := 0; round < auditCommitRounds; round++ {
				for k, tx := range kinds {
					audited := k == 1 || k == 3
					// Every phase pays for the sampler's reads, so the
					// ratios compare the transactions alone.
					stopLag := sampleSealLag(b, store)
					c, el := runCommits(b, workers, tx)
					n[k], d[k] = n[k]+c, d[k]+el
					phaseLag := stopLag()
					if audited {
						lag = max(lag, phaseLag)
						total += c
						drain = max(drain, awaitBacklogDrained(b, store))
					}
				}
			}
			rate := func(k int) float64 { return float64(n[k]) / d[k].Seconds() }
			b.ReportMetric(rate(0), "plain-tx/s")
			b.ReportMetric(rate(1), "audited-tx/s")
			b.ReportMetric(rate(1)/rate(0), "audited/plain")
			b.ReportMetric(rate(3)/rate(2), "record/row")
			b.ReportMetric(float64(drain.Microseconds())/1000, "drain-ms")
			b.ReportMetric(float64(lag.Microseconds())/1000, "seal-lag-ms")
		})
	}
	rep, err := auditapp.NewAdmin(store).Verify(ctx, 5000)
	if err != nil || rep.Break != nil || rep.Checked != total || rep.Unsealed != 0 {
		b.Fatalf("chain after the run: %+v %v (want %d records)", rep, err, total)
	}
}

// runCommits runs tx from workers goroutines for auditCommitPhase and
// returns how many committed and how long it took.
func runCommits(b *testing.B, workers int, tx func(context.Context) error) (int64, time.Duration) {
	b.Helper()
	var n atomic.Int64
	var failed atomic.Pointer[error]
	stop := make(chan struct{})
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				ctx := shared.WithRequestMeta(context.Background(), shared.RequestMeta{
					RequestID: uuid.NewString(), ClientIP: "203.0.113.7", UserAgent: "Mozilla/5.0 (bench)",
				})
				if err := tx(ctx); err != nil {
					failed.Store(&err)
					return
				}
				n.Add(1)
			}
		}()
	}
	<-time.NewTimer(auditCommitPhase).C
	close(stop)
	wg.Wait()
	d := time.Since(start)
	if err := failed.Load(); err != nil {
		b.Fatal(*err)
	}
	return n.Load(), d
}

// sampleSealLag reads the age of the oldest unsealed record every 50 ms
// until the returned function is called, which returns the largest.
func sampleSealLag(b *testing.B, store *auditpg.Store) func() time.Duration {
	b.Helper()
	stop := make(chan struct{})
	worst := make(chan time.Duration, 1)
	go func() {
		var lag time.Duration
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				worst <- lag
				return
			case <-tick.C:
			}
			bl, err := store.Backlog(context.Background())
			if err == nil && bl.Count > 0 {
				lag = max(lag, time.Since(bl.Oldest))
			}
		}
	}()
	return func() time.Duration {
		close(stop)
		return <-worst
	}
}

// awaitBacklogDrained polls until the sealer has sealed everything and
// returns how long that took.
func awaitBacklogDrained(b *testing.B, store *auditpg.Store) time.Duration {
	b.Helper()
	start := time.Now()
	for {
		bl, err := store.Backlog(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		if bl.Count == 0 {
			return time.Since(start)
		}
		if time.Since(start) > time.Minute {
			b.Fatalf("%d records still unsealed after a minute", bl.Count)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
