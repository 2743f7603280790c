package security

import "github.com/secuird/authy/domain/identity"

// AccountTokens makes the tokens of mailed account links (email
// verification, email change, password reset): 32 bytes from crypto/rand in
// unpadded URL-safe base64 (43 characters), stored only as their SHA-256.
// A fast hash is enough: the token is 256 random bits, so a stolen digest
// cannot be reversed by guessing, as SessionTokens explains.
type AccountTokens struct{}

// New implements identityport.AccountTokens.
func (AccountTokens) New() (string, identity.TokenHash, error) {
	token, err := randomToken()
	if err != nil {
		return "", identity.TokenHash{}, err
	}
	return token, AccountTokens{}.Hash(token), nil
}

// Hash implements identityport.AccountTokens.
func (AccountTokens) Hash(token string) identity.TokenHash {
	return digestAs(token, identity.NewTokenHash)
}
