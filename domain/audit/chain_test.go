package audit_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
)

var t0 = time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)

func entry(t *testing.T, action string, i int) audit.Entry {
	t.Helper()
	act, err := audit.ParseAction(action)
	if err != nil {
		t.Fatal(err)
	}
	actor, _ := audit.NewActor(audit.ActorUser, "user-1")
	target, _ := audit.NewTarget("user", "user-2")
	details, _ := audit.NewDetails(map[string]any{"i": i})
	e, err := audit.NewEntry(audit.EntryParams{
		ID: uuid.New(), OccurredAt: t0.Add(time.Duration(i) * time.Second), Actor: actor, Action: act,
		Target: target, Organization: shared.OrganizationID(uuid.New()),
		Origin: audit.NewOrigin("198.51.100.1", "test-agent", "req-1", ""), Details: details,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func chainOf(t *testing.T, n int) ([]audit.Record, audit.ChainHead) {
	t.Helper()
	var entries []audit.Entry
	for i := 0; i < n; i++ {
		entries = append(entries, entry(t, "auth.login.succeeded", i))
	}
	return audit.Seal(audit.Genesis(), entries)
}

func verify(recs []audit.Record, head audit.ChainHead) *audit.Break {
	v := audit.NewChainVerifier()
	for _, r := range recs {
		if b := v.Check(r); b != nil {
			return b
		}
	}
	return v.Finish(head)
}

func TestNewEntry_TruncatesTimeToMicrosecondsInUTC(t *testing.T) {
	e := entry(t, "auth.logout", 0)
	if e.OccurredAt().Nanosecond()%1000 != 0 || e.OccurredAt().Location() != time.UTC {
		t.Fatalf("occurred_at = %v", e.OccurredAt())
	}
}

func TestNewEntry_RequiresIDTimeActorAndAction(t *testing.T) {
	actor, _ := audit.NewActor(audit.ActorSystem, "")
	act, _ := audit.ParseAction("sessions.expired")
	ok := audit.EntryParams{ID: uuid.New(), OccurredAt: t0, Actor: actor, Action: act}
	if _, err := audit.NewEntry(ok); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(*audit.EntryParams){
		"id": func(p *audit.EntryParams) { p.ID = uuid.Nil }, "time": func(p *audit.EntryParams) { p.OccurredAt = time.Time{} },
		"actor": func(p *audit.EntryParams) { p.Actor = audit.Actor{} }, "action": func(p *audit.EntryParams) { p.Action = audit.Action{} },
	} {
		p := ok
		mutate(&p)
		if _, err := audit.NewEntry(p); err == nil {
			t.Errorf("missing %s must fail", name)
		}
	}
}

func TestSeal_LinksEachRecordToItsPredecessor(t *testing.T) {
	recs, head := chainOf(t, 3)
	if recs[0].PrevHash() != audit.GenesisHash || recs[0].Sequence() != 1 {
		t.Fatalf("first record: seq %d prev %s", recs[0].Sequence(), recs[0].PrevHash())
	}
	for i := 1; i < 3; i++ {
		if recs[i].PrevHash() != recs[i-1].Hash() || recs[i].Sequence() != int64(i+1) {
			t.Fatalf("record %d not linked", i)
		}
	}
	if head.Sequence() != 3 || head.Hash() != recs[2].Hash() {
		t.Fatalf("head = %d %s", head.Sequence(), head.Hash())
	}
	if !audit.Continues(audit.Genesis(), recs) || audit.Continues(head, recs) {
		t.Fatal("Continues disagrees with Seal")
	}
	if b := verify(recs, head); b != nil {
		t.Fatalf("fresh chain broken: %v", b)
	}
	more, head2 := audit.Seal(head, []audit.Entry{entry(t, "auth.logout", 9)})
	if more[0].Sequence() != 4 || more[0].PrevHash() != head.Hash() || head2.Sequence() != 4 {
		t.Fatal("a second batch does not continue the head")
	}
}

func TestComputeHash_CoversEveryField(t *testing.T) {
	recs, _ := chainOf(t, 1)
	base := recs[0].State()
	mutations := map[string]func(*audit.RecordState){
		"id":           func(s *audit.RecordState) { s.ID = uuid.New() },
		"sequence":     func(s *audit.RecordState) { s.Sequence++ },
		"time":         func(s *audit.RecordState) { s.OccurredAt = s.OccurredAt.Add(time.Microsecond) },
		"actor type":   func(s *audit.RecordState) { s.ActorType = "system" },
		"actor id":     func(s *audit.RecordState) { s.ActorID = "someone-else" },
		"action":       func(s *audit.RecordState) { s.Action = "auth.logout" },
		"target type":  func(s *audit.RecordState) { s.TargetType = "session" },
		"target id":    func(s *audit.RecordState) { s.TargetID = "x" },
		"organization": func(s *audit.RecordState) { s.OrganizationID = "" },
		"client ip":    func(s *audit.RecordState) { s.ClientIP = "10.0.0.1" },
		"user agent":   func(s *audit.RecordState) { s.UserAgent = "curl" },
		"request id":   func(s *audit.RecordState) { s.RequestID = "other" },
		"details":      func(s *audit.RecordState) { s.Details = []byte(`{"i":1}`) },
		"prev hash":    func(s *audit.RecordState) { s.PrevHash = strings.Repeat("1", 64) },
		// Moving bytes between neighbouring fields must change the hash too.
		"field boundary": func(s *audit.RecordState) { s.ActorType, s.ActorID = s.ActorType+s.ActorID[:1], s.ActorID[1:] },
	}
	for name, m := range mutations {
		s := base
		m(&s)
		if audit.RehydrateRecord(s).ComputeHash() == base.Hash {
			t.Errorf("changing %s keeps the hash", name)
		}
	}
	if audit.RehydrateRecord(base).ComputeHash() != base.Hash {
		t.Fatal("rehydrating unchanged state changes the hash")
	}
}

func TestChainVerifier_FindsTheFirstBrokenLink(t *testing.T) {
	cases := []struct {
		name    string
		tamper  func(recs []audit.Record, head audit.ChainHead) ([]audit.Record, audit.ChainHead)
		wantSeq int64
		wantIn  string
	}{
		{"an edited field", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			s := recs[2].State()
			s.Action = "auth.logout"
			recs[2] = audit.RehydrateRecord(s)
			return recs, h
		}, 3, "does not match its hash"},
		{"an edit with its hash recomputed", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			s := recs[2].State()
			s.ActorID = "mallory"
			s.Hash = audit.RehydrateRecord(s).ComputeHash()
			recs[2] = audit.RehydrateRecord(s)
			return recs, h
		}, 4, "prev_hash"},
		{"a deleted middle record", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			return append(recs[:2:2], recs[3:]...), h
		}, 4, "missing"},
		{"a deleted first record", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			return recs[1:], h
		}, 2, "missing"},
		{"deleted last records", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			return recs[:3], h
		}, 4, "records 4..5 are missing"},
		{"a rewritten head", func(recs []audit.Record, h audit.ChainHead) ([]audit.Record, audit.ChainHead) {
			return recs, audit.RehydrateChainHead(h.Sequence(), strings.Repeat("f", 64))
		}, 5, "head's hash"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			recs, head := chainOf(t, 5)
			recs, head = c.tamper(recs, head)
			b := verify(recs, head)
			if b == nil {
				t.Fatal("tampering went unnoticed")
			}
			if b.Sequence != c.wantSeq || !strings.Contains(b.Problem, c.wantIn) {
				t.Fatalf("break = %v, want sequence %d mentioning %q", b, c.wantSeq, c.wantIn)
			}
		})
	}
}

