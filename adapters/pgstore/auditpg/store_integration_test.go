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
	"github.com/secuird/authy/ports/auditport/auditporttest"
	"github.com/secuird/authy/tests/testenv"
)

func TestMain(m *testing.M) { os.Exit(testenv.Run(m)) }

// harness runs the contract on db, with a scratch table standing for the
// change of another context that shares the transaction.
func harness(t *testing.T, db *pgstore.DB) auditporttest.Harness {
	t.Helper()
	if err := db.Gorm().Exec(`CREATE TABLE scratch_changes (k TEXT PRIMARY KEY)`).Error; err != nil {
		t.Fatal(err)
	}
	s := auditpg.New(db)
	return auditporttest.Harness{
		Store: s,
		UoW:   db,
		Change: func(ctx context.Context, key string) error {
			return db.Conn(ctx).Exec(`INSERT INTO scratch_changes (k) VALUES (?)`, key).Error
		},
		Changed: func(ctx context.Context, key string) (bool, error) {
			var n int64
			err := db.Conn(ctx).Raw(`SELECT count(*) FROM scratch_changes WHERE k = ?`, key).Scan(&n).Error
			return n == 1, err
		},
	}
}

func TestStore_KeepsTheContractOnSQLite(t *testing.T) {
	auditporttest.Run(t, func(t *testing.T) auditporttest.Harness {
		return harness(t, testenv.Migrated(t, pgstore.Options{SQLitePath: testenv.SQLiteURL(t)}))
	})
}

func TestStore_KeepsTheContractOnPostgres(t *testing.T) {
	auditporttest.Run(t, func(t *testing.T) auditporttest.Harness {
		return harness(t, testenv.Migrated(t, pgstore.Options{URL: testenv.NewPostgresDatabase(t)}))
	})
}

func TestStore_DatabaseRefusesUpdatesAndDeletes(t *testing.T) {
	for name, o := range map[string]func(t *testing.T) pgstore.Options{
		"sqlite":   func(t *testing.T) pgstore.Options { return pgstore.Options{SQLitePath: testenv.SQLiteURL(t)} },
		"postgres": func(t *testing.T) pgstore.Options { return pgstore.Options{URL: testenv.NewPostgresDatabase(t)} },
	} {
		t.Run(name, func(t *testing.T) {
			db := testenv.Migrated(t, o(t))
			s := auditpg.New(db)
			actor, _ := audit.NewActor(audit.ActorSystem, "")
			action, _ := audit.ParseAction("sessions.expired")
			e, err := audit.NewEntry(audit.EntryParams{ID: uuid.New(), OccurredAt: time.Now(), Actor: actor, Action: action})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Append(context.Background(), func(h audit.ChainHead) ([]audit.Record, error) {
				recs, _ := audit.Seal(h, []audit.Entry{e})
				return recs, nil
			}); err != nil {
				t.Fatal(err)
			}
			for _, stmt := range []string{`UPDATE audit_logs SET action = 'auth.logout'`, `DELETE FROM audit_logs`} {
				err := db.Gorm().Exec(stmt).Error
				if err == nil || !strings.Contains(err.Error(), "append-only") {
					t.Fatalf("%s: err = %v, want the append-only refusal", stmt, err)
				}
			}
		})
	}
}
