package security

import "github.com/secuird/authy/domain/provisioning"

// SCIMTokens makes the bearer tokens of SCIM provisioning: 32 bytes from
// crypto/rand in unpadded URL-safe base64 (43 characters), stored only as
// their SHA-256, for the reason SessionTokens gives.
type SCIMTokens struct{}

// New implements provisioningport.TokenDigests.
func (SCIMTokens) New() (string, provisioning.TokenHash, error) {
	token, err := randomToken()
	if err != nil {
		return "", provisioning.TokenHash{}, err
	}
	return token, SCIMTokens{}.Hash(token), nil
}

// Hash implements provisioningport.TokenDigests.
func (SCIMTokens) Hash(token string) provisioning.TokenHash {
	return digestAs(token, provisioning.NewTokenHash)
}
