//go:build integration

package auditpg_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/migrations"
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

func TestStore_KeepsTheContractOnPostgres(t *testing.T) {
	auditporttest.Run(t, func(t *testing.T) auditporttest.Harness {
		return harness(t, testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)}))
	})
}

func dialects() map[string]func(t *testing.T) pgstore.Options {
	return map[string]func(t *testing.T) pgstore.Options{
		"sqlite":   func(t *testing.T) pgstore.Options { return pgstore.Options{SQLitePath: testenv.SQLiteURL(t)} },
		"postgres": func(t *testing.T) pgstore.Options { return pgstore.Options{URL: testenv.NewPostgresDatabase(t)} },
	}
}

func entryFor(t *testing.T, action string) audit.Entry {
	t.Helper()
	actor, _ := audit.NewActor(audit.ActorUser, uuid.NewString())
	act, err := audit.ParseAction(action)
	if err != nil {
		t.Fatal(err)
	}
	e, err := audit.NewEntry(audit.EntryParams{ID: uuid.New(), OccurredAt: time.Now(), Actor: actor, Action: act,
		Origin: audit.NewOrigin("192.0.2.1", "store-test", uuid.NewString(), "")})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func sealAll(t *testing.T, s *auditpg.Store) int {
	t.Helper()
	n, err := s.Seal(context.Background(), 1000, func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
		recs, _, err := audit.SealPending(head, pending)
		return recs, err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func verifyChain(t *testing.T, s *auditpg.Store) []audit.Record {
	t.Helper()
	recs, err := s.Scan(context.Background(), 0, 100_000)
	if err != nil {
		t.Fatal(err)
	}
	head, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	v := audit.NewChainVerifier()
	for _, r := range recs {
		if b := v.Check(r); b != nil {
			t.Fatalf("chain broken: %v", b)
		}
	}
	if b := v.Finish(head); b != nil {
		t.Fatalf("chain broken: %v", b)
	}
	return recs
}

// Records and their links are append-only in the database too: no update
// or delete of either, sealed or not. (The sealer only inserts links and
// removes queue entries.)
func TestStore_DatabaseRefusesUpdatesAndDeletesOfRecordsAndLinks(t *testing.T) {
	for name, o := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			s := auditpg.New(db)
			ctx := context.Background()
			if err := s.Insert(ctx, []audit.Entry{entryFor(t, "sessions.expired")}); err != nil {
				t.Fatal(err)
			}
			if sealAll(t, s) != 1 {
				t.Fatal("the first record was not sealed")
			}
			if err := s.Insert(ctx, []audit.Entry{entryFor(t, "auth.logout")}); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{
				`UPDATE audit_logs SET action = 'auth.logout' WHERE pos = 1`,
				`UPDATE audit_logs SET action = 'auth.login.failed' WHERE pos = 2`,
				`DELETE FROM audit_logs WHERE pos = 2`,
				`DELETE FROM audit_logs`,
				`UPDATE audit_chain SET hash = '` + strings.Repeat("a", 64) + `' WHERE sequence = 1`,
				`UPDATE audit_chain SET pos = 2 WHERE sequence = 1`,
				`DELETE FROM audit_chain`,
			} {
				err := db.Gorm().Exec(stmt).Error
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Fatalf("%s: err = %v, want the append-only refusal", stmt, err)
				}
			}
			if n := sealAll(t, s); n != 1 {
				t.Fatalf("the sealer sealed %d, want the unsealed record", n)
			}
			if recs := verifyChain(t, s); len(recs) != 2 {
				t.Fatalf("%d records in the chain", len(recs))
			}
		})
	}
}

