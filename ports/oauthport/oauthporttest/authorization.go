package oauthporttest

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
)

// ConsentHarness is a consent store with a way to make the users and the
// clients its rows refer to, and to delete a client.
type ConsentHarness struct {
	Repo         oauthport.ConsentRepository
	NewUser      func(t *testing.T) shared.UserID
	NewClient    func(t *testing.T) string
	DeleteClient func(t *testing.T, id string)
}

// ConsentRepositoryContract checks a ConsentRepository against its
// contract.
func ConsentRepositoryContract(t *testing.T, newHarness func(t *testing.T) ConsentHarness) {
	ctx := context.Background()

	t.Run("a pair never granted is not found and grants merge", func(t *testing.T) {
		h := newHarness(t)
		u, c := h.NewUser(t), h.NewClient(t)
		if _, err := h.Repo.Get(ctx, u, c); !errors.Is(err, oauthport.ErrConsentNotFound) {
			t.Fatalf("get before grant: %v", err)
		}
		if err := h.Repo.Grant(ctx, u, c, []string{"openid", "email"}, t0); err != nil {
			t.Fatal(err)
		}
		if err := h.Repo.Grant(ctx, u, c, []string{"email", "profile"}, t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		got, err := h.Repo.Get(ctx, u, c)
		if err != nil || !slices.Equal(got.Scopes, []string{"openid", "email", "profile"}) || !got.UpdatedAt.After(got.CreatedAt) {
			t.Fatalf("merged consent %+v %v", got, err)
		}
		if _, err := h.Repo.Get(ctx, h.NewUser(t), c); !errors.Is(err, oauthport.ErrConsentNotFound) {
			t.Fatalf("another user's consent: %v", err)
		}
	})

	t.Run("list, delete and a deleted client's consents", func(t *testing.T) {
		h := newHarness(t)
		u, a, b := h.NewUser(t), h.NewClient(t), h.NewClient(t)
		for _, c := range []string{a, b} {
			if err := h.Repo.Grant(ctx, u, c, []string{"openid"}, t0); err != nil {
				t.Fatal(err)
			}
		}
		list, err := h.Repo.List(ctx, u)
		if err != nil || len(list) != 2 || strings.Compare(list[0].ClientID, list[1].ClientID) > 0 {
			t.Fatalf("list %+v %v", list, err)
		}
		if found, err := h.Repo.Delete(ctx, u, a); err != nil || !found {
			t.Fatalf("delete: %v %v", found, err)
		}
		if found, err := h.Repo.Delete(ctx, u, a); err != nil || found {
			t.Fatalf("delete again: %v %v", found, err)
		}
		h.DeleteClient(t, b)
		if list, err := h.Repo.List(ctx, u); err != nil || len(list) != 0 {
			t.Fatalf("after deletes: %+v %v", list, err)
		}
	})

	t.Run("concurrent grants both land", func(t *testing.T) {
		h := newHarness(t)
		u, c := h.NewUser(t), h.NewClient(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i, s := range []string{"a", "b", "c", "d"} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Repo.Grant(ctx, u, c, []string{s}, t0)
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, err := h.Repo.Get(ctx, u, c)
		if err != nil || len(got.Scopes) != 4 {
			t.Fatalf("after concurrent grants: %+v %v", got, err)
		}
	})
}

// ParkHarness is a parked request store with a way to make the clients
// its rows refer to.
type ParkHarness struct {
	Store     oauthport.AuthorizeRequestStore
	NewClient func(t *testing.T) string
}

// AuthorizeRequestStoreContract checks an AuthorizeRequestStore against
// its contract.
func AuthorizeRequestStoreContract(t *testing.T, newHarness func(t *testing.T) ParkHarness) {
	ctx := context.Background()
	hash := func(c byte) string { return strings.Repeat(string(c), 64) }
	park := func(t *testing.T, h ParkHarness, handle byte, expires time.Time) oauthport.ParkedRequest {
		t.Helper()
		r := oauthport.ParkedRequest{HandleHash: hash(handle), BindingHash: hash('b'), ClientID: h.NewClient(t),
			Query: "client_id=x&state=s", ParkedAt: t0, ExpiresAt: expires}
		if err := h.Store.Park(ctx, r); err != nil {
			t.Fatal(err)
		}
		return r
	}

	t.Run("peek keeps, take spends once, a wrong binding finds nothing", func(t *testing.T) {
		h := newHarness(t)
		want := park(t, h, '1', t0.Add(time.Hour))
		if _, err := h.Store.Peek(ctx, want.HandleHash, hash('x'), t0); !errors.Is(err, oauthport.ErrParkedRequestNotFound) {
			t.Fatalf("peek with another binding: %v", err)
		}
		if _, err := h.Store.Take(ctx, want.HandleHash, hash('x'), t0); !errors.Is(err, oauthport.ErrParkedRequestNotFound) {
			t.Fatalf("take with another binding: %v", err)
		}
		got, err := h.Store.Peek(ctx, want.HandleHash, want.BindingHash, t0)
		if err != nil || got.Query != want.Query || got.ClientID != want.ClientID || !got.ParkedAt.Equal(t0) {
			t.Fatalf("peek %+v %v", got, err)
		}
		if got, err = h.Store.Take(ctx, want.HandleHash, want.BindingHash, t0); err != nil || got.Query != want.Query {
			t.Fatalf("take %+v %v", got, err)
		}
		if _, err := h.Store.Take(ctx, want.HandleHash, want.BindingHash, t0); !errors.Is(err, oauthport.ErrParkedRequestNotFound) {
			t.Fatalf("take again: %v", err)
		}
	})

	t.Run("expired requests are not found and are deleted", func(t *testing.T) {
		h := newHarness(t)
		old := park(t, h, '2', t0.Add(time.Minute))
		if _, err := h.Store.Take(ctx, old.HandleHash, old.BindingHash, t0.Add(2*time.Minute)); !errors.Is(err, oauthport.ErrParkedRequestNotFound) {
			t.Fatalf("take expired: %v", err)
		}
		live := park(t, h, '3', t0.Add(time.Hour))
		if n, err := h.Store.DeleteExpired(ctx, t0.Add(2*time.Minute), 10); err != nil || n < 1 {
			t.Fatalf("delete expired: %d %v", n, err)
		}
		if _, err := h.Store.Peek(ctx, live.HandleHash, live.BindingHash, t0); err != nil {
			t.Fatalf("a live request went: %v", err)
		}
	})

	t.Run("of concurrent takes exactly one wins", func(t *testing.T) {
		h := newHarness(t)
		r := park(t, h, '4', t0.Add(time.Hour))
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := 0
		for range 6 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := h.Store.Take(ctx, r.HandleHash, r.BindingHash, t0); err == nil {
					mu.Lock()
					won++
					mu.Unlock()
				} else if !errors.Is(err, oauthport.ErrParkedRequestNotFound) {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if won != 1 {
			t.Fatalf("%d takes won", won)
		}
	})
}
