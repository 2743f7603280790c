package auditapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/adapters/pgstore/auditpg"
	"github.com/secuird/authy/application/auditapp"
	"github.com/secuird/authy/domain/audit"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/tests/testenv"
)

var now = time.Date(2025, 5, 4, 3, 2, 1, 987654321, time.UTC)

type countingMeter struct {
	mu     sync.Mutex
	counts map[string]int
}

func (m *countingMeter) Add(metric platformport.Metric, outcome string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.counts == nil {
		m.counts = map[string]int{}
	}
	m.counts[string(metric)+"/"+outcome] += n
}

func (m *countingMeter) get(key string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.counts[key]
}

// fakeAccess answers MemberRole from a table; a missing entry is the
// organizations context's NotFound.
type fakeAccess struct {
	roles map[string]string
	err   error
}

func (f fakeAccess) MemberRole(_ context.Context, org shared.OrganizationID, user shared.UserID) (string, error) {
	if f.err != nil {
		return "", f.err
	}
	role, ok := f.roles[org.String()+"/"+user.String()]
	if !ok {
		return "", shared.NotFound("organizations.not_found", "organization not found")
	}
	return role, nil
}

// fixture is the recorder and the sealer on the audit store of a SQLite
// file, with the database as the unit of work they join.
type fixture struct {
	db     *pgstore.DB
	store  *auditpg.Store
	rec    *auditapp.Recorder
	sealer *auditapp.Sealer
	meter  *countingMeter
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	db := testenv.SQLite(t)
	s := auditpg.New(db)
	m := &countingMeter{}
	sealer, err := auditapp.NewSealer(auditapp.SealerDeps{Store: s, Meter: m, BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{db: db, store: s, meter: m, sealer: sealer, rec: auditapp.NewRecorder(s, db, platformport.ClockFunc(func() time.Time { return now }), m)}
}

// sealed seals everything pending and returns the chain.
func (f fixture) sealed(t *testing.T) []audit.Record {
	t.Helper()
	if _, err := f.sealer.SealPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	recs, err := f.store.Scan(context.Background(), 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

func requestCtx() context.Context {
	return shared.WithRequestMeta(context.Background(), shared.RequestMeta{
		RequestID: "8a7c2a0e-8f0b-4a4e-9d57-5d2f0f3f3f3f", ClientIP: "203.0.113.7", UserAgent: "UnitTest/1.0",
	})
}

func newUser() shared.UserID { return shared.UserID(uuid.New()) }

func newOrg() shared.OrganizationID { return shared.OrganizationID(uuid.New()) }

func TestRecord_StoresTheEventWithRequestMetaAndWithoutSecrets(t *testing.T) {
	f := newFixture(t)
	user, org := newUser(), newOrg()
	err := f.rec.Record(requestCtx(), auditport.Event{
		Action: "user.password.changed", ActorType: auditport.ActorUser, ActorID: user.String(),
		TargetType: "user", TargetID: user.String(), OrganizationID: org.String(),
		Details:    map[string]any{"sessions_revoked": 2, "new_password": "hunter2hunter2", "password_hash": "$argon2id$v=19$x"},
		OccurredAt: now.Add(-time.Second),
	})
	if err != nil {
		t.Fatal(err)
	}
	recs := f.sealed(t)
	if len(recs) != 1 {
		t.Fatalf("%d records", len(recs))
	}
	s := recs[0].State()
	if s.Action != "user.password.changed" || s.ActorType != "user" || s.ActorID != user.String() ||
		s.TargetType != "user" || s.TargetID != user.String() || s.OrganizationID != org.String() {
		t.Fatalf("record = %+v", s)
	}
	if s.ClientIP != "203.0.113.7" || s.UserAgent != "UnitTest/1.0" || s.RequestID != "8a7c2a0e-8f0b-4a4e-9d57-5d2f0f3f3f3f" {
		t.Fatalf("request meta not recorded: %+v", s)
	}
	if !s.OccurredAt.Equal(now.Add(-time.Second).Truncate(time.Microsecond)) {
		t.Fatalf("occurred_at = %v", s.OccurredAt)
	}
	if got := string(s.Details); got != `{"_redacted":["new_password","password_hash"],"sessions_revoked":2}` {
		t.Fatalf("details = %s", got)
	}
	if strings.Contains(string(s.Details), "hunter2") || strings.Contains(string(s.Details), "argon2") {
		t.Fatal("a secret reached the record")
	}
	if s.ID.Version() != 7 {
		t.Fatalf("id version %d, want time-ordered v7", s.ID.Version())
	}
}

func TestRecord_DefaultsTimeAndActorType(t *testing.T) {
	f := newFixture(t)
	user := newUser()
	if err := f.rec.Record(context.Background(),
		auditport.Event{Action: "auth.logout", ActorID: user.String()},
		auditport.Event{Action: "auth.login.failed", TargetType: "user"},
	); err != nil {
		t.Fatal(err)
	}
	recs := f.sealed(t)
	if recs[0].State().ActorType != audit.ActorUser || recs[1].State().ActorType != audit.ActorAnonymous {
		t.Fatalf("actor types = %q, %q", recs[0].State().ActorType, recs[1].State().ActorType)
	}
	if !recs[0].OccurredAt().Equal(now.Truncate(time.Microsecond)) {
		t.Fatalf("occurred_at = %v, want the clock's time", recs[0].OccurredAt())
	}
	if recs[1].PrevHash() != recs[0].Hash() {
		t.Fatal("events of one call are not chained in order")
	}
}

func TestRecord_RefusesInvalidEventsAndWritesNone(t *testing.T) {
	cases := map[string]auditport.Event{
		"malformed action":     {Action: "Login Failed"},
		"unknown actor type":   {Action: "auth.logout", ActorType: "root"},
		"system with an id":    {Action: "sessions.expired", ActorType: auditport.ActorSystem, ActorID: "x"},
		"organization not id":  {Action: "organization.created", ActorID: "u", OrganizationID: "acme"},
		"target id, no type":   {Action: "auth.logout", ActorID: "u", TargetID: "x"},
		"details not JSONable": {Action: "auth.logout", ActorID: "u", Details: map[string]any{"f": make(chan int)}},
	}
	for name, bad := range cases {
		t.Run(name, func(t *testing.T) {
			f := newFixture(t)
			err := f.rec.Record(context.Background(), auditport.Event{Action: "auth.logout", ActorID: "u"}, bad)
			if shared.KindOf(err) != shared.KindInvalid {
				t.Fatalf("err = %v, want Invalid", err)
			}
			if recs := f.sealed(t); len(recs) != 0 {
				t.Fatalf("%d records written from a refused call", len(recs))
			}
		})
	}
}

func TestRecord_JoinsTheCallersTransaction(t *testing.T) {
	f := newFixture(t)
	boom := errors.New("the change failed after recording")
	err := f.db.Transaction(context.Background(), func(ctx context.Context) error {
		if err := f.rec.Record(ctx, auditport.Event{Action: "user.profile.updated", ActorID: "u"}); err != nil {
			return err
		}
		if f.meter.get("audit_records/written") != 0 {
			return errors.New("counted before the commit")
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if recs := f.sealed(t); len(recs) != 0 {
		t.Fatal("the record outlived its rolled-back transaction")
	}
	if n := f.meter.get("audit_records/written"); n != 0 {
		t.Fatalf("rolled-back records counted: %d", n)
	}
	if err := f.db.Transaction(context.Background(), func(ctx context.Context) error {
		return f.rec.Record(ctx, auditport.Event{Action: "user.profile.updated", ActorID: "u"}, auditport.Event{Action: "auth.logout", ActorID: "u"})
	}); err != nil {
		t.Fatal(err)
	}
	if n := f.meter.get("audit_records/written"); n != 2 {
		t.Fatalf("written = %d, want 2", n)
	}
}

func TestRecord_NothingToRecordIsANoOp(t *testing.T) {
	f := newFixture(t)
	if err := f.rec.Record(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := f.store.Backlog(context.Background()); b.Count != 0 || len(f.sealed(t)) != 0 {
		t.Fatal("an empty call wrote")
	}
}

// seed records n events alternating between two users and an organization,
// one minute apart.
func seed(t *testing.T, f fixture, events ...auditport.Event) {
	t.Helper()
	for i, ev := range events {
		ev.OccurredAt = now.Add(time.Duration(i) * time.Minute)
		if err := f.rec.Record(requestCtx(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

func actions(p auditport.Page) []string {
	var out []string
	for _, it := range p.Items {
		out = append(out, it.Action)
	}
	return out
}

func TestListForUser_ShowsRecordsWhereTheUserActsOrIsTheTarget(t *testing.T) {
	f := newFixture(t)
	alice, bob := newUser(), newUser()
	seed(t, f,
		auditport.Event{Action: "auth.register", ActorID: alice.String(), TargetType: "user", TargetID: alice.String()},
		auditport.Event{Action: "auth.login.failed", ActorType: auditport.ActorAnonymous, TargetType: "user", TargetID: alice.String()},
		auditport.Event{Action: "auth.register", ActorID: bob.String(), TargetType: "user", TargetID: bob.String()},
		auditport.Event{Action: "organization.member.added", ActorID: bob.String(), TargetType: "user", TargetID: alice.String()},
		auditport.Event{Action: "user.profile.updated", ActorID: alice.String(), TargetType: "user", TargetID: alice.String()},
	)
	r := auditapp.NewReader(f.store, fakeAccess{})
	page, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"user.profile.updated", "organization.member.added", "auth.login.failed", "auth.register"}
	if fmt.Sprint(actions(page)) != fmt.Sprint(want) || page.NextCursor != "" || page.Limit != auditport.DefaultPageSize {
		t.Fatalf("page = %v next=%q limit=%d", actions(page), page.NextCursor, page.Limit)
	}
	it := page.Items[0]
	if it.ClientIP != "203.0.113.7" || it.UserAgent != "UnitTest/1.0" || it.RequestID == "" || !json.Valid(it.Details) {
		t.Fatalf("view = %+v", it)
	}
}

func TestListForUser_PagesWithCursorsUntilNoneRemain(t *testing.T) {
	f := newFixture(t)
	alice := newUser()
	var evs []auditport.Event
	for i := 0; i < 5; i++ {
		evs = append(evs, auditport.Event{Action: "session.refreshed", ActorID: alice.String(), Details: map[string]any{"i": i}})
	}
	seed(t, f, evs...)
	r := auditapp.NewReader(f.store, fakeAccess{})
	var seen []string
	cursor := ""
	for pages := 0; pages < 10; pages++ {
		p, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{Limit: 2, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range p.Items {
			seen = append(seen, string(it.Details))
		}
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
	}
	if fmt.Sprint(seen) != `[{"i":4} {"i":3} {"i":2} {"i":1} {"i":0}]` {
		t.Fatalf("pages = %v", seen)
	}
}

func TestListRequest_ValidationAndClamping(t *testing.T) {
	f := newFixture(t)
	alice := newUser()
	seed(t, f, auditport.Event{Action: "auth.logout", ActorID: alice.String()})
	r := auditapp.NewReader(f.store, fakeAccess{})
	bad := map[string]auditport.ListRequest{
		"from":   {From: "yesterday"},
		"to":     {To: "2025-13-01T00:00:00Z"},
		"action": {Action: "auth%"},
		"cursor": {Cursor: "not-a-cursor"},
	}
	for name, actor := range map[string]string{"NUL": "a\x00b", "invalid UTF-8": "\xff\xfe", "line break": "a\r\nb", "long": strings.Repeat("x", 129)} {
		_, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{ActorID: actor})
		var se *shared.Error
		if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || len(se.Fields()["actor_id"]) == 0 {
			t.Errorf("actor_id %s: err = %v, want Invalid naming actor_id", name, err)
		}
	}
	for field, req := range bad {
		_, err := r.ListForUser(context.Background(), alice, req)
		var se *shared.Error
		if !errors.As(err, &se) || se.Kind() != shared.KindInvalid || len(se.Fields()[field]) == 0 {
			t.Errorf("%s: err = %v, want Invalid naming %s", field, err, field)
		}
	}
	_, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{From: "2025-02-01T00:00:00Z", To: "2025-01-01T00:00:00Z"})
	if shared.KindOf(err) != shared.KindInvalid {
		t.Errorf("from after to: err = %v", err)
	}
	for give, want := range map[int]int{-5: 1, 1: 1, 500: auditport.MaxPageSize} {
		p, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{Limit: give})
		if err != nil || p.Limit != want {
			t.Errorf("limit %d: got %d (%v), want %d", give, p.Limit, err, want)
		}
	}
	p, err := r.ListForUser(context.Background(), alice, auditport.ListRequest{From: now.Add(time.Second).Format(time.RFC3339Nano)})
	if err != nil || len(p.Items) != 0 {
		t.Fatalf("from after the only record: %v %v", actions(p), err)
	}
}

func TestListForOrganization_OnlyOwnersAndAdmins(t *testing.T) {
	f := newFixture(t)
	org, other := newOrg(), newOrg()
	owner, admin, member, outsider := newUser(), newUser(), newUser(), newUser()
	seed(t, f,
		auditport.Event{Action: "organization.created", ActorID: owner.String(), OrganizationID: org.String(), TargetType: "organization", TargetID: org.String()},
		auditport.Event{Action: "organization.created", ActorID: outsider.String(), OrganizationID: other.String()},
		auditport.Event{Action: "organization.member.added", ActorID: owner.String(), OrganizationID: org.String(), TargetType: "user", TargetID: member.String()},
	)
	access := fakeAccess{roles: map[string]string{
		org.String() + "/" + owner.String():  "owner",
		org.String() + "/" + admin.String():  "admin",
		org.String() + "/" + member.String(): "member",
	}}
	r := auditapp.NewReader(f.store, access)
	for _, u := range []shared.UserID{owner, admin} {
		p, err := r.ListForOrganization(context.Background(), u, org, auditport.ListRequest{})
		if err != nil || fmt.Sprint(actions(p)) != "[organization.member.added organization.created]" {
			t.Fatalf("owner/admin: %v %v", actions(p), err)
		}
	}
	if _, err := r.ListForOrganization(context.Background(), member, org, auditport.ListRequest{}); !errors.Is(err, audit.ErrForbidden) {
		t.Fatalf("member: err = %v, want Forbidden", err)
	}
	for _, c := range []struct {
		user shared.UserID
		org  shared.OrganizationID
	}{{outsider, org}, {owner, newOrg()}} {
		if _, err := r.ListForOrganization(context.Background(), c.user, c.org, auditport.ListRequest{}); !errors.Is(err, audit.ErrOrganizationNotFound) {
			t.Fatalf("non-member: err = %v, want NotFound", err)
		}
	}
	// A non-member learns nothing, not even that a filter is malformed.
	if _, err := r.ListForOrganization(context.Background(), outsider, org, auditport.ListRequest{From: "bad"}); !errors.Is(err, audit.ErrOrganizationNotFound) {
		t.Fatalf("non-member with a bad filter: err = %v", err)
	}
	down := shared.Unavailable("organizations.unavailable", "down")
	r = auditapp.NewReader(f.store, fakeAccess{err: down})
	if _, err := r.ListForOrganization(context.Background(), owner, org, auditport.ListRequest{}); !errors.Is(err, down) {
		t.Fatalf("access failure: err = %v", err)
	}
}

func TestExport_StreamsMatchingRecordsOldestFirstInBatches(t *testing.T) {
	f := newFixture(t)
	org := newOrg()
	var evs []auditport.Event
	for i := 0; i < 7; i++ {
		evs = append(evs, auditport.Event{Action: "organization.updated", ActorID: "u", OrganizationID: org.String(), Details: map[string]any{"i": i}})
	}
	evs = append(evs, auditport.Event{Action: "auth.logout", ActorID: "u"})
	seed(t, f, evs...)
	counting := &countingStore{Store: f.store}
	admin := auditapp.NewAdmin(counting)
	var got []string
	n, err := admin.Export(context.Background(), auditport.ExportRequest{
		Organization: org.String(), From: now.Add(time.Minute).Format(time.RFC3339), BatchSize: 2,
	}, func(v auditport.RecordView) error {
		got = append(got, string(v.Details))
		return nil
	})
	if err != nil || n != 6 {
		t.Fatalf("n = %d, err = %v", n, err)
	}
	if fmt.Sprint(got) != `[{"i":1} {"i":2} {"i":3} {"i":4} {"i":5} {"i":6}]` {
		t.Fatalf("exported %v", got)
	}
	if counting.lists != 4 {
		t.Fatalf("%d queries for 6 records in batches of 2, want 4", counting.lists)
	}
	stop := errors.New("disk full")
	n, err = admin.Export(context.Background(), auditport.ExportRequest{}, func(auditport.RecordView) error { return stop })
	if !errors.Is(err, stop) || n != 0 {
		t.Fatalf("emit error: n=%d err=%v", n, err)
	}
	if _, err := admin.Export(context.Background(), auditport.ExportRequest{Organization: "acme", To: "soon"}, nil); shared.KindOf(err) != shared.KindInvalid {
		t.Fatalf("bad export request: %v", err)
	}
}

type countingStore struct {
	*auditpg.Store
	lists int
}

func (c *countingStore) List(ctx context.Context, q auditport.Query) ([]audit.Record, error) {
	c.lists++
	return c.Store.List(ctx, q)
}

// tamperingStore returns one record altered, as a row edited in the
// database would be read back.
type tamperingStore struct {
	*auditpg.Store
	seq int64
}

func (s tamperingStore) Scan(ctx context.Context, after int64, limit int) ([]audit.Record, error) {
	recs, err := s.Store.Scan(ctx, after, limit)
	for i, r := range recs {
		if r.Sequence() == s.seq {
			st := r.State()
			st.ActorID = "mallory"
			recs[i] = audit.RehydrateRecord(st)
		}
	}
	return recs, err
}

func TestVerify_IntactChainAndFirstBrokenLink(t *testing.T) {
	f := newFixture(t)
	var evs []auditport.Event
	for i := 0; i < 9; i++ {
		evs = append(evs, auditport.Event{Action: "session.refreshed", ActorID: "u"})
	}
	seed(t, f, evs...)
	f.sealed(t)
	rep, err := auditapp.NewAdmin(f.store).Verify(context.Background(), 2)
	if err != nil || rep.Break != nil || rep.Checked != 9 || rep.HeadSequence != 9 || len(rep.HeadHash) != 64 {
		t.Fatalf("intact chain: %+v %v", rep, err)
	}
	rep, err = auditapp.NewAdmin(tamperingStore{Store: f.store, seq: 6}).Verify(context.Background(), 2)
	if err != nil || rep.Break == nil || rep.Break.Sequence != 6 || rep.Checked != 5 || !strings.Contains(rep.Break.Problem, "altered") {
		t.Fatalf("tampered chain: %+v %v", rep, err)
	}
	empty := auditapp.NewAdmin(auditpg.New(testenv.SQLite(t)))
	if rep, err := empty.Verify(context.Background(), 0); err != nil || rep.Break != nil || rep.Checked != 0 {
		t.Fatalf("empty chain: %+v %v", rep, err)
	}
}
