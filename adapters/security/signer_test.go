package security_test

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
)

func newTestSigner(t *testing.T, current string, retired ...string) platformport.Signer {
	t.Helper()
	s, err := security.NewSigner(current, retired...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSigner_Contract(t *testing.T) {
	platformporttest.SignerContract(t, newTestSigner)
}

// The signature below was made when the signer was introduced. If this test
// fails, every CSRF token and signed link in flight stops verifying at the
// next deployment.
func TestSigner_VerifiesASignatureMadeByAnEarlierRelease(t *testing.T) {
	s, err := security.NewSigner("golden-secret-key-0123456789abcdefgh")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Verify("test.golden", []byte("golden payload"), "DcieAvSnYa7xrzknsz5ZjorqScv36R8Xtgr-lfXNo2k"); err != nil {
		t.Fatal(err)
	}
	if id := s.KeyIDs().Current; id != "317ea0ffddb58fcc" {
		t.Fatalf("the key id of a fixed secret changed: %s", id)
	}
}

// An independent reading of the documented derivation: HMAC-SHA256 under
// HKDF-SHA256(secret as written, info "authy signer v1 purpose <purpose>").
func TestSigner_SignsWithAPerPurposeSubkey(t *testing.T) {
	const secret = "an operator's secret key, used as written 0123"
	s, err := security.NewSigner(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, purpose := range []string{"sessions.csrf", "identity.verify-link"} {
		sub, err := hkdf.Key(sha256.New, []byte(secret), nil, "authy signer v1 purpose "+purpose, 32)
		if err != nil {
			t.Fatal(err)
		}
		m := hmac.New(sha256.New, sub)
		m.Write([]byte("payload"))
		if want := base64.RawURLEncoding.EncodeToString(m.Sum(nil)); s.Sign(purpose, []byte("payload")) != want {
			t.Fatalf("%s: signature is not the documented MAC", purpose)
		}
	}
	// The bare secret is never the MAC key.
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("payload"))
	if err := s.Verify("", []byte("payload"), base64.RawURLEncoding.EncodeToString(m.Sum(nil))); !errors.Is(err, platformport.ErrSignatureInvalid) {
		t.Fatalf("a MAC under the raw secret verifies: %v", err)
	}
}

func TestSigner_KeyIDsNameTheCurrentAndRetiredKeysApartFromTheKeyrings(t *testing.T) {
	const a, b = "a-0123456789abcdef0123456789abcdef", "b-0123456789abcdef0123456789abcdef"
	s, err := security.NewSigner(a, b, a)
	if err != nil {
		t.Fatal(err)
	}
	ids := s.KeyIDs()
	only, _ := security.NewSigner(b)
	if len(ids.Retired) != 1 || ids.Retired[0] != only.KeyIDs().Current || ids.Current == ids.Retired[0] {
		t.Fatalf("ids %v", ids)
	}
	ring, _ := security.NewKeyring("encryption", a)
	if ring.KeyIDs().Current == ids.Current {
		t.Fatal("one secret used as SECRET_KEY and ENCRYPTION_KEY gives the same id")
	}
}

func TestNewSigner_RefusesEmptyKeys(t *testing.T) {
	if _, err := security.NewSigner(""); err == nil {
		t.Fatal("an empty key must be refused")
	}
	if _, err := security.NewSigner("a-0123456789abcdef0123456789abcdef", ""); err == nil {
		t.Fatal("an empty retired key must be refused")
	}
}