// A watermark moved past a record behind the application's back leaves a
// record the sealer never reads: Strays finds it. A gap without a record,
// or at a record linked already, does not stop the sealer.
func TestStore_StraysAreRecordsNeitherSealedNorAwaitingTheSealer(t *testing.T) {
	for name, o := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			s := auditpg.New(db)
			ctx := context.Background()
			lost, kept := entryFor(t, "auth.logout"), entryFor(t, "auth.logout")
			if err := s.Insert(ctx, []audit.Entry{lost, kept}); err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec(`UPDATE audit_chain_head SET pos = (SELECT pos FROM audit_logs WHERE id = ?), gaps = '999:0' WHERE id = 1`, lost.ID().String()).Error; err != nil {
				t.Fatal(err)
			}
			if n := sealAll(t, s); n != 1 {
				t.Fatalf("sealed %d, want only the record above the watermark", n)
			}
			if g := gapsOf(t, db); g != "" {
				t.Fatalf("gaps = %q, want the empty one dropped", g)
			}
			if err := db.Gorm().Exec(`UPDATE audit_chain_head SET gaps = (SELECT pos || ':0' FROM audit_chain WHERE sequence = 1) WHERE id = 1`).Error; err != nil {
				t.Fatal(err)
			}
			if n := sealAll(t, s); n != 0 {
				t.Fatalf("sealed %d from a gap at a sealed record, want none", n)
			}
			if g := gapsOf(t, db); g != "" {
				t.Fatalf("gaps = %q, want the stale one dropped", g)
			}
			if b, err := s.Backlog(ctx); err != nil || b.Count != 0 {
				t.Fatalf("backlog = %+v, %v: nothing awaits the sealer", b, err)
			}
			st, err := s.Strays(ctx)
			if err != nil || st.Count != 1 || st.First != lost.ID() {
				t.Fatalf("strays = %+v, %v; want the record passed over", st, err)
			}
			if err := db.Gorm().Exec(`UPDATE audit_chain_head SET gaps = 'x' WHERE id = 1`).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := s.Seal(ctx, 10, sealPending); err == nil || !strings.Contains(err.Error(), "malformed") {
				t.Fatalf("seal with malformed gaps: %v", err)
			}
			if _, err := s.Strays(ctx); err == nil {
				t.Fatal("strays with malformed gaps: no error")
			}
		})
	}
}

func sealPending(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
	recs, _, err := audit.SealPending(head, pending)
	return recs, err
}

func gapsOf(t *testing.T, db *pgstore.DB) string {
	t.Helper()
	var g string
	if err := db.Gorm().Raw(`SELECT gaps FROM audit_chain_head WHERE id = 1`).Scan(&g).Error; err != nil {
		t.Fatal(err)
	}
	return g
}

