package oauthapp_test

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/ory/fosite"
	"github.com/ory/fosite/handler/openid"

	"github.com/secuird/authy/adapters/pgstore/oauthpg"
	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/ports/oauthport"
)

func kids(keys []oauthport.PublicKey, alg string) []string {
	var out []string
	for _, k := range keys {
		if k.Algorithm == alg {
			out = append(out, k.ID)
		}
	}
	return out
}

func TestEnsure_CreatesEveryKindOnceAndTheFirstKeysSignAtOnce(t *testing.T) {
	f := newFixture(t)
	for _, alg := range []string{"RS256", "ES256"} {
		k, err := f.keys.SigningKey(ctx, alg)
		if err != nil || k.Private == nil || k.Algorithm != alg {
			t.Fatalf("%s: %+v %v", alg, k, err)
		}
	}
	if cur, rotated, err := f.keys.TokenSecrets(ctx); err != nil || len(cur) != 32 || len(rotated) != 0 {
		t.Fatalf("token secrets: %d bytes, %d rotated, %v", len(cur), len(rotated), err)
	}
	report, err := f.keys.Ensure(ctx)
	if err != nil || len(report.Changes) != 0 || len(report.Keys) != 4 {
		t.Fatalf("second Ensure: %+v %v", report, err)
	}
	var sealed []string
	if err := f.db.Gorm().Raw(`SELECT sealed FROM oauth_keys`).Scan(&sealed).Error; err != nil {
		t.Fatal(err)
	}
	for _, s := range sealed {
		if len(s) < 10 || s[:3] != "v1:" {
			t.Fatalf("a key is not sealed: %.20q", s)
		}
	}
}

func TestEnsure_OfInstancesStartingTogetherOnlyOneCreatesEachKey(t *testing.T) {
	f := newFixture(t)
	if err := f.db.Gorm().Exec(`DELETE FROM oauth_keys`).Error; err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = newKeyManager(t, f.db, f.clock, keyring(t, keyA)).Ensure(ctx)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	var n int64
	if err := f.db.Gorm().Raw(`SELECT count(*) FROM oauth_keys`).Scan(&n).Error; err != nil || n != 4 {
		t.Fatalf("%d keys after a concurrent start (%v), want one per kind", n, err)
	}
}

func TestRotate_PublishesTheSuccessorBeforeItSignsAndKeepsTheOldKeyWhileItsTokensLive(t *testing.T) {
	f := newFixture(t)
	old, _ := f.keys.SigningKey(ctx, "RS256")
	oldSecret, _, _ := f.keys.TokenSecrets(ctx)
	report, err := f.keys.Rotate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(report.Changes) != 3 {
		t.Fatalf("rotation created %+v, want RS256, ES256 and the token secret", report.Changes)
	}
	if again, _ := f.keys.Rotate(ctx); len(again.Changes) != 0 {
		t.Fatalf("a second rotation while one is pending: %+v", again.Changes)
	}
	pub, _ := f.keys.PublicKeys(ctx)
	if got := kids(pub, "RS256"); len(got) != 2 || got[1] != old.ID {
		t.Fatalf("published during the lead: %v", got)
	}
	if cur, _ := f.keys.SigningKey(ctx, "RS256"); cur.ID != old.ID {
		t.Fatal("the successor signs before its lead ran out")
	}
	_, rotated, _ := f.keys.TokenSecrets(ctx)
	if len(rotated) != 1 {
		t.Fatal("the pending token secret does not validate yet")
	}

	f.clock.Advance(10 * time.Minute)
	cur, _ := f.keys.SigningKey(ctx, "RS256")
	if cur.ID == old.ID {
		t.Fatal("the successor does not sign after the lead")
	}
	secret, rotated, _ := f.keys.TokenSecrets(ctx)
	if bytes.Equal(secret, oldSecret) || len(rotated) != 1 || !bytes.Equal(rotated[0], oldSecret) {
		t.Fatal("the old token secret no longer validates")
	}
	pub, _ = f.keys.PublicKeys(ctx)
	if got := kids(pub, "RS256"); len(got) != 2 {
		t.Fatalf("the retired key left while its tokens live: %v", got)
	}

	f.clock.Advance(time.Hour) // SigningVerifyFor
	report, err = f.keys.Ensure(ctx)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ = f.keys.PublicKeys(ctx)
	if got := kids(pub, "RS256"); len(got) != 1 || got[0] != cur.ID {
		t.Fatalf("after its tokens expired the retired key is still published: %v", got)
	}
	deleted := 0
	for _, c := range report.Changes {
		if c.Action == "deleted" {
			deleted++
		}
	}
	if deleted != 2 {
		t.Fatalf("Ensure deleted %d expired signing keys, want 2: %+v", deleted, report.Changes)
	}
	if _, rotated, _ := f.keys.TokenSecrets(ctx); len(rotated) != 1 {
		t.Fatal("the old token secret went before the refresh tokens it keyed expired")
	}
}

func TestEnsure_RotatesByItselfOnceTheKeysAreOldEnough(t *testing.T) {
	f := newFixture(t)
	f.clock.Advance(90 * 24 * time.Hour)
	report, err := f.keys.Ensure(ctx)
	if err != nil || len(report.Changes) != 3 {
		t.Fatalf("Ensure after 90 days: %+v %v", report.Changes, err)
	}
}

