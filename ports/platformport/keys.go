package platformport

import (
	"context"
	"errors"
)

// The errors Open and Reseal return for a value they refuse. They are the
// only errors a Sealer returns for bad input, whatever the input; wrap
// checks use errors.Is.
var (
	// ErrSealedMalformed: the value is not one a Sealer produced (wrong
	// version prefix, key id or encoding, or too short).
	ErrSealedMalformed = errors.New("sealed value is malformed")
	// ErrUnknownKey: the value names a key id that is not configured, for
	// example a retired key removed too early from the previous-keys list.
	// The error message names the key id.
	ErrUnknownKey = errors.New("sealed value names a key that is not configured")
	// ErrSealedTampered: authentication failed, because the ciphertext was
	// changed or the associated data differs from the one it was sealed with
	// (a value moved to another row or use).
	ErrSealedTampered = errors.New("sealed value does not authenticate")
	// ErrNoAssociatedData: Seal, Open and Reseal require associated data
	// naming the value's use, so no sealed value can stand in for another.
	ErrNoAssociatedData = errors.New("sealing requires associated data naming the value's use")
)

// Sealer encrypts small secrets at rest (signing keys, identity-provider
// client secrets, certificate-authority keys) under a key-encryption key.
//
// Contract (checked by platformporttest.KeyringContract): Open(Seal(p, ad),
// ad) returns p; every Seal of the same plaintext gives a different value (a
// fresh random nonce); Open refuses a value whose ciphertext or key id was
// changed, or that is opened with other associated data, with one of
// ErrSealedMalformed, ErrUnknownKey or ErrSealedTampered, never a panic;
// empty associated data is refused with ErrNoAssociatedData. The sealed
// string is printable ASCII, safe to store in a text column, and names the
// format version and the id of the key that sealed it.
//
// Associated data binds a value to its use and row, for example
// "oauth-signing-key:<kid>": it is not stored in the value and must be given
// again to Open. Methods take a context so an implementation may call a
// key-management service; the built-in one does no I/O.
type Sealer interface {
	Seal(ctx context.Context, plaintext, associatedData []byte) (string, error)
	Open(ctx context.Context, sealed string, associatedData []byte) ([]byte, error)
}

// KeyIDs names the keys of a keyring. Ids are derived from the key material,
// so the same key has the same id on every instance and after every restart,
// and an id reveals nothing about its key.
type KeyIDs struct {
	Current string   // the key Seal uses
	Retired []string // keys that still open values, in configuration order
}

// Keyring is a Sealer with one current key and any number of retired keys
// that still open what they sealed, so its key can rotate: configure a new
// current key, keep the old one as retired, reseal every stored value, then
// drop the old key.
//
// Contract (checked by platformporttest.KeyringContract), beyond Sealer's: a
// value sealed by any key of the ring opens; a value sealed under a key the
// ring does not hold is refused with ErrUnknownKey; two keyrings built from
// the same keys open each other's values and report the same KeyIDs; Reseal
// opens a value and, when it was not sealed with the current key, seals it
// again with the current key and reports true; a value already under the
// current key comes back unchanged with false. Safe for concurrent use.
type Keyring interface {
	Sealer
	Reseal(ctx context.Context, sealed string, associatedData []byte) (resealed string, changed bool, err error)
	KeyIDs() KeyIDs
}

// ErrSignatureInvalid is the one error Verify returns for a signature that
// is malformed, made for another purpose or payload, or made with a key the
// signer does not hold.
var ErrSignatureInvalid = errors.New("signature is invalid")

// Signer authenticates short values the server hands out and reads back
// (CSRF tokens, signed links) with a MAC keyed from SECRET_KEY.
//
// Contract (checked by platformporttest.SignerContract): Verify(purpose, p,
// Sign(purpose, p)) is nil; a signature made for one purpose never verifies
// for another (each purpose has its own subkey); any change to the payload
// or the signature gives ErrSignatureInvalid, never a panic; signers built
// from the same key agree; a signer whose retired keys include a key
// verifies what that key signed, but Sign always uses the current key.
// Comparison is constant-time. The signature is URL-safe ASCII.
//
// The payload must be an unambiguous encoding of what is signed (fixed
// fields, or length-prefixed ones), including any expiry: Signer does not
// know about time. Purposes are constants named "<context>.<use>" (for
// example "sessions.csrf") declared next to the code that uses them. Signer
// takes no context because it runs on the request path and does no I/O.
type Signer interface {
	Sign(purpose string, payload []byte) string
	Verify(purpose string, payload []byte, signature string) error
}
