package platformporttest

import (
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/secuird/authy/ports/platformport"
)

// NewSignerFunc builds a signer whose current key is made from the secret
// current and whose retired keys are made from the secrets in retired.
type NewSignerFunc func(t *testing.T, current string, retired ...string) platformport.Signer

// SignerContract checks a Signer.
func SignerContract(t *testing.T, newSigner NewSignerFunc) {
	t.Helper()
	const purpose, other = "contract.csrf", "contract.link"
	payload := []byte("session:0b6d3f2e")

	t.Run("a signature verifies for its purpose and payload", func(t *testing.T) {
		s := newSigner(t, secretA)
		for _, p := range [][]byte{payload, {}, {0, 0xff}, []byte(strings.Repeat("x", 10000))} {
			sig := s.Sign(purpose, p)
			if err := s.Verify(purpose, p, sig); err != nil {
				t.Fatalf("verify: %v", err)
			}
			if sig != s.Sign(purpose, p) {
				t.Fatal("signing is not deterministic")
			}
			for _, r := range sig {
				if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
					t.Fatalf("signature %q is not URL-safe", sig)
				}
			}
		}
	})

	t.Run("a signature for one purpose never verifies for another", func(t *testing.T) {
		s := newSigner(t, secretA)
		sig := s.Sign(purpose, payload)
		if sig == s.Sign(other, payload) {
			t.Fatal("two purposes sign alike")
		}
		for _, p := range []string{other, "", "contract.csr", "contract.csrf ", "Contract.csrf"} {
			if err := s.Verify(p, payload, sig); !errors.Is(err, platformport.ErrSignatureInvalid) {
				t.Fatalf("verify for purpose %q: %v", p, err)
			}
		}
	})

	t.Run("a changed payload or signature is refused", func(t *testing.T) {
		s := newSigner(t, secretA)
		sig := s.Sign(purpose, payload)
		for _, p := range []string{"session:0b6d3f2f", "session:0b6d3f2", "session:0b6d3f2e\x00", ""} {
			if err := s.Verify(purpose, []byte(p), sig); !errors.Is(err, platformport.ErrSignatureInvalid) {
				t.Fatalf("payload %q: %v", p, err)
			}
		}
		for i := 0; i < len(sig); i++ {
			for _, c := range []byte{'A', 'z', '0', '_', '-'} {
				if sig[i] == c {
					continue
				}
				if err := s.Verify(purpose, payload, sig[:i]+string(c)+sig[i+1:]); !errors.Is(err, platformport.ErrSignatureInvalid) {
					t.Fatalf("signature changed at %d: %v", i, err)
				}
			}
		}
		for _, bad := range []string{"", sig[:len(sig)-1], sig + "A", sig + sig, " " + sig, sig + "=", "not-a-signature", "\xff\xfe"} {
			if err := s.Verify(purpose, payload, bad); !errors.Is(err, platformport.ErrSignatureInvalid) {
				t.Fatalf("signature %q: %v", bad, err)
			}
		}
	})

	t.Run("signers with the same key agree and other keys do not", func(t *testing.T) {
		one, two := newSigner(t, secretA), newSigner(t, secretA)
		sig := one.Sign(purpose, payload)
		if err := two.Verify(purpose, payload, sig); err != nil {
			t.Fatalf("another instance refuses: %v", err)
		}
		if err := newSigner(t, secretB).Verify(purpose, payload, sig); !errors.Is(err, platformport.ErrSignatureInvalid) {
			t.Fatalf("another key verifies: %v", err)
		}
	})

	t.Run("a retired key still verifies but no longer signs", func(t *testing.T) {
		old := newSigner(t, secretA)
		sig := old.Sign(purpose, payload)
		rotated := newSigner(t, secretB, secretC, secretA)
		if err := rotated.Verify(purpose, payload, sig); err != nil {
			t.Fatalf("a retired key's signature must verify: %v", err)
		}
		if err := rotated.Verify(other, payload, sig); !errors.Is(err, platformport.ErrSignatureInvalid) {
			t.Fatalf("a retired key keeps purposes apart too: %v", err)
		}
		fresh := rotated.Sign(purpose, payload)
		if fresh == sig {
			t.Fatal("the rotated signer signs with the retired key")
		}
		if err := newSigner(t, secretB).Verify(purpose, payload, fresh); err != nil {
			t.Fatalf("the current key must sign: %v", err)
		}
		if err := old.Verify(purpose, payload, fresh); !errors.Is(err, platformport.ErrSignatureInvalid) {
			t.Fatalf("the old signer must not know the new key: %v", err)
		}
	})

	t.Run("concurrent use is safe", func(t *testing.T) {
		s := newSigner(t, secretA, secretB)
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for g := 0; g < 16; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < 100; i++ {
					if err := s.Verify(purpose, payload, s.Sign(purpose, payload)); err != nil {
						errs <- err
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
	})
}
