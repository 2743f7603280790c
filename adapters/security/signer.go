package security

import (
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/secuird/authy/ports/platformport"
)

const signerInfo = "authy signer v1 "

// signatureEncoding is strict so that a signature has exactly one spelling.
var signatureEncoding = base64.RawURLEncoding.Strict()

// Signer is the HMAC-SHA256 platformport.Signer keyed from SECRET_KEY, with
// the retired keys of SECRET_KEYS_PREVIOUS accepted for verification only.
//
// The secret's bytes are used as written (like the keyring's) as the input
// of HKDF-SHA256: the pseudorandom key is extracted once, and each purpose
// expands its own 256-bit subkey (info "authy signer v1 purpose <purpose>"),
// so a CSRF token can never stand in for a link token even over the same
// payload. The subkey is expanded per call rather than cached: it costs one
// HMAC block, and a cache keyed by purpose would grow with whatever purposes
// callers pass. A signature is the 32-byte MAC in unpadded URL-safe base64
// (43 characters); verification decodes it strictly and compares in constant
// time against each key. Immutable and safe for concurrent use.
type Signer struct {
	keys []signerKey // current first
}

type signerKey struct {
	id  string
	prk []byte
}

var _ platformport.Signer = (*Signer)(nil)

// NewSigner builds a signer from the current secret and the retired ones.
// A retired secret equal to the current one, or repeated, is kept once.
// Secrets must not be empty; their length is checked by the configuration.
func NewSigner(current string, retired ...string) (*Signer, error) {
	if current == "" {
		return nil, errors.New("signer: the current key is empty")
	}
	s := &Signer{}
	seen := map[string]bool{}
	for i, secret := range append([]string{current}, retired...) {
		if secret == "" {
			return nil, fmt.Errorf("signer: retired key %d is empty", i)
		}
		prk, err := hkdf.Extract(sha256.New, []byte(secret), nil)
		if err != nil {
			return nil, fmt.Errorf("signer: derive key: %w", err)
		}
		id, err := hkdf.Expand(sha256.New, prk, signerInfo+"key id", keyIDBytes)
		if err != nil {
			return nil, fmt.Errorf("signer: derive key id: %w", err)
		}
		k := signerKey{id: hex.EncodeToString(id), prk: prk}
		if seen[k.id] {
			continue
		}
		seen[k.id] = true
		s.keys = append(s.keys, k)
	}
	return s, nil
}

// KeyIDs names the signer's keys the way a keyring does (8 bytes, hex,
// derived from the key), so operators can check a SECRET_KEY rotation.
func (s *Signer) KeyIDs() platformport.KeyIDs {
	ids := platformport.KeyIDs{Current: s.keys[0].id}
	for _, k := range s.keys[1:] {
		ids.Retired = append(ids.Retired, k.id)
	}
	return ids
}

// Sign implements platformport.Signer.
func (s *Signer) Sign(purpose string, payload []byte) string {
	return signatureEncoding.EncodeToString(s.keys[0].mac(purpose, payload))
}

// Verify implements platformport.Signer.
func (s *Signer) Verify(purpose string, payload []byte, signature string) error {
	if len(signature) != signatureEncoding.EncodedLen(sha256.Size) {
		return platformport.ErrSignatureInvalid
	}
	got, err := signatureEncoding.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return platformport.ErrSignatureInvalid
	}
	for _, k := range s.keys {
		if hmac.Equal(got, k.mac(purpose, payload)) {
			return nil
		}
	}
	return platformport.ErrSignatureInvalid
}

func (k signerKey) mac(purpose string, payload []byte) []byte {
	sub, err := hkdf.Expand(sha256.New, k.prk, signerInfo+"purpose "+purpose, sha256.Size)
	if err != nil {
		// Expand fails only for lengths above 255 hash blocks.
		panic(err)
	}
	m := hmac.New(sha256.New, sub)
	m.Write(payload)
	return m.Sum(nil)
}
