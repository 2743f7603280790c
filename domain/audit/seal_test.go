package audit_test

import (
	"errors"
	"testing"

	"github.com/secuird/authy/domain/audit"
)

// pending returns n entries as a store would read them back unsealed, with
// insert positions from pos.
func pending(t *testing.T, n int, pos int64) []audit.Record {
	t.Helper()
	out := make([]audit.Record, 0, n)
	for i := 0; i < n; i++ {
		s := entry(t, "auth.login.succeeded", i).Unsealed().State()
		s.Pos = pos + int64(i)
		out = append(out, audit.RehydrateRecord(s))
	}
	return out
}

func TestUnsealed_HasNoPlaceInTheChainYet(t *testing.T) {
	r := entry(t, "auth.logout", 0).Unsealed()
	if r.Sealed() || r.Sequence() != 0 || r.PrevHash() != "" || r.Hash() != "" {
		t.Fatalf("unsealed record = %+v", r.State())
	}
}

func TestSealPending_ChainsInTheOrderGivenWhateverTheInsertPositions(t *testing.T) {
	recs := pending(t, 3, 10)
	// The sealer saw the record inserted last first (it committed first).
	recs[0], recs[2] = recs[2], recs[0]
	sealed, head, err := audit.SealPending(audit.Genesis(), recs)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range sealed {
		if r.Sequence() != int64(i+1) || r.Pos() != recs[i].Pos() || r.ID() != recs[i].ID() {
			t.Fatalf("record %d: sequence %d pos %d", i, r.Sequence(), r.Pos())
		}
	}
	if !audit.SealsPending(audit.Genesis(), recs, sealed) || head != audit.HeadOf(audit.Genesis(), sealed) {
		t.Fatal("the sealed batch does not continue genesis")
	}
	if b := verify(sealed, head); b != nil {
		t.Fatal(b)
	}
	// The next batch continues the head.
	more, head2, err := audit.SealPending(head, pending(t, 2, 5))
	if err != nil || more[0].Sequence() != 4 || more[0].PrevHash() != head.Hash() || head2.Sequence() != 5 {
		t.Fatalf("second batch: %v %d", err, head2.Sequence())
	}
}

func TestSealPending_RefusesARecordSealedAlready(t *testing.T) {
	sealed, head, _ := audit.SealPending(audit.Genesis(), pending(t, 2, 1))
	_, got, err := audit.SealPending(head, append(pending(t, 1, 3), sealed[1]))
	if !errors.Is(err, audit.ErrAlreadySealed) || got != head {
		t.Fatalf("err = %v, head moved to %d", err, got.Sequence())
	}
}

func TestSealsPending_RefusesABatchThatIsNotThePendingRecordsSealed(t *testing.T) {
	recs := pending(t, 3, 1)
	sealed, _, _ := audit.SealPending(audit.Genesis(), recs)
	stale, _, _ := audit.SealPending(audit.RehydrateChainHead(7, sealed[0].Hash()), recs)
	altered := recs[1].State()
	altered.ActorID = "mallory"
	forged, _, _ := audit.SealPending(audit.Genesis(), []audit.Record{recs[0], audit.RehydrateRecord(altered), recs[2]})
	swapped := []audit.Record{recs[1], recs[0], recs[2]}
	reordered, _, _ := audit.SealPending(audit.Genesis(), swapped)
	for name, c := range map[string]struct {
		head            audit.ChainHead
		pending, sealed []audit.Record
	}{
		"one record left out":         {audit.Genesis(), recs, sealed[:2]},
		"sealed on another head":      {audit.Genesis(), recs, stale},
		"content altered when sealed": {audit.Genesis(), recs, forged},
		"order differs from the read": {audit.Genesis(), recs, reordered},
		"pending already sealed":      {audit.Genesis(), sealed, sealed},
	} {
		if audit.SealsPending(c.head, c.pending, c.sealed) {
			t.Errorf("%s: accepted", name)
		}
	}
	if !audit.SealsPending(audit.Genesis(), swapped, reordered) {
		t.Fatal("a batch sealed in the order it was read must be accepted")
	}
}
