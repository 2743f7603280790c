package platformporttest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/secuird/authy/ports/platformport"
)

// NewKeyringFunc builds a keyring whose current key is made from the secret
// current and whose retired keys are made from the secrets in retired.
type NewKeyringFunc func(t *testing.T, current string, retired ...string) platformport.Keyring

// The secrets the suites build keys from (32 bytes each).
const (
	secretA = "contract-secret-a-0123456789abcdef"
	secretB = "contract-secret-b-0123456789abcdef"
	secretC = "contract-secret-c-0123456789abcdef"
)

// KeyringContract checks a Keyring.
func KeyringContract(t *testing.T, newKeyring NewKeyringFunc) {
	t.Helper()
	ctx := context.Background()
	ad := []byte("contract:row-1")

	t.Run("a sealed value opens with the same associated data", func(t *testing.T) {
		ring := newKeyring(t, secretA)
		for _, plain := range [][]byte{[]byte("signing key material"), {}, {0, 0xff, 0x80, '\n'}, bytes.Repeat([]byte{7}, 4096)} {
			sealed, err := ring.Seal(ctx, plain, ad)
			if err != nil {
				t.Fatalf("seal: %v", err)
			}
			if bytes.Contains([]byte(sealed), plain) && len(plain) > 0 {
				t.Fatal("the sealed value contains the plaintext")
			}
			for _, r := range sealed {
				if r < 0x21 || r > 0x7e {
					t.Fatalf("sealed value %q is not printable ASCII", sealed)
				}
			}
			got, err := ring.Open(ctx, sealed, ad)
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if !bytes.Equal(got, plain) {
				t.Fatalf("opened %q, sealed %q", got, plain)
			}
		}
	})

	t.Run("other associated data is refused as tampered", func(t *testing.T) {
		ring := newKeyring(t, secretA)
		sealed, err := ring.Seal(ctx, []byte("idp client secret"), []byte("federation-idp-secret:conn-1"))
		if err != nil {
			t.Fatal(err)
		}
		for _, other := range []string{"federation-idp-secret:conn-2", "federation-idp-secret:conn-1 ", "oauth-signing-key:conn-1", "f"} {
			if _, err := ring.Open(ctx, sealed, []byte(other)); !errors.Is(err, platformport.ErrSealedTampered) {
				t.Fatalf("open with %q: want ErrSealedTampered, got %v", other, err)
			}
		}
	})

	t.Run("empty associated data is refused", func(t *testing.T) {
		ring := newKeyring(t, secretA)
		if _, err := ring.Seal(ctx, []byte("x"), nil); !errors.Is(err, platformport.ErrNoAssociatedData) {
			t.Fatalf("seal without associated data: %v", err)
		}
		sealed, err := ring.Seal(ctx, []byte("x"), ad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ring.Open(ctx, sealed, []byte{}); !errors.Is(err, platformport.ErrNoAssociatedData) {
			t.Fatalf("open without associated data: %v", err)
		}
		if _, _, err := ring.Reseal(ctx, sealed, nil); !errors.Is(err, platformport.ErrNoAssociatedData) {
			t.Fatalf("reseal without associated data: %v", err)
		}
	})

	t.Run("every changed character is refused with a typed error", func(t *testing.T) {
		ring := newKeyring(t, secretA)
		sealed, err := ring.Seal(ctx, []byte("a secret worth stealing"), ad)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < len(sealed); i++ {
			for _, c := range []byte{'A', 'z', '0', '_', '-', ':', '.'} {
				if sealed[i] == c {
					continue
				}
				changed := sealed[:i] + string(c) + sealed[i+1:]
				got, err := ring.Open(ctx, changed, ad)
				if err == nil {
					t.Fatalf("changing byte %d to %q opened %q", i, c, got)
				}
				assertTyped(t, err)
			}
		}
		for _, bad := range []string{"", sealed[:len(sealed)/2], sealed[:len(sealed)-1], sealed + "A", sealed + sealed, " " + sealed, sealed + "\n", strings.ToUpper(sealed), "not a sealed value"} {
			if _, err := ring.Open(ctx, bad, ad); err == nil {
				t.Fatalf("open of %q succeeded", bad)
			} else {
				assertTyped(t, err)
			}
		}
	})

	t.Run("equal plaintexts seal to different values", func(t *testing.T) {
		ring := newKeyring(t, secretA)
		seen := map[string]bool{}
		for i := 0; i < 50; i++ {
			sealed, err := ring.Seal(ctx, []byte("same"), ad)
			if err != nil {
				t.Fatal(err)
			}
			if seen[sealed] {
				t.Fatal("two seals of one plaintext are equal: the nonce repeated")
			}
			seen[sealed] = true
		}
	})

	t.Run("a value sealed under a retired key still opens", func(t *testing.T) {
		old := newKeyring(t, secretA)
		sealed, err := old.Seal(ctx, []byte("before rotation"), ad)
		if err != nil {
			t.Fatal(err)
		}
		rotated := newKeyring(t, secretB, secretC, secretA)
		got, err := rotated.Open(ctx, sealed, ad)
		if err != nil || string(got) != "before rotation" {
			t.Fatalf("open after rotation: %q, %v", got, err)
		}
		if _, err := rotated.Open(ctx, sealed, []byte("contract:row-2")); !errors.Is(err, platformport.ErrSealedTampered) {
			t.Fatalf("a retired key's value must still be bound to its associated data: %v", err)
		}
	})

	t.Run("a value sealed under a key the ring does not hold is refused as unknown", func(t *testing.T) {
		a := newKeyring(t, secretA)
		sealed, err := a.Seal(ctx, []byte("x"), ad)
		if err != nil {
			t.Fatal(err)
		}
		b := newKeyring(t, secretB, secretC)
		if _, err := b.Open(ctx, sealed, ad); !errors.Is(err, platformport.ErrUnknownKey) {
			t.Fatalf("want ErrUnknownKey, got %v", err)
		}
		if _, err := b.Open(ctx, sealed, ad); err == nil || !strings.Contains(err.Error(), a.KeyIDs().Current) {
			t.Fatalf("the error must name the missing key id %s: %v", a.KeyIDs().Current, err)
		}
		newer, err := newKeyring(t, secretB, secretA).Seal(ctx, []byte("y"), ad)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Open(ctx, newer, ad); !errors.Is(err, platformport.ErrUnknownKey) {
			t.Fatalf("an older ring must not know the newer key: %v", err)
		}
	})

	t.Run("rings built from the same keys agree", func(t *testing.T) {
		one, two := newKeyring(t, secretB, secretA), newKeyring(t, secretB, secretA)
		if fmt.Sprint(one.KeyIDs()) != fmt.Sprint(two.KeyIDs()) {
			t.Fatalf("key ids differ: %v and %v", one.KeyIDs(), two.KeyIDs())
		}
		sealed, err := one.Seal(ctx, []byte("shared"), ad)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := two.Open(ctx, sealed, ad); err != nil || string(got) != "shared" {
			t.Fatalf("another instance cannot open it: %q, %v", got, err)
		}
	})

	t.Run("key ids name the current key first and each retired key", func(t *testing.T) {
		a, b, c := newKeyring(t, secretA).KeyIDs(), newKeyring(t, secretB).KeyIDs(), newKeyring(t, secretC).KeyIDs()
		if a.Current == "" || a.Current == b.Current || b.Current == c.Current || a.Current == c.Current {
			t.Fatalf("ids must be non-empty and differ per key: %q %q %q", a.Current, b.Current, c.Current)
		}
		if len(a.Retired) != 0 {
			t.Fatalf("a ring without retired keys lists %v", a.Retired)
		}
		for _, id := range []string{a.Current, b.Current} {
			for _, secret := range []string{secretA, secretB} {
				if strings.Contains(id, secret) || strings.Contains(secret, id) {
					t.Fatalf("key id %q shows its key", id)
				}
			}
		}
		ids := newKeyring(t, secretA, secretB, secretC).KeyIDs()
		if ids.Current != a.Current || len(ids.Retired) != 2 || ids.Retired[0] != b.Current || ids.Retired[1] != c.Current {
			t.Fatalf("ids %v, want current %s retired [%s %s]", ids, a.Current, b.Current, c.Current)
		}
	})

	t.Run("reseal moves a retired key's value to the current key", func(t *testing.T) {
		old := newKeyring(t, secretA)
		sealed, err := old.Seal(ctx, []byte("rotate me"), ad)
		if err != nil {
			t.Fatal(err)
		}
		rotated := newKeyring(t, secretB, secretA)
		resealed, changed, err := rotated.Reseal(ctx, sealed, ad)
		if err != nil || !changed || resealed == sealed {
			t.Fatalf("reseal: changed=%v err=%v", changed, err)
		}
		if _, err := old.Open(ctx, resealed, ad); !errors.Is(err, platformport.ErrUnknownKey) {
			t.Fatalf("the resealed value must be under the new key only: %v", err)
		}
		if got, err := newKeyring(t, secretB).Open(ctx, resealed, ad); err != nil || string(got) != "rotate me" {
			t.Fatalf("the resealed value must open without the retired key: %q, %v", got, err)
		}
		again, changed, err := rotated.Reseal(ctx, resealed, ad)
		if err != nil || changed || again != resealed {
			t.Fatalf("a value under the current key must come back unchanged: changed=%v err=%v", changed, err)
		}
		if _, _, err := rotated.Reseal(ctx, sealed, []byte("contract:row-2")); !errors.Is(err, platformport.ErrSealedTampered) {
			t.Fatalf("reseal must authenticate before it reseals: %v", err)
		}
		if _, _, err := rotated.Reseal(ctx, resealed, []byte("contract:row-2")); !errors.Is(err, platformport.ErrSealedTampered) {
			t.Fatalf("reseal must authenticate a current value too: %v", err)
		}
	})

	t.Run("concurrent seals and opens are safe", func(t *testing.T) {
		ring := newKeyring(t, secretA, secretB)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func(g int) {
				defer wg.Done()
				for i := 0; i < 50; i++ {
					plain := []byte(fmt.Sprintf("g%d-%d", g, i))
					sealed, err := ring.Seal(ctx, plain, ad)
					if err != nil {
						errs <- err
						return
					}
					got, err := ring.Open(ctx, sealed, ad)
					if err != nil || !bytes.Equal(got, plain) {
						errs <- fmt.Errorf("open %q: %q, %v", plain, got, err)
						return
					}
				}
			}(g)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	})
}

// assertTyped fails unless err is one of the errors Open may return.
func assertTyped(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, platformport.ErrSealedMalformed) && !errors.Is(err, platformport.ErrUnknownKey) && !errors.Is(err, platformport.ErrSealedTampered) {
		t.Fatalf("untyped error: %v", err)
	}
}
