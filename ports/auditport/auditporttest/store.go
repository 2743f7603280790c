// Package auditporttest is the executable contract of auditport.Store in
// the unit of work it joins (platformport.UnitOfWork): every store (SQLite,
// PostgreSQL) runs Run from its own tests.
package auditporttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
)

// Harness is one fresh, empty store with the unit of work it joins.
type Harness struct {
	Store auditport.Store
	UoW   platformport.UnitOfWork
	// Change makes a change that belongs to another context (a row in some
	// other table) inside the transaction ctx carries; Changed reports
	// whether a committed change with that key exists. Together they show
	// that a change and its record commit or roll back as one.
	Change  func(ctx context.Context, key string) error
	Changed func(ctx context.Context, key string) (bool, error)
	// SerialWriters says the database runs one write transaction at a time
	// (SQLite): records commit in insert order, and a second writer or
	// sealer waits for the first instead of running beside it. The cases
	// that need two open write transactions are skipped.
	SerialWriters bool
	// InsertsAtCommit says the store sends a transaction's records with
	// its COMMIT (PostgreSQL): a record's insert position is taken then,
	// so holding a transaction open after Insert cannot give its record a
	// lower position than one committed meanwhile. The store's own tests
	// must then show that positions committed out of order (two commits
	// racing) are still sealed in commit order.
	InsertsAtCommit bool
}

// Run checks the contract on stores made by newHarness, one per subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"EmptyStoreHasTheGenesisHead", testEmpty},
		{"InsertedRecordsAwaitTheSealer", testUnsealed},
		{"SealedRecordsReadBackExactly", testRoundTrip},
		{"SealingContinuesTheChainBatchAfterBatch", testBatches},
		{"SeveralInsertsInOneTransactionAreSealedInInsertOrder", testSeveralInOneTx},
		{"ARecordCommittedAfterHigherOnesWereSealedIsSealedNext", testCommitOrder},
		{"WritersCommitWhileASealerHoldsTheHead", testWritersDoNotWait},
		{"ConcurrentWritersAndTwoSealersNeverForkTheChain", testConcurrentWritersAndSealers},
		{"TwoSealersAtOnceSealEachRecordOnce", testTwoSealers},
		{"ASealerStoppedMidBatchChangesNothingAndTheNextResumes", testSealerStopped},
		{"RefusesABatchThatIsNotThePendingRecordsSealed", testChainMismatch},
		{"SealRunsInATransactionOfItsOwn", testSealOwnTx},
		{"RollbackKeepsNeitherTheChangeNorItsRecord", testRollback},
		{"AfterCommitRunsOnlyOnCommit", testAfterCommit},
		{"FiltersSelectExactlyTheMatchingRecords", testFilters},
		{"ActionPrefixTreatsWildcardCharactersLiterally", testPrefixLiteral},
		{"ListingShowsSealedAndUnsealedRecordsAlike", testListMixed},
		{"PagesNeverSkipOrRepeatWhileRecordsArriveAndAreSealed", testPaginationStable},
		{"TiesOnTimeAreBrokenByInsertPosition", testTies},
		{"ScanWalksSealedRecordsInSequenceBatches", testScan},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, newHarness(t))
		})
	}
}

var base = time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)

// spec describes one entry for the suite's fixtures.
type spec struct {
	action string
	actor  string // user id; "" is the system
	target string // target user id
	org    shared.OrganizationID
	at     time.Time
	// correlation is the client's id of the request ("" for none).
	correlation string
}

