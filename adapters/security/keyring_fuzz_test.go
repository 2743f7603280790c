package security_test

import (
	"context"
	"errors"
	"testing"

	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/ports/platformport"
)

// FuzzKeyringOpen: whatever is stored in a column, Open neither panics nor
// returns an error other than the three typed ones, and what it accepts is
// a value the ring sealed.
func FuzzKeyringOpen(f *testing.F) {
	ctx := context.Background()
	ring, err := security.NewKeyring("encryption", "fuzz-current-key-0123456789abcdefgh", "fuzz-retired-key-0123456789abcdefgh")
	if err != nil {
		f.Fatal(err)
	}
	retired, err := security.NewKeyring("encryption", "fuzz-retired-key-0123456789abcdefgh")
	if err != nil {
		f.Fatal(err)
	}
	ad := []byte("fuzz:row")
	for _, r := range []*security.Keyring{ring, retired} {
		for _, p := range []string{"", "x", "a longer plaintext of several blocks, to vary the length"} {
			sealed, err := r.Seal(ctx, []byte(p), ad)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(sealed, "fuzz:row")
			f.Add(sealed, "fuzz:other")
			f.Add(sealed[:len(sealed)-1], "fuzz:row")
		}
	}
	for _, s := range []string{"", "v1", "v1:", "v1::", "v1:0000000000000000:", "v1:0000000000000000:AAAA", "v2:0000000000000000:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "v1:zzzzzzzzzzzzzzzz:AAAA", "\x00\xff", "v1:" + ring.KeyIDs().Current + ":\n\n"} {
		f.Add(s, "fuzz:row")
	}
	f.Fuzz(func(t *testing.T, sealed, associatedData string) {
		plain, err := ring.Open(ctx, sealed, []byte(associatedData))
		if err != nil {
			if !errors.Is(err, platformport.ErrSealedMalformed) && !errors.Is(err, platformport.ErrUnknownKey) &&
				!errors.Is(err, platformport.ErrSealedTampered) && !errors.Is(err, platformport.ErrNoAssociatedData) {
				t.Fatalf("untyped error for %q: %v", sealed, err)
			}
			if plain != nil {
				t.Fatal("a refused value returned plaintext")
			}
			return
		}
		if associatedData != "fuzz:row" {
			t.Fatalf("opened %q with associated data %q it was not sealed with", sealed, associatedData)
		}
		if _, changed, err := ring.Reseal(ctx, sealed, []byte(associatedData)); err != nil {
			t.Fatalf("reseal of an accepted value: %v", err)
		} else if changed != (sealed[3:19] != ring.KeyIDs().Current) {
			t.Fatalf("reseal changed=%v for key id %s", changed, sealed[3:19])
		}
	})
}

// FuzzSignerVerify: any signature string is refused with the one typed
// error, never a panic, unless it is the signature of the payload.
func FuzzSignerVerify(f *testing.F) {
	s, err := security.NewSigner("fuzz-secret-key-0123456789abcdefghij", "fuzz-retired-key-0123456789abcdefgh")
	if err != nil {
		f.Fatal(err)
	}
	good := s.Sign("fuzz.purpose", []byte("payload"))
	for _, sig := range []string{good, good[:42], good + "A", "", "====", "\n" + good[1:], string(make([]byte, 43))} {
		f.Add("fuzz.purpose", "payload", sig)
	}
	f.Fuzz(func(t *testing.T, purpose, payload, signature string) {
		err := s.Verify(purpose, []byte(payload), signature)
		if err == nil {
			if signature != s.Sign(purpose, []byte(payload)) {
				t.Fatalf("accepted %q for %q/%q, not the signature Sign makes", signature, purpose, payload)
			}
			return
		}
		if !errors.Is(err, platformport.ErrSignatureInvalid) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
