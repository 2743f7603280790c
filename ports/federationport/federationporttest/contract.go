// Package federationporttest holds the executable contracts of the
// federation stores (federationport.IdentityRepository, FlowStore,
// LoginCodeStore, joining the one unit of work), run by each adapter's
// tests on SQLite and, in the integration run, on PostgreSQL.
package federationporttest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/federation"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/federationport"
	"github.com/secuird/authy/ports/platformport"
)

// Harness is one backend's stores, with a way to create the users they
// refer to.
type Harness struct {
	Identities federationport.IdentityRepository
	Flows      federationport.FlowStore
	Codes      federationport.LoginCodeStore
	UoW        platformport.UnitOfWork
	NewUser    func(t *testing.T) shared.UserID
}

var t0 = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

func provider(t *testing.T, s string) federation.ProviderName {
	t.Helper()
	p, err := federation.ParseProviderName(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func link(t *testing.T, user shared.UserID, prov, subject string, at time.Time) *federation.ExternalIdentity {
	t.Helper()
	i, err := federation.LinkIdentity(uuid.New(), user, provider(t, prov), federation.Profile{
		Subject: subject, Email: subject + "@example.com", EmailVerified: true, Name: "N",
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// Run checks every contract; newHarness returns stores on a database the
// test may fill.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Run("identities", func(t *testing.T) { runIdentities(t, newHarness(t)) })
	t.Run("flows", func(t *testing.T) { runFlows(t, newHarness(t)) })
	t.Run("login codes", func(t *testing.T) { runCodes(t, newHarness(t)) })
}

func runIdentities(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("an identity reads back and unknown ones are not found", func(t *testing.T) {
		u := h.NewUser(t)
		sub := uuid.NewString()
		i := link(t, u, "github", sub, t0)
		if err := h.Identities.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
		got, err := h.Identities.FindBySubject(ctx, provider(t, "github"), sub)
		if err != nil {
			t.Fatal(err)
		}
		if got.State() != i.State() {
			t.Fatalf("read back %+v, stored %+v", got.State(), i.State())
		}
		if _, err := h.Identities.Get(ctx, i.ID()); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Identities.FindBySubject(ctx, provider(t, "google"), sub); !errors.Is(err, federation.ErrIdentityNotFound) {
			t.Fatalf("another provider's subject: %v", err)
		}
		if _, err := h.Identities.Get(ctx, uuid.New()); !errors.Is(err, federation.ErrIdentityNotFound) {
			t.Fatalf("unknown id: %v", err)
		}
		if err := h.Identities.Delete(ctx, uuid.New()); !errors.Is(err, federation.ErrIdentityNotFound) {
			t.Fatalf("delete unknown: %v", err)
		}
	})
	t.Run("a provider's subject belongs to one user, also when two race", func(t *testing.T) {
		sub := uuid.NewString()
		if err := h.Identities.Add(ctx, link(t, h.NewUser(t), "google", sub, t0)); err != nil {
			t.Fatal(err)
		}
		if err := h.Identities.Add(ctx, link(t, h.NewUser(t), "google", sub, t0)); !errors.Is(err, federation.ErrIdentityTaken) {
			t.Fatalf("second link: %v", err)
		}
		race := uuid.NewString()
		a, b := link(t, h.NewUser(t), "google", race, t0), link(t, h.NewUser(t), "google", race, t0)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for n, i := range []*federation.ExternalIdentity{a, b} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[n] = h.Identities.Add(ctx, i) }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("exactly one must win: %v, %v", errs[0], errs[1])
		}
		for _, err := range errs {
			if err != nil && !errors.Is(err, federation.ErrIdentityTaken) {
				t.Fatalf("the loser got %v", err)
			}
		}
	})
	t.Run("a user's identities list oldest first and go together", func(t *testing.T) {
		u := h.NewUser(t)
		first, second := link(t, u, "github", uuid.NewString(), t0), link(t, u, "acme", uuid.NewString(), t0.Add(time.Minute))
		for _, i := range []*federation.ExternalIdentity{second, first} {
			if err := h.Identities.Add(ctx, i); err != nil {
				t.Fatal(err)
			}
		}
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			list, err := h.Identities.ListByUser(ctx, u, true)
			if err != nil {
				return err
			}
			if len(list) != 2 || list[0].ID() != first.ID() || list[1].ID() != second.ID() {
				t.Errorf("listed %d, not oldest first", len(list))
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n, err := h.Identities.DeleteAllOf(ctx, u); err != nil || n != 2 {
			t.Fatalf("DeleteAllOf = %d, %v", n, err)
		}
		if list, _ := h.Identities.ListByUser(ctx, u, false); len(list) != 0 {
			t.Fatal("identities left")
		}
	})
	t.Run("update saves the profile and rolls back when the closure fails", func(t *testing.T) {
		i := link(t, h.NewUser(t), "github", uuid.NewString(), t0)
		if err := h.Identities.Add(ctx, i); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		_, err := h.Identities.Update(ctx, i.ID(), func(x *federation.ExternalIdentity) error {
			_ = x.SignedIn(federation.Profile{Subject: x.Subject(), Email: "changed@example.com"}, t0.Add(time.Hour))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if got, _ := h.Identities.Get(ctx, i.ID()); got.Email() != i.Email() {
			t.Fatal("a failed update changed the row")
		}
		later := t0.Add(2 * time.Hour)
		if _, err := h.Identities.Update(ctx, i.ID(), func(x *federation.ExternalIdentity) error {
			return x.SignedIn(federation.Profile{Subject: x.Subject(), Email: "new@example.com", Name: "New"}, later)
		}); err != nil {
			t.Fatal(err)
		}
		got, _ := h.Identities.Get(ctx, i.ID())
		if got.Email() != "new@example.com" || got.EmailVerified() || got.Name() != "New" || !got.LastSignInAt().Equal(later) {
			t.Fatalf("saved %+v", got.State())
		}
		if _, err := h.Identities.Update(ctx, uuid.New(), func(*federation.ExternalIdentity) error { return nil }); !errors.Is(err, federation.ErrIdentityNotFound) {
			t.Fatalf("update unknown: %v", err)
		}
	})
	t.Run("a unit of work that fails leaves nothing", func(t *testing.T) {
		i := link(t, h.NewUser(t), "github", uuid.NewString(), t0)
		boom := errors.New("boom")
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			if err := h.Identities.Add(ctx, i); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("got %v", err)
		}
		if _, err := h.Identities.Get(ctx, i.ID()); !errors.Is(err, federation.ErrIdentityNotFound) {
			t.Fatalf("the identity outlived its rollback: %v", err)
		}
	})
}

func newFlow(t *testing.T, state string, linkTo shared.UserID, at time.Time) *federation.Flow {
	t.Helper()
	f, err := federation.StartFlow(federation.FlowSpec{
		StateHash: hash(state), BindingHash: hash("binding-" + state), Provider: provider(t, "acme"), Nonce: "nonce", Verifier: "verifier",
		ReturnTo: "/account?x=1", Delivery: shared.DeliverCookie, LinkTo: linkTo, ProviderSession: `{"AuthURL":"x"}`,
	}, at)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func runFlows(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("a flow is taken once", func(t *testing.T) {
		state := uuid.NewString()
		f := newFlow(t, state, h.NewUser(t), t0)
		if err := h.Flows.Put(ctx, f); err != nil {
			t.Fatal(err)
		}
		if err := h.Flows.Put(ctx, f); err == nil {
			t.Fatal("a second flow with the same state was stored")
		}
		got, err := h.Flows.Take(ctx, hash(state))
		if err != nil {
			t.Fatal(err)
		}
		if got.Spec() != f.Spec() || !got.CreatedAt().Equal(f.CreatedAt()) || !got.ExpiresAt().Equal(f.ExpiresAt()) {
			t.Fatalf("took %+v, stored %+v", got.Spec(), f.Spec())
		}
		if _, err := h.Flows.Take(ctx, hash(state)); !errors.Is(err, federation.ErrStateInvalid) {
			t.Fatalf("second take: %v", err)
		}
		if _, err := h.Flows.Take(ctx, hash("never")); !errors.Is(err, federation.ErrStateInvalid) {
			t.Fatalf("unknown: %v", err)
		}
	})
	t.Run("of two concurrent takes exactly one gets the flow", func(t *testing.T) {
		state := uuid.NewString()
		if err := h.Flows.Put(ctx, newFlow(t, state, shared.UserID{}, t0)); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for n := range errs {
			wg.Add(1)
			go func() { defer wg.Done(); _, errs[n] = h.Flows.Take(ctx, hash(state)) }()
		}
		wg.Wait()
		if (errs[0] == nil) == (errs[1] == nil) {
			t.Fatalf("exactly one must win: %v, %v", errs[0], errs[1])
		}
	})
	t.Run("a user's link flows are deleted and the rest stay", func(t *testing.T) {
		user, other := h.NewUser(t), h.NewUser(t)
		mine, mine2, theirs, signIn := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
		for _, f := range []*federation.Flow{
			newFlow(t, mine, user, t0), newFlow(t, mine2, user, t0), newFlow(t, theirs, other, t0), newFlow(t, signIn, shared.UserID{}, t0),
		} {
			if err := h.Flows.Put(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		if n, err := h.Flows.DeleteLinksTo(ctx, user); err != nil || n != 2 {
			t.Fatalf("DeleteLinksTo = %d, %v; want 2", n, err)
		}
		if _, err := h.Flows.Take(ctx, hash(mine)); !errors.Is(err, federation.ErrStateInvalid) {
			t.Fatal("the user's link flow is still there")
		}
		for _, state := range []string{theirs, signIn} {
			if _, err := h.Flows.Take(ctx, hash(state)); err != nil {
				t.Fatalf("another flow went too: %v", err)
			}
		}
	})
	t.Run("expired flows are deleted in batches", func(t *testing.T) {
		old, fresh := uuid.NewString(), uuid.NewString()
		for _, f := range []*federation.Flow{newFlow(t, old, shared.UserID{}, t0), newFlow(t, fresh, shared.UserID{}, t0.Add(time.Hour))} {
			if err := h.Flows.Put(ctx, f); err != nil {
				t.Fatal(err)
			}
		}
		n, err := h.Flows.DeleteExpired(ctx, t0.Add(federation.FlowLifetime+time.Second), 100)
		if err != nil || n < 1 {
			t.Fatalf("DeleteExpired = %d, %v", n, err)
		}
		if _, err := h.Flows.Take(ctx, hash(old)); !errors.Is(err, federation.ErrStateInvalid) {
			t.Fatal("the expired flow is still there")
		}
		if _, err := h.Flows.Take(ctx, hash(fresh)); err != nil {
			t.Fatalf("the live flow went too: %v", err)
		}
	})
}

func runCodes(t *testing.T, h Harness) {
	ctx := context.Background()
	t.Run("a code is taken once and expired ones are deleted", func(t *testing.T) {
		u := h.NewUser(t)
		c, err := federation.IssueLoginCode(hash(uuid.NewString()), u, "oidc:acme", []string{"fed", "mfa"}, t0)
		if err != nil {
			t.Fatal(err)
		}
		if err := h.Codes.Put(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := h.Codes.Take(ctx, c.Hash())
		if err != nil {
			t.Fatal(err)
		}
		if got.UserID() != u || got.Method() != "oidc:acme" || len(got.AMR()) != 2 || !got.ExpiresAt().Equal(c.ExpiresAt()) {
			t.Fatalf("took %+v", got)
		}
		if _, err := h.Codes.Take(ctx, c.Hash()); !errors.Is(err, federation.ErrLoginCodeInvalid) {
			t.Fatalf("second take: %v", err)
		}
		old, _ := federation.IssueLoginCode(hash(uuid.NewString()), u, "oidc:acme", []string{"fed"}, t0)
		if err := h.Codes.Put(ctx, old); err != nil {
			t.Fatal(err)
		}
		if n, err := h.Codes.DeleteExpired(ctx, t0.Add(time.Hour), 100); err != nil || n < 1 {
			t.Fatalf("DeleteExpired = %d, %v", n, err)
		}
		if _, err := h.Codes.Take(ctx, old.Hash()); !errors.Is(err, federation.ErrLoginCodeInvalid) {
			t.Fatal("the expired code is still there")
		}
	})
	t.Run("a user's codes of some methods are deleted and the rest stay", func(t *testing.T) {
		user, other := h.NewUser(t), h.NewUser(t)
		issue := func(u shared.UserID, method string) *federation.LoginCode {
			c, err := federation.IssueLoginCode(hash(uuid.NewString()), u, method, []string{"fed"}, t0)
			if err != nil {
				t.Fatal(err)
			}
			if err := h.Codes.Put(ctx, c); err != nil {
				t.Fatal(err)
			}
			return c
		}
		gone, kept, theirs := issue(user, "social:microsoft"), issue(user, "oidc:acme"), issue(other, "social:microsoft")
		if n, err := h.Codes.DeleteOf(ctx, user, nil); err != nil || n != 0 {
			t.Fatalf("no methods: %d, %v", n, err)
		}
		if n, err := h.Codes.DeleteOf(ctx, user, []string{"social:microsoft", "oidc:microsoft"}); err != nil || n != 1 {
			t.Fatalf("DeleteOf = %d, %v; want 1", n, err)
		}
		if _, err := h.Codes.Take(ctx, gone.Hash()); !errors.Is(err, federation.ErrLoginCodeInvalid) {
			t.Fatal("the code is still there")
		}
		for _, c := range []*federation.LoginCode{kept, theirs} {
			if _, err := h.Codes.Take(ctx, c.Hash()); err != nil {
				t.Fatalf("another code went too: %v", err)
			}
		}
	})
}
