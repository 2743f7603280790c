package mfapg_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/mfapg"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/tests/testenv"
)

// stepUpRace records many checks of one session at once: none fails, and
// the latest instant is the one kept, whatever the order.
func stepUpRace(t *testing.T, db *pgstore.DB) {
	t.Helper()
	ctx := context.Background()
	store := mfapg.New(db).StepUps()
	user := shared.UserID(uuid.New())
	if err := db.Gorm().Exec(`INSERT INTO users (id, email, email_normalized, name, password_hash, created_at, updated_at)
		VALUES (?, ?, ?, 'Step Up', '', ?, ?)`, user.String(), user.String()+"@example.test", user.String()+"@example.test", time.Now(), time.Now()).Error; err != nil {
		t.Fatal(err)
	}
	session := uuid.New()
	base := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make([]error, 8)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = store.Record(ctx, session, user, base.Add(time.Duration(i)*time.Second))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("check %d: %v", i, err)
		}
	}
	if err := store.Record(ctx, session, user, base); err != nil {
		t.Fatal(err)
	}
	last, err := store.Last(ctx, session)
	if err != nil || !last.Equal(base.Add(7*time.Second)) {
		t.Fatalf("last step-up %v (%v), want the latest instant", last, err)
	}
}

func TestStepUps_ChecksOfOneSessionRacingAllSucceedAndTheLatestStays(t *testing.T) {
	stepUpRace(t, testenv.SQLite(t))
}
