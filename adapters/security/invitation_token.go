package security

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"

	"github.com/secuird/authy/domain/organizations"
)

// InvitationTokens makes the link tokens of organization invitations: 32
// bytes from crypto/rand in unpadded URL-safe base64 (43 characters),
// stored only as their SHA-256, for the reason SessionTokens gives.
type InvitationTokens struct{}

// New implements organizationsport.InvitationTokens.
func (InvitationTokens) New() (string, organizations.TokenHash, error) {
	var b [tokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", organizations.TokenHash{}, fmt.Errorf("read random bytes: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b[:])
	return token, InvitationTokens{}.Hash(token), nil
}

// Hash implements organizationsport.InvitationTokens.
func (InvitationTokens) Hash(token string) organizations.TokenHash {
	sum := sha256.Sum256([]byte(token))
	h, err := organizations.NewTokenHash(sum[:])
	if err != nil {
		// A SHA-256 digest always has 32 bytes.
		panic(err)
	}
	return h
}
