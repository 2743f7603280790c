// Package auditporttest is the executable contract of auditport.Store and
// auditport.UnitOfWork: every store (in-memory, SQLite, PostgreSQL) runs
// Run from its own tests.
package auditporttest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
)

// Harness is one fresh, empty store with the unit of work it joins.
type Harness struct {
	Store auditport.Store
	UoW   auditport.UnitOfWork
	// Change makes a change that belongs to another context (a row in some
	// other table) inside the transaction ctx carries; Changed reports
	// whether a committed change with that key exists. Together they show
	// that a change and its record commit or roll back as one.
	Change  func(ctx context.Context, key string) error
	Changed func(ctx context.Context, key string) (bool, error)
}

// Run checks the contract on stores made by newHarness, one per subtest.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	tests := []struct {
		name string
		fn   func(t *testing.T, h Harness)
	}{
		{"EmptyStoreHasTheGenesisHead", testEmpty},
		{"AppendedRecordsReadBackExactly", testRoundTrip},
		{"AppendsContinueTheChainAcrossTransactions", testContinues},
		{"SeveralAppendsInOneTransactionContinueTheChain", testSeveralInOneTx},
		{"ConcurrentWritersNeverForkTheChain", testConcurrentWriters},
		{"RollbackKeepsNeitherTheChangeNorItsRecord", testRollback},
		{"SealErrorWritesNothing", testSealError},
		{"RefusesRecordsThatDoNotContinueTheHead", testChainMismatch},
		{"AfterCommitRunsOnlyOnCommit", testAfterCommit},
		{"FiltersSelectExactlyTheMatchingRecords", testFilters},
		{"ActionPrefixTreatsWildcardCharactersLiterally", testPrefixLiteral},
		{"PagesNeverSkipOrRepeatWhileRecordsArrive", testPaginationStable},
		{"TiesOnTimeAreBrokenBySequence", testTies},
		{"ScanWalksInSequenceBatches", testScan},
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

func appendEntries(ctx context.Context, s auditport.Store, entries ...audit.Entry) ([]audit.Record, error) {
	var sealed []audit.Record
	err := s.Append(ctx, func(head audit.ChainHead) ([]audit.Record, error) {
		sealed, _ = audit.Seal(head, entries)
		return sealed, nil
	})
	return sealed, err
}

func mustAppend(t *testing.T, h Harness, specs ...spec) []audit.Record {
	t.Helper()
	entries := make([]audit.Entry, 0, len(specs))
	for _, s := range specs {
		entries = append(entries, newEntry(t, s))
	}
	recs, err := appendEntries(context.Background(), h.Store, entries...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return recs
}

func all(t *testing.T, h Harness) []audit.Record {
	t.Helper()
	recs, err := h.Store.Scan(context.Background(), 0, 1_000_000)
	if err != nil {
		t.Fatalf("scan: %v", err)
	}
	return recs
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
}

func testRoundTrip(t *testing.T, h Harness) {
	org := shared.OrganizationID(uuid.New())
	sealed := mustAppend(t, h,
		spec{action: "auth.login.succeeded", actor: "u-1", target: "u-1", org: org, at: base.Add(123456789 * time.Nanosecond),
			correlation: "client-trace:1"},
		spec{action: "sessions.expired"},
	)
	if sealed[0].State().CorrelationID != "client-trace:1" {
		t.Fatalf("correlation id %q was not sealed", sealed[0].State().CorrelationID)
	}
	got := verifyChain(t, h)
	if len(got) != 2 {
		t.Fatalf("%d records, want 2", len(got))
	}
	for i := range sealed {
		want, have := sealed[i].State(), got[i].State()
		if !have.OccurredAt.Equal(want.OccurredAt) || have.OccurredAt.Location() != time.UTC {
			t.Errorf("occurred_at = %v, want %v in UTC", have.OccurredAt, want.OccurredAt)
		}
		have.OccurredAt = want.OccurredAt
		if fmt.Sprint(have) != fmt.Sprint(want) {
			t.Errorf("record %d changed on the way through the store:\n got %+v\nwant %+v", i, have, want)
		}
	}
	head, _ := h.Store.Head(context.Background())
	if head.Sequence() != 2 || head.Hash() != sealed[1].Hash() {
		t.Fatalf("head = %d %s", head.Sequence(), head.Hash())
	}
	listed, err := h.Store.List(context.Background(), auditport.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(listed) != 2 || listed[0].ComputeHash() != listed[0].Hash() || listed[1].ComputeHash() != listed[1].Hash() {
		t.Fatal("listed records do not hash to their stored hash")
	}
}

func testContinues(t *testing.T, h Harness) {
	for i := 0; i < 3; i++ {
		mustAppend(t, h, spec{action: "auth.logout", actor: "u"})
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1, 2, 3}) {
		t.Fatalf("sequences = %v", got)
	}
}

func testSeveralInOneTx(t *testing.T, h Harness) {
	ctx := context.Background()
	err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
		for i := 0; i < 3; i++ {
			if _, err := appendEntries(ctx, h.Store, newEntry(t, spec{action: "user.profile.updated", actor: "u"}), newEntry(t, spec{action: "auth.logout", actor: "u"})); err != nil {
				return err
			}
		}
		head, err := h.Store.Head(ctx)
		if err != nil || head.Sequence() != 6 {
			return fmt.Errorf("head inside the transaction = %d, %v; want 6", head.Sequence(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := sequences(verifyChain(t, h)); len(got) != 6 || got[5] != 6 {
		t.Fatalf("sequences = %v", got)
	}
}

func testConcurrentWriters(t *testing.T, h Harness) {
	const writers = 20
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for i := 0; i < writers; i++ {
		e1 := newEntry(t, spec{action: "auth.login.succeeded", actor: fmt.Sprintf("user-%d", i)})
		e2 := newEntry(t, spec{action: "session.refreshed", actor: fmt.Sprintf("user-%d", i)})
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- h.UoW.Transaction(ctx, func(ctx context.Context) error {
				if _, err := appendEntries(ctx, h.Store, e1); err != nil {
					return err
				}
				_, err := appendEntries(ctx, h.Store, e2)
				return err
			})
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatalf("writer failed: %v", err)
		}
	}
	recs := verifyChain(t, h)
	if len(recs) != 2*writers {
		t.Fatalf("%d records, want %d", len(recs), 2*writers)
	}
	// Each transaction's two records are adjacent: nobody got in between.
	for i := 0; i < len(recs); i += 2 {
		a, b := recs[i].State(), recs[i+1].State()
		if a.ActorID != b.ActorID || a.Action != "auth.login.succeeded" || b.Action != "session.refreshed" {
			t.Fatalf("records %d and %d of one transaction are interleaved with another's", a.Sequence, b.Sequence)
		}
	}
}

var errForced = errors.New("forced failure after the change")

func testRollback(t *testing.T, h Harness) {
	ctx := context.Background()
	key := uuid.NewString()
	err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := h.Change(ctx, key); err != nil {
			return err
		}
		if _, err := appendEntries(ctx, h.Store, newEntry(t, spec{action: "user.profile.updated", actor: "u"})); err != nil {
			return err
		}
		return errForced
	})
	if !errors.Is(err, errForced) {
		t.Fatalf("err = %v, want the forced failure", err)
	}
	if kept, err := h.Changed(ctx, key); err != nil || kept {
		t.Fatalf("change kept = %v (%v) after rollback", kept, err)
	}
	if recs := all(t, h); len(recs) != 0 {
		t.Fatalf("%d records kept after rollback", len(recs))
	}
	if head, _ := h.Store.Head(ctx); head != audit.Genesis() {
		t.Fatalf("head moved to %d after rollback", head.Sequence())
	}

	// The same unit of work without the failure keeps both, and the chain
	// carries on from where it was.
	key2 := uuid.NewString()
	err = h.UoW.Transaction(ctx, func(ctx context.Context) error {
		if err := h.Change(ctx, key2); err != nil {
			return err
		}
		_, err := appendEntries(ctx, h.Store, newEntry(t, spec{action: "user.profile.updated", actor: "u"}))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if kept, err := h.Changed(ctx, key2); err != nil || !kept {
		t.Fatalf("committed change kept = %v (%v)", kept, err)
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
		t.Fatalf("sequences = %v, want [1]", got)
	}
}

func testSealError(t *testing.T, h Harness) {
	mustAppend(t, h, spec{action: "auth.logout", actor: "u"})
	err := h.Store.Append(context.Background(), func(audit.ChainHead) ([]audit.Record, error) { return nil, errForced })
	if !errors.Is(err, errForced) {
		t.Fatalf("err = %v", err)
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
		t.Fatalf("sequences = %v", got)
	}
}

func testChainMismatch(t *testing.T, h Harness) {
	mustAppend(t, h, spec{action: "auth.logout", actor: "u"})
	stale, _ := audit.Seal(audit.Genesis(), []audit.Entry{newEntry(t, spec{action: "auth.logout", actor: "v"})})
	err := h.Store.Append(context.Background(), func(audit.ChainHead) ([]audit.Record, error) { return stale, nil })
	if !errors.Is(err, audit.ErrChainMismatch) {
		t.Fatalf("err = %v, want ErrChainMismatch", err)
	}
	if got := sequences(verifyChain(t, h)); !slices.Equal(got, []int64{1}) {
		t.Fatalf("sequences = %v", got)
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

func testPaginationStable(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 10; i++ {
		specs = append(specs, spec{action: "auth.login.succeeded", actor: "u", at: base.Add(time.Duration(i) * time.Second)})
	}
	mustAppend(t, h, specs...)
	for _, order := range []auditport.Order{auditport.NewestFirst, auditport.OldestFirst} {
		seen := map[int64]bool{}
		var got []int64
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
				if seen[r.Sequence()] {
					t.Fatalf("order %d: sequence %d repeated", order, r.Sequence())
				}
				seen[r.Sequence()] = true
				got = append(got, r.Sequence())
			}
			last := recs[len(recs)-1].Position()
			after = &last
			// Newer records arrive between pages (their times are later than
			// everything listed so far).
			if page < 2 {
				mustAppend(t, h, spec{action: "auth.logout", actor: "u", at: base.Add(time.Hour + time.Duration(page)*time.Second)})
			}
		}
		for seq := int64(1); seq <= 10; seq++ {
			if !seen[seq] {
				t.Fatalf("order %d: sequence %d skipped; got %v", order, seq, got)
			}
		}
		if order == auditport.NewestFirst && len(got) != 10 {
			t.Fatalf("newest first picked up records newer than the first page: %v", got)
		}
	}
}

func testTies(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 7; i++ {
		specs = append(specs, spec{action: "sessions.expired", at: base})
	}
	mustAppend(t, h, specs...)
	var got []int64
	var after *audit.Position
	for {
		recs, err := h.Store.List(context.Background(), auditport.Query{After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) == 0 {
			break
		}
		got = append(got, sequences(recs)...)
		last := recs[len(recs)-1].Position()
		after = &last
	}
	if !slices.Equal(got, []int64{7, 6, 5, 4, 3, 2, 1}) {
		t.Fatalf("pages over equal times = %v", got)
	}
}

func testScan(t *testing.T, h Harness) {
	var specs []spec
	for i := 0; i < 7; i++ {
		// Times go backwards: Scan follows the sequence, not the time.
		specs = append(specs, spec{action: "auth.logout", actor: "u", at: base.Add(-time.Duration(i) * time.Minute)})
	}
	mustAppend(t, h, specs...)
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
		t.Fatalf("scan = %v", got)
	}
}
