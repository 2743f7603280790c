package audit_test

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
)

// v1State is a record as stored before correlation ids existed; v1Hash is
// the hash that version computed for it.
func v1State() audit.RecordState {
	return audit.RecordState{
		ID: uuid.MustParse("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), Sequence: 7,
		OccurredAt: time.Date(2025, 3, 1, 12, 0, 0, 123456000, time.UTC),
		ActorType:  audit.ActorUser, ActorID: "user-1", Action: "auth.login.succeeded",
		TargetType: "user", TargetID: "user-1", OrganizationID: "",
		ClientIP: "198.51.100.1", UserAgent: "test-agent", RequestID: "2f1c3e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
		Details: []byte(`{"method":"password"}`), PrevHash: audit.GenesisHash,
	}
}

const v1Hash = "624bb6c66a3f154d5cf618a3f2d7cc37bdf3ebeba874148fee4956536d105973"

func TestComputeHash_ARecordWithoutACorrelationIDHashesAsBefore(t *testing.T) {
	if got := audit.RehydrateRecord(v1State()).ComputeHash(); got != v1Hash {
		t.Fatalf("hash %s, want the stored %s: existing chains would no longer verify", got, v1Hash)
	}
}

func TestComputeHash_TheCorrelationIDIsHashedWhenSet(t *testing.T) {
	plain := audit.RehydrateRecord(v1State()).ComputeHash()
	s := v1State()
	s.CorrelationID = "client-trace-1"
	withID := audit.RehydrateRecord(s).ComputeHash()
	s.CorrelationID = "client-trace-2"
	other := audit.RehydrateRecord(s).ComputeHash()
	if withID == plain || withID == other {
		t.Fatalf("the correlation id does not change the hash: %s %s %s", plain, withID, other)
	}
	// The version prefix keeps the encodings apart: moving the correlation
	// id into the request id does not give the same hash.
	s = v1State()
	s.RequestID += "client-trace-1"
	if audit.RehydrateRecord(s).ComputeHash() == withID {
		t.Fatal("two different records share a hash")
	}
}

func TestChainVerifier_FindsACorrelationIDAlteredAddedOrRemoved(t *testing.T) {
	e := entry(t, "auth.login.succeeded", 0)
	actor, _ := audit.NewActor(audit.ActorUser, "user-1")
	act, _ := audit.ParseAction("auth.logout")
	correlated, err := audit.NewEntry(audit.EntryParams{
		ID: uuid.New(), OccurredAt: t0, Actor: actor, Action: act,
		Origin: audit.NewOrigin("198.51.100.1", "test-agent", uuid.NewString(), "client-trace-1"),
	})
	if err != nil {
		t.Fatal(err)
	}
	recs, head := audit.Seal(audit.Genesis(), []audit.Entry{e, correlated, e})
	if recs[1].State().CorrelationID != "client-trace-1" || recs[0].State().CorrelationID != "" {
		t.Fatalf("sealed correlation ids %q %q", recs[0].State().CorrelationID, recs[1].State().CorrelationID)
	}
	if b := verify(recs, head); b != nil {
		t.Fatalf("an intact chain with old-style and correlated records broke: %v", b)
	}
	for name, change := range map[string]func(*audit.RecordState){
		"altered": func(s *audit.RecordState) { s.CorrelationID = "client-trace-2" },
		"removed": func(s *audit.RecordState) { s.CorrelationID = "" },
	} {
		t.Run(name, func(t *testing.T) {
			forged := append([]audit.Record(nil), recs...)
			s := forged[1].State()
			change(&s)
			forged[1] = audit.RehydrateRecord(s)
			if b := verify(forged, head); b == nil || b.Sequence != 2 {
				t.Fatalf("verification missed it: %v", b)
			}
		})
	}
	t.Run("added", func(t *testing.T) {
		forged := append([]audit.Record(nil), recs...)
		s := forged[0].State()
		s.CorrelationID = "client-trace-9"
		forged[0] = audit.RehydrateRecord(s)
		if b := verify(forged, head); b == nil || b.Sequence != 1 {
			t.Fatalf("verification missed it: %v", b)
		}
	})
}
