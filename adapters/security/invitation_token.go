package security

import "github.com/secuird/authy/domain/organizations"

// InvitationTokens makes the link tokens of organization invitations: 32
// bytes from crypto/rand in unpadded URL-safe base64 (43 characters),
// stored only as their SHA-256, for the reason SessionTokens gives.
type InvitationTokens struct{}

// New implements organizationsport.InvitationTokens.
func (InvitationTokens) New() (string, organizations.TokenHash, error) {
	token, err := randomToken()
	if err != nil {
		return "", organizations.TokenHash{}, err
	}
	return token, InvitationTokens{}.Hash(token), nil
}

// Hash implements organizationsport.InvitationTokens.
func (InvitationTokens) Hash(token string) organizations.TokenHash {
	return digestAs(token, organizations.NewTokenHash)
}
