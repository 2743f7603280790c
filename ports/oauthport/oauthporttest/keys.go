package oauthporttest

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/ports/oauthport"
)

func storedKey(kind oauth.KeyKind, gen int, activates time.Time) oauthport.StoredKey {
	return oauthport.StoredKey{
		Key:    oauth.NewKey("k-"+uuid.NewString(), kind, gen, t0, activates),
		Sealed: "v1:abcdef:" + uuid.NewString(),
	}
}

// KeyRepositoryContract checks a KeyRepository against its contract.
func KeyRepositoryContract(t *testing.T, newRepo func(t *testing.T) oauthport.KeyRepository) {
	ctx := context.Background()

	t.Run("keys read back as stored", func(t *testing.T) {
		r := newRepo(t)
		a, b := storedKey(oauth.KeyRS256, 1, t0), storedKey(oauth.KeyTokenHMAC, 1, t0.Add(time.Minute))
		for _, k := range []oauthport.StoredKey{a, b} {
			if err := r.Add(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		got, err := r.List(ctx)
		if err != nil {
			t.Fatal(err)
		}
		found := map[string]oauthport.StoredKey{}
		for _, k := range got {
			found[k.Key.ID()] = k
		}
		for _, want := range []oauthport.StoredKey{a, b} {
			g, ok := found[want.Key.ID()]
			if !ok || g.Sealed != want.Sealed || g.Key.Kind() != want.Key.Kind() || g.Key.Generation() != want.Key.Generation() ||
				!g.Key.CreatedAt().Equal(want.Key.CreatedAt()) || !g.Key.ActivatesAt().Equal(want.Key.ActivatesAt()) {
				t.Fatalf("stored %+v, read %+v", want, g)
			}
		}
	})

	t.Run("of instances racing to create a kind's generation exactly one wins", func(t *testing.T) {
		r := newRepo(t)
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = r.Add(ctx, storedKey(oauth.KeyES256, 1, t0))
			}()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, oauth.ErrKeyExists):
				t.Fatalf("loser's error: %v", err)
			}
		}
		if won != 1 {
			t.Fatalf("%d inserts won", won)
		}
		if err := r.Add(ctx, storedKey(oauth.KeyRS256, 1, t0)); err != nil {
			t.Fatalf("another kind's first generation: %v", err)
		}
	})

	t.Run("reseal replaces the sealed value and delete removes keys", func(t *testing.T) {
		r := newRepo(t)
		k := storedKey(oauth.KeySecretHMAC, 1, t0)
		if err := r.Add(ctx, k); err != nil {
			t.Fatal(err)
		}
		if err := r.Reseal(ctx, k.Key.ID(), "v1:fedcba:new"); err != nil {
			t.Fatal(err)
		}
		got, _ := r.List(ctx)
		if len(got) != 1 || got[0].Sealed != "v1:fedcba:new" {
			t.Fatalf("after reseal: %+v", got)
		}
		if err := r.Reseal(ctx, "k-unknown", "x"); !errors.Is(err, oauthport.ErrKeyNotFound) {
			t.Fatalf("reseal of an unknown key: %v", err)
		}
		if err := r.Delete(ctx, []string{k.Key.ID(), "k-unknown"}); err != nil {
			t.Fatal(err)
		}
		if got, _ := r.List(ctx); len(got) != 0 {
			t.Fatalf("after delete: %+v", got)
		}
	})
}
