package sessionsporttest

import (
	"context"
	"crypto/rand"
	"errors"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/sessions"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/sessionsport"
)

// StoreHarness is one fresh store under test. NewUser returns a user id
// sessions may reference (a row in the users table for SQL stores).
type StoreHarness struct {
	Store   sessionsport.Store
	UoW     platformport.UnitOfWork
	NewUser func(t *testing.T) shared.UserID
}

// StoreOptions tunes the suite. Many is how many sessions the expiry test
// creates (at least 1,200 so several batches run).
type StoreOptions struct {
	Many int
}

var (
	t0     = time.Date(2025, 3, 1, 9, 0, 0, 123456000, time.UTC)
	policy = mustPolicy(15*time.Minute, 8*time.Hour)
	// method is not the password one, so a store that drops the method
	// (reading back the default) fails the round trips.
	method = mustMethod("oidc:Contract-IdP.1", "pwd", "otp", "mfa")
)

func mustMethod(name string, amr ...string) sessions.AuthMethod {
	m, err := sessions.ParseAuthMethod(name, amr)
	if err != nil {
		panic(err)
	}
	return m
}

func mustPolicy(idle, abs time.Duration) sessions.Policy {
	p, err := sessions.NewPolicy(idle, abs)
	if err != nil {
		panic(err)
	}
	return p
}

