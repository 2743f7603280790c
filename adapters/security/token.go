package security

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/secuird/authy/domain/sessions"
)

// tokenBytes is the entropy of a bearer token: 256 bits.
const tokenBytes = 32

// SessionTokens makes session bearer tokens: 32 bytes from crypto/rand in
// unpadded URL-safe base64 (43 characters), stored only as their SHA-256.
// A plain fast hash is right here: the token has 256 bits of entropy, so
// there is nothing to guess, and a database dump yields no usable token.
type SessionTokens struct{}

// New implements sessionsport.Tokens.
func (SessionTokens) New() (string, sessions.TokenHash, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", sessions.TokenHash{}, fmt.Errorf("read random bytes: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	return token, SessionTokens{}.Hash(token), nil
}

// Hash implements sessionsport.Tokens.
func (SessionTokens) Hash(token string) sessions.TokenHash {
	sum := sha256.Sum256([]byte(token))
	h, err := sessions.NewTokenHash(sum[:])
	if err != nil {
		// A SHA-256 digest always has 32 bytes.
		panic(err)
	}
	return h
}
