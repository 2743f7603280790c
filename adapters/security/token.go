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
	token, err := randomToken()
	if err != nil {
		return "", sessions.TokenHash{}, err
	}
	return token, SessionTokens{}.Hash(token), nil
}

// Hash implements sessionsport.Tokens.
func (SessionTokens) Hash(token string) sessions.TokenHash {
	return digestAs(token, sessions.NewTokenHash)
}

// randomToken returns tokenBytes from crypto/rand in unpadded URL-safe
// base64 (43 characters): every bearer and link token Authy issues.
func randomToken() (string, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// digestAs is the SHA-256 of token as the hash type of a context.
func digestAs[H any](token string, parse func([]byte) (H, error)) H {
	sum := sha256.Sum256([]byte(token))
	h, err := parse(sum[:])
	if err != nil {
		// A SHA-256 digest always has 32 bytes.
		panic(err)
	}
	return h
}
