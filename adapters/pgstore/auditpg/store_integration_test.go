//go:build integration

package auditpg_test

import (
	"context"
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

// A queue entry removed behind the application's back leaves a record the
// sealer never sees: Strays finds it. A queue entry without a record, or
// for a record linked already, does not stop the sealer.
func TestStore_StraysAreRecordsNeitherSealedNorQueued(t *testing.T) {
	for name, o := range dialects() {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			s := auditpg.New(db)
			ctx := context.Background()
			lost, kept := entryFor(t, "auth.logout"), entryFor(t, "auth.logout")
			if err := s.Insert(ctx, []audit.Entry{lost, kept}); err != nil {
				t.Fatal(err)
			}
			if err := db.Gorm().Exec(`DELETE FROM audit_pending WHERE pos = (SELECT pos FROM audit_logs WHERE id = ?)`, lost.ID().String()).Error; err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{`INSERT INTO audit_pending (pos) VALUES (999)`} {
				if err := db.Gorm().Exec(stmt).Error; err != nil {
					t.Fatal(err)
				}
			}
			if n := sealAll(t, s); n != 1 {
				t.Fatalf("sealed %d, want only the queued record", n)
			}
			if err := db.Gorm().Exec(`INSERT INTO audit_pending (pos) SELECT pos FROM audit_chain WHERE sequence = 1`).Error; err != nil {
				t.Fatal(err)
			}
			if n := sealAll(t, s); n != 0 {
				t.Fatalf("sealed %d from stale queue entries, want none", n)
			}
			if b, err := s.Backlog(ctx); err != nil || b.Count != 0 {
				t.Fatalf("backlog = %+v, %v: stale entries await nothing", b, err)
			}
			st, err := s.Strays(ctx)
			if err != nil || st.Count != 1 || st.First != lost.ID() {
				t.Fatalf("strays = %+v, %v; want the record whose entry was removed", st, err)
			}
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

// On PostgreSQL records are inserted with the COMMIT, so positions mostly
// follow commit order, but two commits racing can still commit a lower
// position after a higher one was sealed: here the lower one is written
// by a transaction held open (as the statement would be, between its
// insert and its commit), and the sealer must seal it next.
func TestStore_OnPostgresAPositionCommittedAfterAHigherOneWasSealedIsSealedNext(t *testing.T) {
	db := testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)})
	s := auditpg.New(db)
	ctx := context.Background()
	early := entryFor(t, "auth.login.succeeded")
	inserted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- db.Transaction(ctx, func(ctx context.Context) error {
			r := early.Unsealed().State()
			if err := db.Conn(ctx).Exec(`WITH r AS (INSERT INTO audit_logs (id, occurred_at, actor_type, actor_id, action,
				client_ip, user_agent, request_id, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING pos)
				INSERT INTO audit_pending (pos) SELECT pos FROM r`, r.ID, r.OccurredAt.UTC(), r.ActorType, r.ActorID, r.Action,
				r.ClientIP, r.UserAgent, r.RequestID, string(r.Details)).Error; err != nil {
				return err
			}
			close(inserted)
			<-release
			return nil
		})
	}()
	select {
	case <-inserted:
	case err := <-done:
		t.Fatalf("the early transaction ended before it was held open: %v", err)
	}
	late := entryFor(t, "auth.logout")
	if err := s.Insert(ctx, []audit.Entry{late}); err != nil {
		t.Fatal(err)
	}
	if n := sealAll(t, s); n != 1 {
		t.Fatalf("sealed %d while the early record was uncommitted, want the late one", n)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := sealAll(t, s); n != 1 {
		t.Fatalf("sealed %d after the early commit, want it", n)
	}
	recs := verifyChain(t, s)
	if len(recs) != 2 || recs[0].ID() != late.ID() || recs[1].ID() != early.ID() || recs[1].Pos() >= recs[0].Pos() {
		t.Fatalf("chain %v: want the late record, then the early one of lower position", recs)
	}
}