// Records queued for the sealer before migration 00032 become gaps and
// are sealed; a record whose queue entry was removed stays a stray; and
// migrating down queues every record still awaiting the sealer again.
func TestMigration00032_TurnsTheQueueIntoGaps(t *testing.T) {
	for name, o := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			ctx := context.Background()
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 31); err != nil {
				t.Fatal(err)
			}
			ins := func(e audit.Entry) {
				r := e.Unsealed().State()
				if err := db.Gorm().Exec(`INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, action,
					client_ip, user_agent, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID.String(), r.OccurredAt.UTC(),
					r.ActorType, r.ActorID, r.Action, r.ClientIP, r.UserAgent, r.RequestID, string(r.Details)).Error; err != nil {
					t.Fatal(err)
				}
			}
			queued, stray, last := entryFor(t, "auth.logout"), entryFor(t, "auth.logout"), entryFor(t, "auth.logout")
			ins(queued)
			ins(stray)
			ins(last)
			if err := db.Gorm().Exec(`INSERT INTO audit_pending (pos) SELECT pos FROM audit_logs WHERE id IN (?, ?)`,
				queued.ID().String(), last.ID().String()).Error; err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec(`INSERT INTO audit_pending (pos) VALUES (999)`).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			s := auditpg.New(db)
			if b, err := s.Backlog(ctx); err != nil || b.Count != 2 {
				t.Fatalf("backlog after the migration = %+v, %v; want the 2 queued records", b, err)
			}
			if n := sealAll(t, s); n != 2 {
				t.Fatalf("sealed %d, want the 2 queued records", n)
			}
			if recs := verifyChain(t, s); len(recs) != 2 || recs[0].ID() != queued.ID() || recs[1].ID() != last.ID() {
				t.Fatalf("chain %v", recs)
			}
			if g := gapsOf(t, db); g != "" {
				t.Fatalf("gaps = %q after sealing", g)
			}
			if st, err := s.Strays(ctx); err != nil || st.Count != 1 || st.First != stray.ID() {
				t.Fatalf("strays = %+v, %v", st, err)
			}

			// Down again: a record inserted since is queued, the stray is not.
			fresh := entryFor(t, "auth.logout")
			if err := s.Insert(ctx, []audit.Entry{fresh}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 31); err != nil {
				t.Fatal(err)
			}
			var queuedIDs []string
			if err := db.Gorm().Raw(`SELECT l.id FROM audit_pending p JOIN audit_logs l ON l.pos = p.pos`).Scan(&queuedIDs).Error; err != nil {
				t.Fatal(err)
			}
			if len(queuedIDs) != 1 || queuedIDs[0] != fresh.ID().String() {
				t.Fatalf("queued after migrating down: %v, want the fresh record", queuedIDs)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			if n := sealAll(t, s); n != 1 {
				t.Fatalf("sealed %d after migrating up again, want the fresh record", n)
			}
			verifyChain(t, s)
		})
	}
}

// Records written before migrations 00017 and 00019 (sealed at insert,
// the sequence their primary key) verify unchanged after them, keep their
// sequence as their insert position, and the chain carries on from them;
// migrating down keeps every record and link.
func TestMigrations00017And00019_KeepEarlierChainsVerifyingAndContinueThem(t *testing.T) {
	for name, o := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			ctx := context.Background()
			m, err := pgstore.NewMigrator(db, migrations.FS)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 16); err != nil {
				t.Fatal(err)
			}
			old, head := audit.Seal(audit.Genesis(), []audit.Entry{entryFor(t, "auth.register"), entryFor(t, "auth.login.succeeded"), entryFor(t, "auth.logout")})
			for _, r := range old {
				st := r.State()
				if err := db.Gorm().Exec(`INSERT INTO audit_logs (sequence, id, occurred_at, actor_type, actor_id, action,
					client_ip, user_agent, request_id, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					st.Sequence, st.ID.String(), st.OccurredAt, st.ActorType, st.ActorID, st.Action,
					st.ClientIP, st.UserAgent, st.RequestID, string(st.Details), st.PrevHash, st.Hash).Error; err != nil {
					t.Fatal(err)
				}
			}
			if err := db.Gorm().Exec(`UPDATE audit_chain_head SET sequence = ?, hash = ? WHERE id = 1`, head.Sequence(), head.Hash()).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			s := auditpg.New(db)
			recs := verifyChain(t, s)
			if len(recs) != 3 {
				t.Fatalf("%d records after the migration, want 3", len(recs))
			}
			for i, r := range recs {
				if r.Pos() != r.Sequence() || r.ID() != old[i].ID() || r.Hash() != old[i].Hash() {
					t.Fatalf("record %d: pos %d sequence %d", i, r.Pos(), r.Sequence())
				}
			}
			if err := s.Insert(ctx, []audit.Entry{entryFor(t, "auth.logout")}); err != nil {
				t.Fatal(err)
			}
			if n := sealAll(t, s); n != 1 {
				t.Fatalf("sealed %d", n)
			}
			recs = verifyChain(t, s)
			if len(recs) != 4 || recs[3].Sequence() != 4 || recs[3].Pos() != 4 {
				t.Fatalf("the new record: sequence %d pos %d", recs[3].Sequence(), recs[3].Pos())
			}

			// Going back down needs every record sealed; down to 00017 an
			// unsealed record keeps its state.
			if err := s.Insert(ctx, []audit.Entry{entryFor(t, "auth.logout")}); err != nil {
				t.Fatal(err)
			}
			if _, err := m.DownTo(ctx, 17); err != nil {
				t.Fatal(err)
			}
			var unsealed int64
			if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE sequence IS NULL AND prev_hash = ''`).Scan(&unsealed).Error; err != nil || unsealed != 1 {
				t.Fatalf("at 00017: %d unsealed records, %v; want 1", unsealed, err)
			}
			if _, err := m.DownTo(ctx, 16); err == nil {
				t.Fatal("migrating down with an unsealed record must fail")
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			sealAll(t, s)
			if _, err := m.DownTo(ctx, 16); err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := db.Gorm().Raw(`SELECT count(*) FROM audit_logs WHERE sequence BETWEEN 1 AND 5`).Scan(&n).Error; err != nil || n != 5 {
				t.Fatalf("after migrating down: %d records by sequence, %v", n, err)
			}
			if _, err := m.Up(ctx); err != nil {
				t.Fatal(err)
			}
			verifyChain(t, s)
		})
	}
}

// holdRecord writes e's record in a transaction at once (as the statement
// would be, between its insert and the COMMIT sent with it) and keeps the
// transaction open until release is closed; then it commits, or rolls
// back when rollback is set.
func holdRecord(t *testing.T, db *pgstore.DB, e audit.Entry, release <-chan struct{}, rollback bool) (inserted <-chan struct{}, done <-chan error) {
	t.Helper()
	in, out := make(chan struct{}), make(chan error, 1)
	go func() {
		out <- db.Transaction(context.Background(), func(ctx context.Context) error {
			r := e.Unsealed().State()
			if err := db.Conn(ctx).Exec(`INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, action,
				client_ip, user_agent, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, r.OccurredAt.UTC(),
				r.ActorType, r.ActorID, r.Action, r.ClientIP, r.UserAgent, r.RequestID, string(r.Details)).Error; err != nil {
				return err
			}
			close(in)
			<-release
			if rollback {
				return errRolledBack
			}
			return nil
		})
	}()
	select {
	case <-in:
	case err := <-out:
		t.Fatalf("the held transaction ended before it was held open: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("the held transaction did not insert")
	}
	return in, out
}