func newEntry(t *testing.T, s spec) audit.Entry {
	t.Helper()
	act, err := audit.ParseAction(s.action)
	if err != nil {
		t.Fatal(err)
	}
	actor, err := audit.NewActor(audit.ActorSystem, "")
	if s.actor != "" {
		actor, err = audit.NewActor(audit.ActorUser, s.actor)
	}
	if err != nil {
		t.Fatal(err)
	}
	var target audit.Target
	if s.target != "" {
		if target, err = audit.NewTarget(audit.TargetUser, s.target); err != nil {
			t.Fatal(err)
		}
	}
	details, err := audit.NewDetails(map[string]any{"note": "é ünïcode <&>", "n": 1.5, "list": []string{"a", "b"}})
	if err != nil {
		t.Fatal(err)
	}
	at := s.at
	if at.IsZero() {
		at = base
	}
	e, err := audit.NewEntry(audit.EntryParams{
		ID: uuid.New(), OccurredAt: at, Actor: actor, Action: act, Target: target,
		Organization: s.org, Origin: audit.NewOrigin("2001:db8::1", "Mozilla/5.0 (X11) ‘quoted’", uuid.NewString(), s.correlation),
		Details: details,
	})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func insertEntries(ctx context.Context, s auditport.Store, entries ...audit.Entry) error {
	return s.Insert(ctx, entries)
}

// sealPending is the sealer's step: the pending records placed after head.
func sealPending(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
	recs, _, err := audit.SealPending(head, pending)
	return recs, err
}

// sealAll seals batch after batch until nothing is pending and returns how
// many records it sealed.
func sealAll(t *testing.T, h Harness) int {
	t.Helper()
	total := 0
	for {
		n, err := h.Store.Seal(context.Background(), 1000, sealPending)
		if err != nil {
			t.Fatalf("seal: %v", err)
		}
		total += n
		if n == 0 {
			return total
		}
	}
}

func mustInsert(t *testing.T, h Harness, specs ...spec) []audit.Entry {
	t.Helper()
	entries := make([]audit.Entry, 0, len(specs))
	for _, s := range specs {
		entries = append(entries, newEntry(t, s))
	}
	if err := insertEntries(context.Background(), h.Store, entries...); err != nil {
		t.Fatalf("insert: %v", err)
	}
	return entries
}

// mustAppend inserts specs in one transaction, seals them and returns the
// sealed records in their order.
func mustAppend(t *testing.T, h Harness, specs ...spec) []audit.Record {
	t.Helper()
	entries := mustInsert(t, h, specs...)
	if n := sealAll(t, h); n != len(entries) {
		t.Fatalf("sealed %d records, want %d", n, len(entries))
	}
	recs := byID(all(t, h))
	out := make([]audit.Record, 0, len(entries))
	for _, e := range entries {
		out = append(out, recs[e.ID()])
	}
	return out
}

func byID(recs []audit.Record) map[uuid.UUID]audit.Record {
	out := make(map[uuid.UUID]audit.Record, len(recs))
	for _, r := range recs {
		out[r.ID()] = r
	}
	return out
}

func all(t *testing.T, h Harness) []audit.Record {
	t.Helper()
	recs, err := h.Store.Scan(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return recs
}

// listed returns every record, sealed or not, oldest first.
func listed(t *testing.T, h Harness) []audit.Record {
	t.Helper()
	recs, err := h.Store.List(context.Background(), auditport.Query{Order: auditport.OldestFirst, Limit: 1_000_000})
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	return recs
}

func backlog(t *testing.T, h Harness) auditport.Backlog {
	t.Helper()
	b, err := h.Store.Backlog(context.Background())
	if err != nil {
		t.Fatalf("backlog: %v", err)
	}
	return b
}

// noStrays checks that the sealer can reach every record.
func noStrays(t *testing.T, h Harness) {
	t.Helper()
	s, err := h.Store.Strays(context.Background())
	if err != nil {
		t.Fatalf("strays: %v", err)
	}
	if s.Count != 0 || s.First != uuid.Nil {
		t.Fatalf("strays = %+v, want none", s)
	}
}

// verifyChain checks the stored chain from genesis to the stored head.
func verifyChain(t *testing.T, h Harness) []audit.Record {
	t.Helper()
	recs := all(t, h)
	head, err := h.Store.Head(context.Background())
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

func sequences(recs []audit.Record) []int64 {
	out := make([]int64, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.Sequence())
	}
	return out
}

func ids(recs []audit.Record) []uuid.UUID {
	out := make([]uuid.UUID, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.ID())
	}
	return out
}

func testEmpty(t *testing.T, h Harness) {
	head, err := h.Store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if head != audit.Genesis() {
		t.Fatalf("head = %d %s, want genesis", head.Sequence(), head.Hash())
	}
	if recs := all(t, h); len(recs) != 0 {
		t.Fatalf("%d records in an empty store", len(recs))
	}
	list, err := h.Store.List(context.Background(), auditport.Query{Limit: 10})
	if err != nil || len(list) != 0 {
		t.Fatalf("list = %v, %v", list, err)
	}
	if b := backlog(t, h); b.Count != 0 || !b.Oldest.IsZero() {
		t.Fatalf("backlog of an empty store = %+v", b)
	}
	noStrays(t, h)
	if n, err := h.Store.Seal(context.Background(), 10, sealPending); err != nil || n != 0 {
		t.Fatalf("sealing an empty store: %d, %v", n, err)
	}
}

func testUnsealed(t *testing.T, h Harness) {
	entries := mustInsert(t, h,
		spec{action: "auth.login.succeeded", actor: "u-1", at: base.Add(time.Minute)},
		spec{action: "auth.logout", actor: "u-1", at: base},
	)
	got := listed(t, h)
	if len(got) != 2 {
		t.Fatalf("%d records listed, want the 2 unsealed ones", len(got))
	}
	for _, r := range got {
		if r.Sealed() || r.Sequence() != 0 || r.PrevHash() != "" || r.Hash() != "" || r.Pos() < 1 {
			t.Fatalf("an inserted record is not unsealed: %+v", r.State())
		}
	}
	if got[0].ID() != entries[1].ID() || got[0].Pos() <= got[1].Pos() {
		t.Fatalf("oldest first lists by time (then insert position): %v", ids(got))
	}
	if recs := all(t, h); len(recs) != 0 {
		t.Fatalf("scan returned %d unsealed records; it walks the chain only", len(recs))
	}
	if head, _ := h.Store.Head(context.Background()); head != audit.Genesis() {
		t.Fatalf("inserting moved the head to %d", head.Sequence())
	}
	if b := backlog(t, h); b.Count != 2 || !b.Oldest.Equal(base) {
		t.Fatalf("backlog = %+v, want 2 from %v", b, base)
	}
	noStrays(t, h)
	if n := sealAll(t, h); n != 2 {
		t.Fatalf("sealed %d, want 2", n)
	}
	if b := backlog(t, h); b.Count != 0 {
		t.Fatalf("backlog after sealing = %+v", b)
	}
	noStrays(t, h)
	// Sealing follows insert order (the only order SQL sees before the
	// commit), whatever the times.
	recs := verifyChain(t, h)
	if !slices.Equal(ids(recs), []uuid.UUID{entries[0].ID(), entries[1].ID()}) {
		t.Fatal("the batch was not sealed in insert order")
	}
}

func testRoundTrip(t *testing.T, h Harness) {
	org := shared.OrganizationID(uuid.New())
	entries := mustInsert(t, h,
		spec{action: "auth.login.succeeded", actor: "u-1", target: "u-1", org: org, at: base.Add(123456789 * time.Nanosecond),
			correlation: "client-trace:1"},
		spec{action: "sessions.expired"},
	)
	var sealed []audit.Record
	n, err := h.Store.Seal(context.Background(), 10, func(head audit.ChainHead, pending []audit.Record) ([]audit.Record, error) {
		recs, err := sealPending(head, pending)
		sealed = recs
		return recs, err
	})
	if err != nil || n != 2 {
		t.Fatalf("seal: %d, %v", n, err)
	}
	if sealed[0].State().CorrelationID != "client-trace:1" {
		t.Fatalf("correlation id %q was not sealed", sealed[0].State().CorrelationID)
	}
	got := verifyChain(t, h)
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	for i := range entries {
		want, have := entries[i].Unsealed().State(), got[i].State()
		if !have.OccurredAt.Equal(want.OccurredAt) || have.OccurredAt.Location() != time.UTC {
			t.Errorf("occurred_at = %v, want %v in UTC", have.OccurredAt, want.OccurredAt)
		}
		if have.Sequence != int64(i+1) || have.Hash != sealed[i].Hash() || have.PrevHash != sealed[i].PrevHash() || have.Pos != sealed[i].Pos() {
			t.Errorf("record %d: sequence %d pos %d, links not as sealed", i, have.Sequence, have.Pos)
		}
		have.OccurredAt, have.Sequence, have.Pos, have.PrevHash, have.Hash = want.OccurredAt, 0, 0, "", ""
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("record %d changed on the way through the store:\n got %+v\nwant %+v", i, have, want)
		}
	}
	head, _ := h.Store.Head(context.Background())
	if head.Sequence() != 2 || head.Hash() != sealed[1].Hash() {
		t.Fatalf("head = %d %s", head.Sequence(), head.Hash())
	}
	list, err := h.Store.List(context.Background(), auditport.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ComputeHash() != list[0].Hash() || list[1].ComputeHash() != list[1].Hash() {
		t.Fatal("listed records do not hash to their stored hash")
	}
}

func testBatches(t *testing.T, h Harness) {
	for i := 0; i < 3; i++ {
		mustInsert(t, h, spec{action: "auth.logout", actor: "u"}, spec{action: "auth.logout", actor: "v"})
	}
	var sizes []int
	for {
		n, err := h.Store.Seal(context.Background(), 4, sealPending)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
		sizes = append(sizes, n)
		if head, _ := h.Store.Head(context.Background()); head.Sequence() != int64(4*(len(sizes)-1)+n) {
			t.Fatalf("head at %d after batches %v", head.Sequence(), sizes)
		}
	}
	if !slices.Equal(sizes, []int{4, 2}) {
		t.Fatalf("batches of at most 4 over 6 records: %v", sizes)
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6}) {
		t.Fatalf("sequences = %v", got)
	}
	mustAppend(t, h, spec{action: "auth.logout", actor: "w"})
	if got := sequences(verifyChain(t, h)); len(got) != 7 || got[6] != 7 {
		t.Fatalf("a later batch does not continue the chain: %v", got)
	}
}