func TestReseal_MovesEveryKeyUnderTheNewEncryptionKey(t *testing.T) {
	f := newFixture(t)
	before, _ := f.keys.SigningKey(ctx, "ES256")
	rotated := newKeyManager(t, f.db, f.clock, keyring(t, keyB, keyA))
	n, err := rotated.Reseal(ctx)
	if err != nil || n != 4 {
		t.Fatalf("resealed %d (%v), want 4", n, err)
	}
	// Only the new key is needed now.
	fresh := newKeyManager(t, f.db, f.clock, keyring(t, keyB))
	after, err := fresh.SigningKey(ctx, "ES256")
	if err != nil || after.ID != before.ID {
		t.Fatalf("after reseal: %+v %v", after, err)
	}
	if n, err := fresh.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("a second reseal changed %d (%v)", n, err)
	}
	if _, err := newKeyManager(t, f.db, f.clock, keyring(t, keyA)).SigningKey(ctx, "ES256"); err == nil {
		t.Fatal("the removed key still opens the resealed keys")
	}
}

func TestCleanupTokens_DeletesEveryExpiredRowInBatches(t *testing.T) {
	f := newFixture(t)
	c := create(t, f, f.owner, serviceFields())
	add := func(expires time.Time) {
		sess := &openid.DefaultSession{}
		sess.SetExpiresAt(fosite.AccessToken, expires)
		req := &fosite.Request{ID: uuid.NewString(), RequestedAt: t0, Client: &fosite.DefaultClient{ID: c.ClientID}, Session: sess}
		if err := f.tokens.CreateAccessTokenSession(ctx, uuid.NewString(), req); err != nil {
			t.Fatal(err)
		}
	}
	for range 5 {
		add(f.clock.Now().Add(-time.Minute))
	}
	add(f.clock.Now().Add(time.Hour))
	n, err := f.svc.CleanupTokens(ctx) // batches of 2
	if err != nil || n != 5 {
		t.Fatalf("cleaned %d (%v), want the 5 expired", n, err)
	}
	var left int64
	if err := f.db.Gorm().Raw(`SELECT count(*) FROM oauth_tokens`).Scan(&left).Error; err != nil || left != 1 {
		t.Fatalf("%d rows left (%v), want the live one", left, err)
	}
}

// gatedKeys holds every Add until open is closed.
type gatedKeys struct {
	oauthport.KeyRepository
	open chan struct{}
}

func (g gatedKeys) Add(ctx context.Context, k oauthport.StoredKey) error {
	select {
	case <-g.open:
	case <-ctx.Done():
		return ctx.Err()
	}
	return g.KeyRepository.Add(ctx, k)
}

func TestBegin_CallersWaitForTheKeysCreatedInTheBackgroundInsteadOfFindingNone(t *testing.T) {
	f := newFixture(t)
	if err := f.db.Gorm().Exec(`DELETE FROM oauth_keys`).Error; err != nil {
		t.Fatal(err)
	}
	gate := gatedKeys{KeyRepository: oauthpg.NewKeys(f.db), open: make(chan struct{})}
	km, err := oauthapp.NewKeyManager(gate, keyring(t, keyA), f.clock, oauthapp.KeyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	report, create, err := km.Begin(ctx)
	if err != nil || create == nil || len(report.Changes) != 0 {
		t.Fatalf("Begin on a database without keys: %+v %v (create %v)", report, err, create != nil)
	}
	created := make(chan error, 1)
	go func() {
		_, err := create(ctx)
		created <- err
	}()
	// While the keys are being made, a caller waits for them: one whose
	// context ends first gets its context's error, not "no key".
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := km.SigningKey(ended, "RS256"); !errors.Is(err, context.Canceled) {
		t.Fatalf("SigningKey while the keys are being created = %v, want the caller's context error", err)
	}
	if _, err := km.PublicKeys(ended); !errors.Is(err, context.Canceled) {
		t.Fatalf("PublicKeys while the keys are being created = %v", err)
	}
	close(gate.open)
	for _, alg := range []string{"RS256", "ES256"} {
		if k, err := km.SigningKey(ctx, alg); err != nil || k.Private == nil {
			t.Fatalf("%s after the creation: %+v %v", alg, k, err)
		}
	}
	if cur, _, err := km.TokenSecrets(ctx); err != nil || len(cur) != 32 {
		t.Fatalf("token secrets after the creation: %d bytes, %v", len(cur), err)
	}
	if err := <-created; err != nil {
		t.Fatal(err)
	}
	if report, err := km.Ensure(ctx); err != nil || len(report.Changes) != 0 {
		t.Fatalf("Ensure after the creation: %+v %v", report, err)
	}
}

func TestBegin_WithEveryKeyStoredCreatesNothingAndWaitsForNothing(t *testing.T) {
	f := newFixture(t)
	km := newKeyManager(t, f.db, f.clock, keyring(t, keyA))
	report, create, err := km.Begin(ctx)
	if err != nil || create != nil || len(report.Changes) != 0 || len(report.Keys) != 4 {
		t.Fatalf("Begin with every key stored: %+v %v (create %v)", report, err, create != nil)
	}
	if k, err := km.SigningKey(ctx, "RS256"); err != nil || k.Private == nil {
		t.Fatalf("RS256: %+v %v", k, err)
	}
}

func TestBegin_AStoredKeyTheKeyringCannotOpenStopsTheStart(t *testing.T) {
	f := newFixture(t)
	other, _, err := newKeyManager(t, f.db, f.clock, keyring(t, keyB)).Begin(ctx)
	if err == nil {
		t.Fatalf("Begin opened keys sealed under another key: %+v", other)
	}
}