var errRolledBack = errors.New("rolled back on purpose")

// On PostgreSQL a position is taken in the INSERT sent with the COMMIT, so
// two commits racing can commit a lower position after a higher one was
// sealed and the sealer's watermark moved past it. Here the lower one is
// written by a transaction held open, which took its id after the higher
// one's transaction took its own: the sealer must keep the lower position
// as a gap through any number of passes while that transaction runs, and
// seal its record once it commits.
func TestStore_OnPostgresAPositionCommittedLateIsSealedNotSkipped(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	s := auditpg.New(db)
	ctx := context.Background()
	early, late := entryFor(t, "auth.login.succeeded"), entryFor(t, "auth.logout")
	release := make(chan struct{})
	var done <-chan error
	// The late record's transaction has its id first, then another
	// transaction takes one, then the early one takes its id and a lower
	// position, then the late one inserts and commits: the early
	// transaction's id is above every id completed when the sealer reads,
	// so only an id taken after the read bounds it.
	releaseMiddle, middleDone := make(chan struct{}), make(chan error, 1)
	if err := db.Transaction(ctx, func(ctx context.Context) error {
		if err := db.Conn(ctx).Exec(`SELECT pg_current_xact_id()`).Error; err != nil {
			return err
		}
		middleHasID := make(chan struct{})
		go func() {
			middleDone <- db.Transaction(context.Background(), func(ctx context.Context) error {
				if err := db.Conn(ctx).Exec(`SELECT pg_current_xact_id()`).Error; err != nil {
					close(middleHasID)
					return err
				}
				close(middleHasID)
				<-releaseMiddle
				return nil
			})
		}()
		<-middleHasID
		_, done = holdRecord(t, db, early, release, false)
		return s.Insert(ctx, []audit.Entry{late})
	}); err != nil {
		t.Fatal(err)
	}
	if n := sealAll(t, s); n != 1 {
		t.Fatalf("sealed %d while the early record was uncommitted, want the late one", n)
	}
	if g := gapsOf(t, db); g == "" {
		t.Fatal("no gap left for the early record's position")
	}
	close(releaseMiddle)
	if err := <-middleDone; err != nil {
		t.Fatal(err)
	}
	// More records and passes while the early transaction runs: each pass
	// has a newer snapshot, and none may drop its position.
	more := []audit.Entry{entryFor(t, "auth.logout"), entryFor(t, "auth.logout")}
	for _, e := range more {
		if err := s.Insert(ctx, []audit.Entry{e}); err != nil {
			t.Fatal(err)
		}
		if n := sealAll(t, s); n != 1 {
			t.Fatalf("sealed %d, want the record just written", n)
		}
	}
	for i := 0; i < 3; i++ {
		if n := sealAll(t, s); n != 0 {
			t.Fatalf("sealed %d with nothing committed", n)
		}
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if b, err := s.Backlog(ctx); err != nil || b.Count != 1 {
		t.Fatalf("backlog after the early commit = %+v, %v; want its record", b, err)
	}
	if n := sealAll(t, s); n != 1 {
		t.Fatalf("sealed %d after the early commit, want it", n)
	}
	recs := verifyChain(t, s)
	want := []uuid.UUID{late.ID(), more[0].ID(), more[1].ID(), early.ID()}
	if len(recs) != len(want) || recs[3].Pos() >= recs[0].Pos() {
		t.Fatalf("chain %v: want the late record, the two after it, then the early one of lower position", recs)
	}
	for i, r := range recs {
		if r.ID() != want[i] {
			t.Fatalf("chain[%d] = %s, want %s", i, r.ID(), want[i])
		}
	}
	if g := gapsOf(t, db); g != "" {
		t.Fatalf("gaps = %q after the early record was sealed", g)
	}
	if st, err := s.Strays(ctx); err != nil || st.Count != 0 {
		t.Fatalf("strays = %+v, %v", st, err)
	}
}

// A position whose transaction rolls back never commits: the sealer drops
// its gap once the transactions running when it found the gap have ended,
// and nothing is reported missing.
func TestStore_OnPostgresAGapOfARolledBackPositionIsDropped(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	s := auditpg.New(db)
	ctx := context.Background()
	release := make(chan struct{})
	_, done := holdRecord(t, db, entryFor(t, "auth.login.succeeded"), release, true)
	if err := s.Insert(ctx, []audit.Entry{entryFor(t, "auth.logout")}); err != nil {
		t.Fatal(err)
	}
	if n := sealAll(t, s); n != 1 {
		t.Fatalf("sealed %d, want the committed record", n)
	}
	if g := gapsOf(t, db); g == "" {
		t.Fatal("no gap left for the uncommitted position")
	}
	close(release)
	if err := <-done; !errors.Is(err, errRolledBack) {
		t.Fatalf("held transaction: %v", err)
	}
	// Other databases of the server may run transactions that hold the
	// snapshot's xmin back for a moment.
	deadline := time.Now().Add(30 * time.Second)
	for gapsOf(t, db) != "" {
		if time.Now().After(deadline) {
			t.Fatalf("gap %q still kept 30s after its transaction rolled back", gapsOf(t, db))
		}
		if n := sealAll(t, s); n != 0 {
			t.Fatalf("sealed %d from a rolled-back position", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b, err := s.Backlog(ctx); err != nil || b.Count != 0 {
		t.Fatalf("backlog = %+v, %v", b, err)
	}
	if st, err := s.Strays(ctx); err != nil || st.Count != 0 {
		t.Fatalf("strays = %+v, %v", st, err)
	}
	verifyChain(t, s)
}
