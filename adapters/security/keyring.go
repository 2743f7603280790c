package security

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/secuird/authy/ports/platformport"
)

// The sealed format: "v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>",
// without padding. The version and key id are also authenticated (they are
// part of the GCM associated data), so neither can be swapped.
const (
	sealedVersion = "v1"
	keyIDBytes    = 8
	keyIDLen      = 2 * keyIDBytes
	gcmNonceBytes = 12
	gcmTagBytes   = 16
)

// sealedEncoding is strict so that a sealed value has exactly one spelling.
var sealedEncoding = base64.RawURLEncoding.Strict()

// Keyring is the AES-256-GCM key-encryption keyring behind
// platformport.Keyring: ENCRYPTION_KEY (and, as a separate ring,
// CA_ENCRYPTION_KEY) with its retired keys.
//
// Each configured secret is any string; its bytes are used as written
// (never decoded, so a base64 or hex value from `openssl rand` and a raw
// random string all work) as the input of HKDF-SHA256, which derives the
// 256-bit AES key and, separately, the key id: 8 bytes, hex. The HKDF info
// names the ring, so one secret configured for two rings gives two
// unrelated keys and ids. Every Seal draws a random 96-bit nonce; at the
// volumes a key-encryption key sees (a few values per rotation) the chance
// of a repeated nonce is negligible. The id lets Open pick the key without
// trying each one, and lets operators see which key sealed a value.
//
// A Keyring is immutable and safe for concurrent use.
type Keyring struct {
	name    string
	current *ringKey
	byID    map[string]*ringKey
	retired []string
}

type ringKey struct {
	id   string
	aead cipher.AEAD
}

var _ platformport.Keyring = (*Keyring)(nil)

// NewKeyring builds the keyring called name ("encryption", "ca": it
// separates the keys of different rings) from the current secret and the
// retired ones. A retired secret equal to the current one, or repeated, is
// listed once. Secrets must not be empty; their length is checked by the
// configuration.
func NewKeyring(name, current string, retired ...string) (*Keyring, error) {
	if name == "" {
		return nil, errors.New("keyring: a ring needs a name")
	}
	if current == "" {
		return nil, fmt.Errorf("keyring %s: the current key is empty", name)
	}
	k := &Keyring{name: name, byID: map[string]*ringKey{}}
	cur, err := deriveRingKey(name, current)
	if err != nil {
		return nil, err
	}
	k.current = cur
	k.byID[cur.id] = cur
	for i, secret := range retired {
		if secret == "" {
			return nil, fmt.Errorf("keyring %s: retired key %d is empty", name, i+1)
		}
		rk, err := deriveRingKey(name, secret)
		if err != nil {
			return nil, err
		}
		if _, dup := k.byID[rk.id]; dup {
			continue
		}
		k.byID[rk.id] = rk
		k.retired = append(k.retired, rk.id)
	}
	return k, nil
}

func deriveRingKey(name, secret string) (*ringKey, error) {
	prefix := "authy keyring " + sealedVersion + " " + name + " "
	key, err := hkdf.Key(sha256.New, []byte(secret), nil, prefix+"aes-256-gcm key", 32)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: derive key: %w", name, err)
	}
	id, err := hkdf.Key(sha256.New, []byte(secret), nil, prefix+"key id", keyIDBytes)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: derive key id: %w", name, err)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", name, err)
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", name, err)
	}
	return &ringKey{id: hex.EncodeToString(id), aead: aead}, nil
}

// Name is the ring's name ("encryption", "ca").
func (k *Keyring) Name() string { return k.name }

// KeyIDs implements platformport.Keyring.
func (k *Keyring) KeyIDs() platformport.KeyIDs {
	return platformport.KeyIDs{Current: k.current.id, Retired: append([]string(nil), k.retired...)}
}

// Seal implements platformport.Sealer.
func (k *Keyring) Seal(_ context.Context, plaintext, associatedData []byte) (string, error) {
	if len(associatedData) == 0 {
		return "", platformport.ErrNoAssociatedData
	}
	return k.seal(plaintext, associatedData), nil
}

func (k *Keyring) seal(plaintext, associatedData []byte) string {
	// NewGCMWithRandomNonce draws the nonce and prepends it.
	out := k.current.aead.Seal(nil, nil, plaintext, boundData(k.current.id, associatedData))
	return sealedVersion + ":" + k.current.id + ":" + sealedEncoding.EncodeToString(out)
}

// Open implements platformport.Sealer.
func (k *Keyring) Open(_ context.Context, sealed string, associatedData []byte) ([]byte, error) {
	plain, _, err := k.open(sealed, associatedData)
	return plain, err
}

// Reseal implements platformport.Keyring.
func (k *Keyring) Reseal(_ context.Context, sealed string, associatedData []byte) (string, bool, error) {
	plain, id, err := k.open(sealed, associatedData)
	if err != nil {
		return "", false, err
	}
	if id == k.current.id {
		return sealed, false, nil
	}
	return k.seal(plain, associatedData), true, nil
}

func (k *Keyring) open(sealed string, associatedData []byte) ([]byte, string, error) {
	if len(associatedData) == 0 {
		return nil, "", platformport.ErrNoAssociatedData
	}
	id, body, err := parseSealed(sealed)
	if err != nil {
		return nil, "", err
	}
	rk, ok := k.byID[id]
	if !ok {
		return nil, "", fmt.Errorf("%w: key id %s is not in the %s keyring", platformport.ErrUnknownKey, id, k.name)
	}
	plain, err := rk.aead.Open(nil, nil, body, boundData(id, associatedData))
	if err != nil {
		return nil, "", platformport.ErrSealedTampered
	}
	if plain == nil {
		plain = []byte{}
	}
	return plain, id, nil
}

// parseSealed splits a sealed value into its key id and the decoded nonce,
// ciphertext and tag, refusing anything Seal would not have written.
func parseSealed(sealed string) (string, []byte, error) {
	rest, ok := strings.CutPrefix(sealed, sealedVersion+":")
	if !ok || len(rest) < keyIDLen+1 || rest[keyIDLen] != ':' {
		return "", nil, platformport.ErrSealedMalformed
	}
	id, encoded := rest[:keyIDLen], rest[keyIDLen+1:]
	for i := 0; i < len(id); i++ {
		if c := id[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", nil, platformport.ErrSealedMalformed
		}
	}
	// The decoder skips CR and LF; refusing them here keeps one spelling.
	if strings.ContainsAny(encoded, "\r\n") {
		return "", nil, platformport.ErrSealedMalformed
	}
	body, err := sealedEncoding.DecodeString(encoded)
	if err != nil || len(body) < gcmNonceBytes+gcmTagBytes {
		return "", nil, platformport.ErrSealedMalformed
	}
	return id, body, nil
}

// boundData is the GCM associated data: the format version, the key id and
// the caller's associated data. The id has a fixed length, so the encoding
// is unambiguous.
func boundData(id string, associatedData []byte) []byte {
	b := make([]byte, 0, len(sealedVersion)+1+len(id)+1+len(associatedData))
	b = append(b, sealedVersion...)
	b = append(b, ':')
	b = append(b, id...)
	b = append(b, ':')
	return append(b, associatedData...)
}