func testSeveralInOneTx(t *testing.T, h Harness) {
	ctx := context.Background()
	var want []uuid.UUID
	err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
		for i := 0; i < 3; i++ {
			e1, e2 := newEntry(t, spec{action: "user.profile.updated", actor: "u"}), newEntry(t, spec{action: "auth.logout", actor: "u"})
			if err := insertEntries(ctx, h.Store, e1, e2); err != nil {
				return err
			}
			want = append(want, e1.ID(), e2.ID())
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sealAll(t, h)
	recs := verifyChain(t, h)
	if !slices.Equal(ids(recs), want) {
		t.Fatal("the records of one transaction are not chained in the order it wrote them")
	}
}

func testAfterCommit(t *testing.T, h Harness) {
	ctx := context.Background()
	var ran []string
	_ = h.UoW.Transaction(ctx, func(ctx context.Context) error {
		h.UoW.AfterCommit(ctx, func(context.Context) { ran = append(ran, "rolled-back") })
		return errForced
	})
	err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
		h.UoW.AfterCommit(ctx, func(context.Context) { ran = append(ran, "committed") })
		if len(ran) != 0 {
			return errors.New("AfterCommit ran before the commit")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ran, []string{"committed"}) {
		t.Fatalf("ran = %v", ran)
	}
}

func testFilters(t *testing.T, h Harness) {
	orgA, orgB := shared.OrganizationID(uuid.New()), shared.OrganizationID(uuid.New())
	alice, bob := uuid.NewString(), uuid.NewString()
	at := func(min int) time.Time { return base.Add(time.Duration(min) * time.Minute) }
	specs := []spec{
		{action: "auth.login.succeeded", actor: alice, target: alice, at: at(0)},
		{action: "auth.login.failed", target: alice, at: at(1)},
		{action: "organization.created", actor: alice, org: orgA, at: at(2)},
		{action: "organization.member.added", actor: alice, target: bob, org: orgA, at: at(3)},
		{action: "organization.member.role_changed", actor: bob, target: alice, org: orgA, at: at(4)},
		{action: "organization.created", actor: bob, org: orgB, at: at(5)},
		{action: "auth.logout", actor: bob, target: bob, at: at(6)},
		{action: "sessions.expired", at: at(7)},
	}
	recs := mustAppend(t, h, specs...)
	seqOf := func(idx ...int) []int64 {
		out := make([]int64, 0, len(idx))
		for _, i := range idx {
			out = append(out, recs[i].Sequence())
		}
		return out
	}
	prefix := func(s string) audit.ActionFilter {
		f, err := audit.ParseActionFilter(s)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	cases := []struct {
		name string
		q    auditport.Query
		want []int64 // newest first
	}{
		{"everything", auditport.Query{}, seqOf(7, 6, 5, 4, 3, 2, 1, 0)},
		{"organization", auditport.Query{Organization: orgA}, seqOf(4, 3, 2)},
		{"organization with action prefix", auditport.Query{Organization: orgA, Action: prefix("organization.member.")}, seqOf(4, 3)},
		{"exact action", auditport.Query{Action: prefix("organization.created")}, seqOf(5, 2)},
		{"action prefix", auditport.Query{Action: prefix("auth.*")}, seqOf(6, 1, 0)},
		{"actor", auditport.Query{ActorID: bob}, seqOf(6, 5, 4)},
		{"subject as actor or target", auditport.Query{Subject: shared.UserID(uuid.MustParse(alice))}, seqOf(4, 3, 2, 1, 0)},
		{"subject with actor filter", auditport.Query{Subject: shared.UserID(uuid.MustParse(alice)), ActorID: bob}, seqOf(4)},
		{"subject with prefix", auditport.Query{Subject: shared.UserID(uuid.MustParse(bob)), Action: prefix("auth.")}, seqOf(6)},
		{"from is inclusive", auditport.Query{From: at(6)}, seqOf(7, 6)},
		{"to is exclusive", auditport.Query{To: at(2)}, seqOf(1, 0)},
		{"range within an organization", auditport.Query{Organization: orgA, From: at(3), To: at(4)}, seqOf(3)},
		{"microsecond bounds", auditport.Query{From: at(1).Add(time.Microsecond), To: at(2).Add(time.Microsecond)}, seqOf(2)},
		{"nothing matches", auditport.Query{Organization: orgB, Action: prefix("auth.")}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.q.Limit = 100
			got, err := h.Store.List(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(sequences(got), c.want) && !(len(got) == 0 && len(c.want) == 0) {
				t.Fatalf("newest first: got %v, want %v", sequences(got), c.want)
			}
			c.q.Order = auditport.OldestFirst
			got, err = h.Store.List(context.Background(), c.q)
			if err != nil {
				t.Fatal(err)
			}
			rev := slices.Clone(c.want)
			slices.Reverse(rev)
			if !slices.Equal(sequences(got), rev) && !(len(got) == 0 && len(rev) == 0) {
				t.Fatalf("oldest first: got %v, want %v", sequences(got), rev)
			}
		})
	}
}

func testPrefixLiteral(t *testing.T, h Harness) {
	recs := mustAppend(t, h,
		spec{action: "audit_x.read"},
		spec{action: "auditzx.read"},
		spec{action: "audit_xy.read"},
	)
	f, _ := audit.ParseActionFilter("audit_x.")
	got, err := h.Store.List(context.Background(), auditport.Query{Action: f, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sequences(got), []int64{recs[0].Sequence()}) {
		t.Fatalf("prefix audit_x. matched %v", sequences(got))
	}
}

func testListMixed(t *testing.T, h Harness) {
	sealedOnes := mustAppend(t, h,
		spec{action: "auth.login.succeeded", actor: "u", at: base},
		spec{action: "auth.login.succeeded", actor: "u", at: base.Add(2 * time.Minute)},
	)
	unsealed := mustInsert(t, h,
		spec{action: "auth.logout", actor: "u", at: base.Add(time.Minute)},
		spec{action: "auth.logout", actor: "u", at: base.Add(3 * time.Minute)},
	)
	f, _ := audit.ParseActionFilter("auth.")
	got, err := h.Store.List(context.Background(), auditport.Query{ActorID: "u", Action: f, Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	want := []uuid.UUID{unsealed[1].ID(), sealedOnes[1].ID(), unsealed[0].ID(), sealedOnes[0].ID()}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("newest first over sealed and unsealed records: %v, want %v", ids(got), want)
	}
	if !got[1].Sealed() || got[0].Sealed() {
		t.Fatal("listing changed what is sealed")
	}
}

func testPaginationStable(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 10; i++ {
		specs = append(specs, spec{action: "auth.login.succeeded", actor: "u", at: base.Add(time.Duration(i) * time.Second)})
	}
	// Half are sealed before the listing starts, half while it runs.
	mustAppend(t, h, specs[:5]...)
	mustInsert(t, h, specs[5:]...)
	for _, order := range []auditport.Order{auditport.NewestFirst, auditport.OldestFirst} {
		seen := map[uuid.UUID]bool{}
		var got []uuid.UUID
		var after *audit.Position
		for page := 0; ; page++ {
			recs, err := h.Store.List(context.Background(), auditport.Query{Order: order, After: after, Limit: 3})
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) == 0 {
				break
			}
			for _, r := range recs {
				if seen[r.ID()] {
					t.Fatalf("order %d: record %s repeated", order, r.ID())
				}
				seen[r.ID()] = true
				got = append(got, r.ID())
			}
			last := recs[len(recs)-1].Position()
			after = &last
			// Between pages the sealer seals what is pending and newer
			// records arrive (their times are later than everything
			// listed so far).
			sealAll(t, h)
			if page < 2 {
				mustInsert(t, h, spec{action: "auth.logout", actor: "u", at: base.Add(time.Hour + time.Duration(page)*time.Second)})
			}
		}
		if order == auditport.NewestFirst && len(got) != 10 {
			t.Fatalf("newest first: %d records, want the 10 there when it started", len(got))
		}
		for _, r := range listed(t, h)[:10] {
			if !seen[r.ID()] {
				t.Fatalf("order %d: record %s skipped", order, r.ID())
			}
		}
	}
}

func testTies(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 7; i++ {
		specs = append(specs, spec{action: "sessions.expired", at: base})
	}
	entries := mustInsert(t, h, specs[:4]...)
	sealAll(t, h)
	entries = append(entries, mustInsert(t, h, specs[4:]...)...)
	var got []uuid.UUID
	var after *audit.Position
	for {
		recs, err := h.Store.List(context.Background(), auditport.Query{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, ids(recs)...)
		last := recs[len(recs)-1].Position()
		after = &last
	}
	var want []uuid.UUID
	for i := len(entries) - 1; i >= 0; i-- {
		want = append(want, entries[i].ID())
	}
	if !slices.Equal(got, want) {
		t.Fatalf("pages over equal times = %v, want newest insert first %v", got, want)
	}
}

func testScan(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 7; i++ {
		// Times go backwards: Scan follows the sequence, not the time.
		specs = append(specs, spec{action: "auth.logout", actor: "u", at: base.Add(-time.Duration(i) * time.Minute)})
	}
	mustAppend(t, h, specs...)
	mustInsert(t, h, spec{action: "auth.logout", actor: "unsealed"})
	var got []int64
	var after int64
	for {
		recs, err := h.Store.Scan(context.Background(), after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) > 3 {
			t.Fatalf("scan returned %d records for a batch of 3", len(recs))
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, sequences(recs)...)
		after = recs[len(recs)-1].Sequence()
	}
	if !slices.Equal(got, []int64{1, 2, 3, 4, 5, 6, 7}) {
		t.Fatalf("scan = %v (the unsealed record is not in the chain yet)", got)
	}
}