// RandomHash returns a random token hash.
func RandomHash(t testing.TB) sessions.TokenHash {
	t.Helper()
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	h, err := sessions.NewTokenHash(b)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func newSession(t *testing.T, user shared.UserID, at time.Time) *sessions.Session {
	t.Helper()
	s, err := sessions.New(uuid.Must(uuid.NewV7()), user, RandomHash(t), method, "192.0.2.1", "contract/1.0 (é)", at, policy)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func same(t *testing.T, got, want *sessions.Session) {
	t.Helper()
	type flat struct {
		ID                                      uuid.UUID
		User                                    shared.UserID
		Hash                                    string
		Created, Seen, Expires, Absolute, Ended time.Time
		IP, UA, Status, Reason                  string
		Method                                  sessions.AuthMethod
		AuthTime                                time.Time
	}
	f := func(s *sessions.Session) flat {
		return flat{s.ID(), s.User(), s.TokenHash().String(), s.CreatedAt(), s.LastSeenAt(), s.ExpiresAt(),
			s.AbsoluteExpiresAt(), s.EndedAt(), s.IP(), s.UserAgent(), s.Status().String(), s.EndReason(),
			s.Method(), s.AuthTime()}
	}
	g, w := f(got), f(want)
	if g.ID != w.ID || g.User != w.User || g.Hash != w.Hash || !g.Created.Equal(w.Created) || !g.Seen.Equal(w.Seen) ||
		!g.Expires.Equal(w.Expires) || !g.Absolute.Equal(w.Absolute) || !g.Ended.Equal(w.Ended) ||
		g.IP != w.IP || g.UA != w.UA || g.Status != w.Status || g.Reason != w.Reason ||
		g.Method != w.Method || !g.AuthTime.Equal(w.AuthTime) {
		t.Fatalf("stored session differs:\n got  %+v\n want %+v", g, w)
	}
}

// StoreContract checks a Store and the unit of work it joins. open returns a fresh,
// empty store for each subtest.
func StoreContract(t *testing.T, open func(t *testing.T) StoreHarness, o StoreOptions) {
	t.Helper()
	ctx := context.Background()
	if o.Many < 1200 {
		o.Many = 1200
	}

	t.Run("create then read back by id and by token hash", func(t *testing.T) {
		h := open(t)
		s := newSession(t, h.NewUser(t), t0)
		if err := h.Store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, err := h.Store.Get(ctx, s.ID())
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, s)
		got, err = h.Store.ByTokenHash(ctx, s.TokenHash())
		if err != nil {
			t.Fatal(err)
		}
		same(t, got, s)
	})

	t.Run("unknown ids and hashes are not found", func(t *testing.T) {
		h := open(t)
		if _, err := h.Store.Get(ctx, uuid.New()); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Get = %v", err)
		}
		if _, err := h.Store.ByTokenHash(ctx, RandomHash(t)); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("ByTokenHash = %v", err)
		}
		err := h.Store.Update(ctx, uuid.New(), func(*sessions.Session) error { t.Fatal("closure called"); return nil })
		if !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("Update = %v", err)
		}
		if ok, err := h.Store.Touch(ctx, uuid.New(), t0, t0.Add(time.Minute)); ok || err != nil {
			t.Fatalf("Touch = %v, %v", ok, err)
		}
	})

	t.Run("a second session with the same id or token hash is a duplicate", func(t *testing.T) {
		h := open(t)
		user := h.NewUser(t)
		s := newSession(t, user, t0)
		if err := h.Store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		sameHash, _ := sessions.New(uuid.New(), user, s.TokenHash(), method, "", "", t0, policy)
		if err := h.Store.Create(ctx, sameHash); !errors.Is(err, sessions.ErrDuplicate) {
			t.Fatalf("same hash: %v", err)
		}
		sameID, _ := sessions.New(s.ID(), user, RandomHash(t), method, "", "", t0, policy)
		if err := h.Store.Create(ctx, sameID); !errors.Is(err, sessions.ErrDuplicate) {
			t.Fatalf("same id: %v", err)
		}
	})

	t.Run("update saves the closure's change and a failing closure changes nothing", func(t *testing.T) {
		h := open(t)
		s := newSession(t, h.NewUser(t), t0)
		if err := h.Store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("closure failed")
		err := h.Store.Update(ctx, s.ID(), func(x *sessions.Session) error {
			_ = x.Revoke(t0.Add(time.Minute), sessions.ReasonUser, x.User())
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Update = %v, want the closure's error", err)
		}
		got, _ := h.Store.Get(ctx, s.ID())
		same(t, got, s)
		err = h.Store.Update(ctx, s.ID(), func(x *sessions.Session) error {
			return x.Revoke(t0.Add(time.Minute), sessions.ReasonUser, x.User())
		})
		if err != nil {
			t.Fatal(err)
		}
		got, _ = h.Store.Get(ctx, s.ID())
		if got.Status() != sessions.StatusRevoked || got.EndReason() != "user" || !got.EndedAt().Equal(t0.Add(time.Minute)) {
			t.Fatalf("not saved: %s %s %s", got.Status(), got.EndReason(), got.EndedAt())
		}
	})

	t.Run("a failing unit of work rolls back every change and skips after-commit work", func(t *testing.T) {
		h := open(t)
		user := h.NewUser(t)
		existing := newSession(t, user, t0)
		if err := h.Store.Create(ctx, existing); err != nil {
			t.Fatal(err)
		}
		created := newSession(t, user, t0)
		boom := errors.New("later step failed")
		ran := false
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			if err := h.Store.Create(ctx, created); err != nil {
				return err
			}
			if err := h.Store.Update(ctx, existing.ID(), func(x *sessions.Session) error {
				return x.Revoke(t0, sessions.ReasonUser, user)
			}); err != nil {
				return err
			}
			if ok, err := h.Store.Touch(ctx, created.ID(), t0.Add(time.Second), t0.Add(time.Hour)); !ok || err != nil {
				return errors.Join(errors.New("touch in tx failed"), err)
			}
			if err := h.Store.AddPurges(ctx, []sessionsport.Purge{{Hash: existing.TokenHash(), Until: t0.Add(time.Hour)}}); err != nil {
				return err
			}
			// Inside the unit of work its own changes are visible.
			if got, err := h.Store.Get(ctx, existing.ID()); err != nil || got.Status() != sessions.StatusRevoked {
				return errors.Join(errors.New("own change invisible"), err)
			}
			h.UoW.AfterCommit(ctx, func(context.Context) { ran = true })
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("Do = %v", err)
		}
		if ran {
			t.Fatal("after-commit work ran after a rollback")
		}
		if _, err := h.Store.Get(ctx, created.ID()); !errors.Is(err, sessions.ErrNotFound) {
			t.Fatalf("rolled-back create is visible: %v", err)
		}
		got, _ := h.Store.Get(ctx, existing.ID())
		same(t, got, existing)
		if ps, _ := h.Store.PendingPurges(ctx, 10); len(ps) != 0 {
			t.Fatal("rolled-back purge is visible")
		}
	})

	t.Run("a nested unit of work joins the outer one and after-commit work waits for it", func(t *testing.T) {
		h := open(t)
		s := newSession(t, h.NewUser(t), t0)
		var order []string
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			return h.UoW.Transaction(ctx, func(ctx context.Context) error {
				if err := h.Store.Create(ctx, s); err != nil {
					return err
				}
				h.UoW.AfterCommit(ctx, func(ctx context.Context) {
					if _, err := h.Store.Get(ctx, s.ID()); err != nil {
						order = append(order, "not committed")
						return
					}
					order = append(order, "after")
				})
				order = append(order, "inner")
				return nil
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(order) != 2 || order[0] != "inner" || order[1] != "after" {
			t.Fatalf("order %v", order)
		}
		ran := false
		h.UoW.AfterCommit(ctx, func(context.Context) { ran = true })
		if !ran {
			t.Fatal("without a transaction AfterCommit runs at once")
		}
	})

	t.Run("of concurrent conflicting updates exactly one wins", func(t *testing.T) {
		h := open(t)
		s := newSession(t, h.NewUser(t), t0)
		if err := h.Store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.UoW.Transaction(ctx, func(ctx context.Context) error {
					return h.Store.Update(ctx, s.ID(), func(x *sessions.Session) error {
						return x.Revoke(t0.Add(time.Duration(i)*time.Second), sessions.ReasonUser, x.User())
					})
				})
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, sessions.ErrEnded):
				t.Fatalf("unexpected error %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d revocations won, want exactly 1", won)
		}
	})

	t.Run("touch stores the idle clock of active sessions only", func(t *testing.T) {
		h := open(t)
		user := h.NewUser(t)
		a, r := newSession(t, user, t0), newSession(t, user, t0)
		for _, s := range []*sessions.Session{a, r} {
			if err := h.Store.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		_ = h.Store.Update(ctx, r.ID(), func(x *sessions.Session) error { return x.Revoke(t0, sessions.ReasonUser, user) })
		seen, exp := t0.Add(3*time.Minute+time.Microsecond), t0.Add(18*time.Minute+time.Microsecond)
		if ok, err := h.Store.Touch(ctx, a.ID(), seen, exp); !ok || err != nil {
			t.Fatalf("touch active = %v, %v", ok, err)
		}
		got, _ := h.Store.Get(ctx, a.ID())
		if !got.LastSeenAt().Equal(seen) || !got.ExpiresAt().Equal(exp) {
			t.Fatalf("touch not stored: %s %s", got.LastSeenAt(), got.ExpiresAt())
		}
		if ok, err := h.Store.Touch(ctx, r.ID(), seen, exp); ok || err != nil {
			t.Fatalf("touch revoked = %v, %v", ok, err)
		}
		got, _ = h.Store.Get(ctx, r.ID())
		if got.LastSeenAt().Equal(seen) {
			t.Fatal("a revoked session's clock moved")
		}
	})

	t.Run("update active of a user sees only that user's active sessions", func(t *testing.T) {
		h := open(t)
		user, other := h.NewUser(t), h.NewUser(t)
		var mine []*sessions.Session
		for i := 0; i < 3; i++ {
			s := newSession(t, user, t0.Add(time.Duration(i)*time.Second))
			mine = append(mine, s)
			if err := h.Store.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		theirs := newSession(t, other, t0)
		if err := h.Store.Create(ctx, theirs); err != nil {
			t.Fatal(err)
		}
		_ = h.Store.Update(ctx, mine[0].ID(), func(x *sessions.Session) error { return x.Revoke(t0, sessions.ReasonUser, user) })
		var seen []uuid.UUID
		err := h.Store.UpdateActiveOf(ctx, user, func(list []*sessions.Session) error {
			for _, x := range list {
				seen = append(seen, x.ID())
				if err := x.Revoke(t0.Add(time.Hour), sessions.ReasonPasswordChanged, user); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 2 {
			t.Fatalf("saw %d sessions, want the 2 active ones", len(seen))
		}
		for _, s := range mine[1:] {
			got, _ := h.Store.Get(ctx, s.ID())
			if got.Status() != sessions.StatusRevoked || got.EndReason() != "password_changed" {
				t.Fatalf("not saved: %s", got.Status())
			}
		}
		if got, _ := h.Store.Get(ctx, theirs.ID()); got.Status() != sessions.StatusActive {
			t.Fatal("another user's session changed")
		}
		boom := errors.New("abort")
		err = h.Store.UpdateActiveOf(ctx, other, func(list []*sessions.Session) error {
			_ = list[0].Revoke(t0, sessions.ReasonUser, other)
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if got, _ := h.Store.Get(ctx, theirs.ID()); got.Status() != sessions.StatusActive {
			t.Fatal("a failing closure changed a session")
		}
	})

	t.Run("list active pages newest first and leaves out ended and long-expired sessions", func(t *testing.T) {
		h := open(t)
		user := h.NewUser(t)
		var active []*sessions.Session
		for i := 0; i < 5; i++ {
			s := newSession(t, user, t0.Add(time.Duration(i)*time.Minute))
			if err := h.Store.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
			active = append(active, s)
		}
		// Same creation instant: ties are broken by id.
		twin := newSession(t, user, t0.Add(4*time.Minute))
		if err := h.Store.Create(ctx, twin); err != nil {
			t.Fatal(err)
		}
		active = append(active, twin)
		revoked := newSession(t, user, t0.Add(10*time.Minute))
		_ = revoked.Revoke(t0.Add(10*time.Minute), sessions.ReasonUser, user)
		old := newSession(t, user, t0.Add(-time.Hour))
		stranger := newSession(t, h.NewUser(t), t0)
		for _, s := range []*sessions.Session{revoked, old, stranger} {
			if err := h.Store.Create(ctx, s); err != nil {
				t.Fatal(err)
			}
		}
		sort.Slice(active, func(i, j int) bool {
			a, b := active[i], active[j]
			if !a.CreatedAt().Equal(b.CreatedAt()) {
				return a.CreatedAt().After(b.CreatedAt())
			}
			return string(a.ID().String()) > string(b.ID().String())
		})
		var got []uuid.UUID
		q := sessionsport.PageQuery{Limit: 4}
		for {
			page, err := h.Store.ListActive(ctx, user, t0, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range page {
				got = append(got, s.ID())
			}
			if len(page) < q.Limit {
				break
			}
			last := page[len(page)-1]
			q.BeforeCreatedAt, q.BeforeID = last.CreatedAt(), last.ID()
		}
		if len(got) != len(active) {
			t.Fatalf("listed %d sessions, want %d", len(got), len(active))
		}
		for i := range active {
			if got[i] != active[i].ID() {
				t.Fatalf("position %d: %s, want %s", i, got[i], active[i].ID())
			}
		}
	})

	t.Run("expire batch marks due sessions in bounded batches, concurrently, each once", func(t *testing.T) {
		h := open(t)
		users := []shared.UserID{h.NewUser(t), h.NewUser(t), h.NewUser(t)}
		due, live := o.Many, 50
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			for i := 0; i < due+live; i++ {
				at := t0.Add(time.Duration(i%600) * time.Second)
				if i >= due {
					at = t0.Add(2 * time.Hour)
				}
				if err := h.Store.Create(ctx, newSession(t, users[i%len(users)], at)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		before := t0.Add(time.Hour) // all "due" sessions expired by t0+10m+15m
		now := t0.Add(time.Hour + time.Minute)
		var (
			mu    sync.Mutex
			total int
			wg    sync.WaitGroup
			errs  = make(chan error, 4)
		)
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					var n int
					err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
						var err error
						n, err = h.Store.ExpireBatch(ctx, before, now, 500)
						return err
					})
					if err != nil {
						errs <- err
						return
					}
					if n > 500 {
						errs <- errors.New("a batch exceeded its limit")
						return
					}
					mu.Lock()
					total += n
					mu.Unlock()
					if n == 0 {
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if total != due {
			t.Fatalf("marked %d sessions, want %d", total, due)
		}
		for _, u := range users {
			left, err := h.Store.ListActive(ctx, u, time.Time{}, sessionsport.PageQuery{Limit: due + live})
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range left {
				if !s.CreatedAt().Equal(t0.Add(2 * time.Hour)) {
					t.Fatalf("a due session is still active: created %s", s.CreatedAt())
				}
			}
		}
		if n, err := h.Store.ExpireBatch(ctx, before, now, 500); n != 0 || err != nil {
			t.Fatalf("a second pass marked %d (%v)", n, err)
		}
	})

	t.Run("expired sessions keep their status and end time", func(t *testing.T) {
		h := open(t)
		s := newSession(t, h.NewUser(t), t0)
		if err := h.Store.Create(ctx, s); err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Hour)
		if n, err := h.Store.ExpireBatch(ctx, now, now, 10); n != 1 || err != nil {
			t.Fatalf("ExpireBatch = %d, %v", n, err)
		}
		got, _ := h.Store.Get(ctx, s.ID())
		if got.Status() != sessions.StatusExpired || !got.EndedAt().Equal(now) || got.ActiveAt(t0) {
			t.Fatalf("status %s ended %s", got.Status(), got.EndedAt())
		}
		if ok, _ := h.Store.Touch(ctx, s.ID(), now, now.Add(time.Minute)); ok {
			t.Fatal("an expired session was touched")
		}
	})

	t.Run("the purge outbox adds, lists in bounded pages and deletes", func(t *testing.T) {
		h := open(t)
		var ps []sessionsport.Purge
		for i := 0; i < 7; i++ {
			ps = append(ps, sessionsport.Purge{Hash: RandomHash(t), Until: t0.Add(time.Duration(i) * time.Hour)})
		}
		if err := h.Store.AddPurges(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if err := h.Store.AddPurges(ctx, ps[:1]); err != nil {
			t.Fatalf("adding a pending purge again must be harmless: %v", err)
		}
		page, err := h.Store.PendingPurges(ctx, 5)
		if err != nil || len(page) != 5 {
			t.Fatalf("page %d, %v", len(page), err)
		}
		all, _ := h.Store.PendingPurges(ctx, 100)
		if len(all) != 7 {
			t.Fatalf("pending %d", len(all))
		}
		want := map[sessions.TokenHash]time.Time{}
		for _, p := range ps {
			want[p.Hash] = p.Until
		}
		for _, p := range all {
			if !want[p.Hash].Equal(p.Until) {
				t.Fatalf("purge %s until %s, want %s", p.Hash, p.Until, want[p.Hash])
			}
		}
		del := []sessions.TokenHash{ps[0].Hash, ps[1].Hash, RandomHash(t)}
		if err := h.Store.DeletePurges(ctx, del); err != nil {
			t.Fatal(err)
		}
		if left, _ := h.Store.PendingPurges(ctx, 100); len(left) != 5 {
			t.Fatalf("left %d", len(left))
		}
	})
}

// NewSession returns a new, unsaved session of user created at a fixed
// instant, for adapter tests beyond the contract.
func NewSession(t *testing.T, user shared.UserID) *sessions.Session {
	t.Helper()
	return newSession(t, user, t0)
}
