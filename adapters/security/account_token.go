package security

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/secuird/authy/domain/identity"
)

// AccountTokens makes the tokens of mailed account links (email
// verification, email change, password reset): 32 bytes from crypto/rand in
// unpadded URL-safe base64 (43 characters), stored only as their SHA-256.
// A fast hash is enough: the token is 256 random bits, so a stolen digest
// cannot be reversed by guessing, as SessionTokens explains.
type AccountTokens struct{}

// New implements identityport.AccountTokens.
func (AccountTokens) New() (string, identity.TokenHash, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", identity.TokenHash{}, fmt.Errorf("read random bytes: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	return token, AccountTokens{}.Hash(token), nil
}

// Hash implements identityport.AccountTokens.
func (AccountTokens) Hash(token string) identity.TokenHash {
	sum := sha256.Sum256([]byte(token))
	h, err := identity.NewTokenHash(sum[:])
	if err != nil {
		// A SHA-256 digest always has 32 bytes.
		panic(err)
	}
	return h
}
