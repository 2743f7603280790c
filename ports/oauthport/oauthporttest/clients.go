package oauthporttest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/platformport"
)

// ClientHarness is one fresh client repository. NewOrganization returns an
// organization clients may belong to; DeleteOrganization deletes it the way
// the organizations context does; TokenCount counts the token rows of a
// client; AddToken stores one access token of a client (nil when the
// repository has no token storage beside it).
type ClientHarness struct {
	Repo               oauthport.ClientRepository
	UoW                platformport.UnitOfWork
	NewOrganization    func(t *testing.T) shared.OrganizationID
	DeleteOrganization func(t *testing.T, org shared.OrganizationID)
	AddToken           func(t *testing.T, clientID string)
	TokenCount         func(t *testing.T, clientID string) int
}

var t0 = time.Date(2026, 3, 1, 9, 0, 0, 123456000, time.UTC)

var seq atomic.Int64

func newClientID(t *testing.T) oauth.ClientID {
	t.Helper()
	id, reason := oauth.ParseClientID(fmt.Sprintf("contract-%s-%d", uuid.NewString()[:8], seq.Add(1)))
	if reason != "" {
		t.Fatal(reason)
	}
	return id
}

func newClient(t *testing.T, id oauth.ClientID, org shared.OrganizationID, at time.Time) *oauth.Client {
	t.Helper()
	c, err := oauth.NewClient(id, org, oauth.ClientSpec{
		Name:                     "Contract Portal é",
		RedirectURIs:             []string{"https://portal.example.com/cb", "http://127.0.0.1:3000/cb"},
		PostLogoutRedirectURIs:   []string{"https://portal.example.com/bye"},
		GrantTypes:               []string{"authorization_code", "refresh_token", "client_credentials"},
		Scopes:                   []string{"openid", "email", "api:read"},
		FirstParty:               true,
		AccessTokenFormat:        "jwt",
		ResourceServer:           true,
		IDTokenSignedResponseAlg: "ES256",
	}, oauth.NewSecretHash("hs256:k1:abc"), shared.UserID{}, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func sameClient(t *testing.T, got, want *oauth.Client) {
	t.Helper()
	g, w := got.Spec(), want.Spec()
	if fmt.Sprint(g) != fmt.Sprint(w) {
		t.Fatalf("stored spec\n%+v\nwant\n%+v", g, w)
	}
	if got.ID() != want.ID() || got.Organization() != want.Organization() ||
		got.Secret() != want.Secret() || got.PreviousSecret() != want.PreviousSecret() ||
		!got.PreviousSecretExpiresAt().Equal(want.PreviousSecretExpiresAt()) ||
		!got.CreatedAt().Equal(want.CreatedAt()) || !got.UpdatedAt().Equal(want.UpdatedAt()) {
		t.Fatalf("stored client differs: got %+v want %+v", got, want)
	}
}

// ClientRepositoryContract checks a ClientRepository against its contract.
func ClientRepositoryContract(t *testing.T, newHarness func(t *testing.T) ClientHarness) {
	ctx := context.Background()

	t.Run("a created client reads back as stored and an unknown one is not found", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		if err := h.Repo.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		got, err := h.Repo.Get(ctx, c.ID())
		if err != nil {
			t.Fatal(err)
		}
		sameClient(t, got, c)
		if _, err := h.Repo.Get(ctx, newClientID(t)); !errors.Is(err, oauth.ErrClientNotFound) {
			t.Fatalf("unknown client: %v", err)
		}
		if err := h.Repo.Update(ctx, newClientID(t), func(*oauth.Client) error { return nil }); !errors.Is(err, oauth.ErrClientNotFound) {
			t.Fatalf("update of an unknown client: %v", err)
		}
	})

	t.Run("of two creates racing for one id exactly one wins", func(t *testing.T) {
		h := newHarness(t)
		org := h.NewOrganization(t)
		id := newClientID(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Repo.Create(ctx, newClient(t, id, org, t0))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, oauth.ErrClientIDTaken):
				t.Fatalf("loser's error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d creates won", won)
		}
	})

	t.Run("an update saves every field and a failing one changes nothing", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		if err := h.Repo.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		name, uris := "Renamed", []string{"https://other.example.com/cb"}
		var want *oauth.Client
		err := h.Repo.Update(ctx, c.ID(), func(x *oauth.Client) error {
			if _, err := x.Update(shared.UserID{}, oauth.ClientChanges{Name: &name, RedirectURIs: &uris}, t0.Add(time.Minute)); err != nil {
				return err
			}
			if err := x.RotateSecret(shared.UserID{}, oauth.NewSecretHash("hs256:k1:def"), time.Hour, t0.Add(time.Minute)); err != nil {
				return err
			}
			want = x
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := h.Repo.Get(ctx, c.ID())
		if err != nil {
			t.Fatal(err)
		}
		sameClient(t, got, want)

		boom := errors.New("boom")
		err = h.Repo.Update(ctx, c.ID(), func(x *oauth.Client) error {
			other := "Not saved"
			_, _ = x.Update(shared.UserID{}, oauth.ClientChanges{Name: &other}, t0.Add(2*time.Minute))
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("closure error: %v", err)
		}
		got, _ = h.Repo.Get(ctx, c.ID())
		if got.Name() != "Renamed" {
			t.Fatalf("a failed update was saved: %q", got.Name())
		}
	})

	t.Run("a change and the unit of work it joined roll back together", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		boom := errors.New("boom")
		err := h.UoW.Transaction(ctx, func(ctx context.Context) error {
			if err := h.Repo.Create(ctx, c); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatal(err)
		}
		if _, err := h.Repo.Get(ctx, c.ID()); !errors.Is(err, oauth.ErrClientNotFound) {
			t.Fatalf("rolled-back create is visible: %v", err)
		}
	})

	t.Run("concurrent updates of one client serialize and none is lost", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		if err := h.Repo.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = h.Repo.Update(ctx, c.ID(), func(x *oauth.Client) error {
					scopes := append(x.Scopes(), fmt.Sprintf("s%d", i))
					_, err := x.Update(shared.UserID{}, oauth.ClientChanges{Scopes: &scopes}, t0)
					return err
				})
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		got, _ := h.Repo.Get(ctx, c.ID())
		if len(got.Scopes()) != 3+n {
			t.Fatalf("a concurrent update was lost: %v", got.Scopes())
		}
	})

	t.Run("deleting a client deletes its tokens", func(t *testing.T) {
		h := newHarness(t)
		if h.AddToken == nil {
			t.Skip("no token storage beside this repository")
		}
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		other := newClient(t, newClientID(t), c.Organization(), t0)
		for _, x := range []*oauth.Client{c, other} {
			if err := h.Repo.Create(ctx, x); err != nil {
				t.Fatal(err)
			}
			h.AddToken(t, x.ID().String())
		}
		if err := h.Repo.Update(ctx, c.ID(), func(x *oauth.Client) error { x.Delete(shared.UserID{}, t0); return nil }); err != nil {
			t.Fatal(err)
		}
		if _, err := h.Repo.Get(ctx, c.ID()); !errors.Is(err, oauth.ErrClientNotFound) {
			t.Fatalf("deleted client: %v", err)
		}
		if n := h.TokenCount(t, c.ID().String()); n != 0 {
			t.Fatalf("%d tokens of the deleted client remain", n)
		}
		if n := h.TokenCount(t, other.ID().String()); n != 1 {
			t.Fatalf("the other client's tokens went too: %d left", n)
		}
	})

	t.Run("a deleted organization's clients answer like unknown ones", func(t *testing.T) {
		h := newHarness(t)
		c := newClient(t, newClientID(t), h.NewOrganization(t), t0)
		if err := h.Repo.Create(ctx, c); err != nil {
			t.Fatal(err)
		}
		h.DeleteOrganization(t, c.Organization())
		if _, err := h.Repo.Get(ctx, c.ID()); !errors.Is(err, oauth.ErrClientNotFound) {
			t.Fatalf("client of a deleted organization: %v", err)
		}
	})

	t.Run("lists are an organization's clients in keyset pages", func(t *testing.T) {
		h := newHarness(t)
		org, other := h.NewOrganization(t), h.NewOrganization(t)
		var want []string
		for i := range 5 {
			c := newClient(t, newClientID(t), org, t0.Add(time.Duration(i%2)*time.Second))
			if err := h.Repo.Create(ctx, c); err != nil {
				t.Fatal(err)
			}
			want = append(want, c.ID().String())
		}
		if err := h.Repo.Create(ctx, newClient(t, newClientID(t), other, t0)); err != nil {
			t.Fatal(err)
		}
		var got []string
		var after *oauthport.ClientKey
		for {
			page, err := h.Repo.List(ctx, org, after, 2)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page {
				got = append(got, c.ID().String())
			}
			if len(page) < 2 {
				break
			}
			last := page[len(page)-1]
			after = &oauthport.ClientKey{CreatedAt: last.CreatedAt(), ID: last.ID().String()}
		}
		if len(got) != len(want) {
			t.Fatalf("listed %v, want the 5 of the organization", got)
		}
		seen := map[string]bool{}
		for _, id := range got {
			if seen[id] {
				t.Fatalf("%s listed twice", id)
			}
			seen[id] = true
		}
		for _, id := range want {
			if !seen[id] {
				t.Fatalf("%s missing from %v", id, got)
			}
		}
	})
}
