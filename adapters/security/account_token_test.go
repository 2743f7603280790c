package security_test

import (
	"crypto/sha256"
	"encoding/base64"
	"testing"

	"github.com/secuird/authy/adapters/security"
)

func TestAccountTokens_AreFreshURLSafe256BitTokensHashedWithSHA256(t *testing.T) {
	var tk security.AccountTokens
	seen := map[string]bool{}
	for i := 0; i < 100; i++ {
		token, hash, err := tk.New()
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.RawURLEncoding.DecodeString(token)
		if err != nil || len(raw) != 32 {
			t.Fatalf("token %q is not 32 bytes of URL-safe base64: %v", token, err)
		}
		if seen[token] {
			t.Fatal("a token repeated")
		}
		seen[token] = true
		want := sha256.Sum256([]byte(token))
		if string(hash.Bytes()) != string(want[:]) || tk.Hash(token) != hash {
			t.Fatal("the hash is not the SHA-256 of the token, or Hash disagrees with New")
		}
	}
	if tk.Hash("a") == tk.Hash("b") {
		t.Fatal("different tokens hash alike")
	}
}