func TestChainVerifier_EmptyChainIsIntact(t *testing.T) {
	if b := verify(nil, audit.Genesis()); b != nil {
		t.Fatal(b)
	}
}

func TestCursor_RoundTripsAndRefusesForgeries(t *testing.T) {
	p := audit.Position{OccurredAt: time.Date(2025, 1, 2, 3, 4, 5, 678901000, time.UTC), Pos: 42}
	got, err := audit.DecodeCursor(audit.EncodeCursor(p))
	if err != nil || !got.OccurredAt.Equal(p.OccurredAt) || got.Pos != 42 {
		t.Fatalf("%v %v", got, err)
	}
	for _, bad := range []string{"", "!!!", "MTIz", "YTE6eDox", "YTE6MTow", strings.Repeat("A", 200)} {
		if _, err := audit.DecodeCursor(bad); err == nil {
			t.Errorf("DecodeCursor(%q) should fail", bad)
		}
	}
}

func TestPosition_OrdersByTimeThenInsertPosition(t *testing.T) {
	a := audit.Position{OccurredAt: t0, Pos: 5}
	b := audit.Position{OccurredAt: t0, Pos: 6}
	c := audit.Position{OccurredAt: t0.Add(time.Microsecond), Pos: 1}
	if !a.Before(b) || !b.Before(c) || c.Before(a) || a.Before(a) {
		t.Fatal("order is wrong")
	}
}

// A cursor issued while the tie-breaker was the chain sequence (before
// records were sealed after commit) names the same place now: every record
// of that time has an insert position equal to its sequence.
func TestCursor_AnEarlierCursorStillDecodes(t *testing.T) {
	// "a1:1735689600000000:7", as EncodeCursor wrote it for sequence 7.
	got, err := audit.DecodeCursor("YTE6MTczNTY4OTYwMDAwMDAwMDo3")
	if err != nil || got.Pos != 7 || !got.OccurredAt.Equal(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("%+v %v", got, err)
	}
}
