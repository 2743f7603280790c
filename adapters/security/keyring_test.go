package security_test

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/security"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/platformport/platformporttest"
)

func newTestKeyring(t *testing.T, current string, retired ...string) platformport.Keyring {
	t.Helper()
	k, err := security.NewKeyring("encryption", current, retired...)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestKeyring_Contract(t *testing.T) {
	platformporttest.KeyringContract(t, newTestKeyring)
}

// The value below was sealed when the format was introduced. If this test
// fails, values stored by earlier releases no longer open: the derivation
// or the format changed, and that needs a new version prefix instead.
func TestKeyring_OpensAValueSealedByAnEarlierRelease(t *testing.T) {
	const (
		secret = "golden-encryption-key-0123456789abcdef"
		sealed = "v1:72b515a5652265bb:zbrsAM9zcgyN4jrDX_9PRprB1PLrnDPWjsPW0fzsuY6RjWH3N-xrgOyBjvs"
	)
	k := newTestKeyring(t, secret)
	if id := k.KeyIDs().Current; id != "72b515a5652265bb" {
		t.Fatalf("the key id of a fixed secret changed: %s", id)
	}
	got, err := k.Open(context.Background(), sealed, []byte("test:golden"))
	if err != nil || string(got) != "golden plaintext" {
		t.Fatalf("open: %q, %v", got, err)
	}
}

// An independent reading of the documented format: HKDF-SHA256 of the
// secret as written gives the AES-256 key and id, and the GCM associated
// data is "v1:<id>:" followed by the caller's.
func TestKeyring_SealsInTheDocumentedFormat(t *testing.T) {
	const secret = "an operator's key, used as written: 0123456789"
	k := newTestKeyring(t, secret)
	ad := []byte("oauth-signing-key:k1")
	sealed, err := k.Seal(context.Background(), []byte("private key bytes"), ad)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(sealed, ":")
	if len(parts) != 3 || parts[0] != "v1" || parts[1] != k.KeyIDs().Current {
		t.Fatalf("sealed value %q is not v1:<kid>:<data>", sealed)
	}
	id, err := hkdf.Key(sha256.New, []byte(secret), nil, "authy keyring v1 encryption key id", 8)
	if err != nil || hex.EncodeToString(id) != parts[1] {
		t.Fatalf("key id is not derived as documented: %x vs %s", id, parts[1])
	}
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, "authy keyring v1 encryption aes-256-gcm key", 32)
	if err != nil {
		t.Fatal(err)
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	plain, err := gcm.Open(nil, body[:12], body[12:], append([]byte("v1:"+parts[1]+":"), ad...))
	if err != nil || string(plain) != "private key bytes" {
		t.Fatalf("reference open: %q, %v", plain, err)
	}
}

func TestKeyring_OneSecretGivesUnrelatedKeysInDifferentRings(t *testing.T) {
	const secret = "the same secret pasted into two variables!"
	enc, err := security.NewKeyring("encryption", secret)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := security.NewKeyring("ca", secret)
	if err != nil {
		t.Fatal(err)
	}
	if enc.KeyIDs().Current == ca.KeyIDs().Current {
		t.Fatal("two rings share a key id")
	}
	ctx := context.Background()
	sealed, err := enc.Seal(ctx, []byte("x"), []byte("use"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ca.Open(ctx, sealed, []byte("use")); !errors.Is(err, platformport.ErrUnknownKey) {
		t.Fatalf("the CA ring opened the encryption ring's value: %v", err)
	}
	// Even a value relabelled with the CA ring's id does not open.
	forged := "v1:" + ca.KeyIDs().Current + sealed[len("v1:")+16:]
	if _, err := ca.Open(ctx, forged, []byte("use")); !errors.Is(err, platformport.ErrSealedTampered) {
		t.Fatalf("a relabelled value: %v", err)
	}
}

func TestKeyring_RefusesARelabelledValueEvenWhenTheRingHoldsBothKeys(t *testing.T) {
	ctx := context.Background()
	ring := newTestKeyring(t, "current-key-0123456789abcdefghijkl", "retired-key-0123456789abcdefghijkl")
	sealed, err := ring.Seal(ctx, []byte("x"), []byte("use"))
	if err != nil {
		t.Fatal(err)
	}
	relabelled := "v1:" + ring.KeyIDs().Retired[0] + sealed[len("v1:")+16:]
	if _, err := ring.Open(ctx, relabelled, []byte("use")); !errors.Is(err, platformport.ErrSealedTampered) {
		t.Fatalf("want ErrSealedTampered, got %v", err)
	}
}

func TestKeyring_RefusesNonCanonicalSpellings(t *testing.T) {
	ctx := context.Background()
	ring := newTestKeyring(t, "canonical-key-0123456789abcdefghijk")
	sealed, err := ring.Seal(ctx, []byte("x"), []byte("use"))
	if err != nil {
		t.Fatal(err)
	}
	upperID := "v1:" + strings.ToUpper(sealed[3:19]) + sealed[19:]
	withNewline := sealed[:25] + "\n" + sealed[25:]
	padded := sealed + strings.Repeat("=", (4-len(sealed[20:])%4)%4)
	for name, v := range map[string]string{"upper-case id": upperID, "line break": withNewline, "padding": padded} {
		if v == sealed {
			continue
		}
		if _, err := ring.Open(ctx, v, []byte("use")); !errors.Is(err, platformport.ErrSealedMalformed) {
			t.Errorf("%s: want ErrSealedMalformed, got %v", name, err)
		}
	}
}

func TestNewKeyring_RefusesEmptyKeysAndListsRepeatedKeysOnce(t *testing.T) {
	if _, err := security.NewKeyring("encryption", ""); err == nil {
		t.Fatal("an empty current key must be refused")
	}
	if _, err := security.NewKeyring("encryption", "k-0123456789abcdef0123456789abcdef", ""); err == nil {
		t.Fatal("an empty retired key must be refused")
	}
	if _, err := security.NewKeyring("", "k-0123456789abcdef0123456789abcdef"); err == nil {
		t.Fatal("a ring without a name must be refused")
	}
	const a, b = "a-0123456789abcdef0123456789abcdef", "b-0123456789abcdef0123456789abcdef"
	k, err := security.NewKeyring("encryption", a, b, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if ids := k.KeyIDs(); len(ids.Retired) != 1 || ids.Retired[0] == ids.Current {
		t.Fatalf("ids %v: want the retired key once and not the current one", ids)
	}
}
