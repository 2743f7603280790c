package oauthapp

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/ports/oauthport"
)

// generatedScheme prefixes the hash of a server-generated secret:
// "hs256:<key id>:<base64url HMAC-SHA256(key, secret)>". 256 random bits
// cannot be guessed, so a keyed fast hash is enough and keeps the token
// endpoint fast; the key (never in the database in clear) keeps a leaked
// table from being checked offline at all.
const generatedScheme = "hs256"

// newSecret returns 256 random bits, base64url without padding (43 characters).
func newSecret() (string, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate client secret: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// newClientID returns 128 random bits in hex: unguessable, URL-safe.
func newClientID() (oauth.ClientID, error) {
	b := make([]byte, clientIDBytes)
	if _, err := rand.Read(b); err != nil {
		return oauth.ClientID{}, fmt.Errorf("generate client id: %w", err)
	}
	id, _ := oauth.ParseClientID(hex.EncodeToString(b))
	return id, nil
}

func mac(key []byte, secret string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(secret))
	return h.Sum(nil)
}

// hashGenerated hashes a server-generated secret under the current
// secret-hashing key.
func (s *Service) hashGenerated(ctx context.Context, secret string) (oauth.SecretHash, error) {
	kid, key, err := s.d.Keys.secretKey(ctx, "")
	if err != nil {
		return oauth.SecretHash{}, err
	}
	return oauth.NewSecretHash(generatedScheme + ":" + kid + ":" + base64.RawURLEncoding.EncodeToString(mac(key, secret))), nil
}

// VerifySecret implements oauthport.Provider: a generated secret's hash is
// compared in constant time; any other stored hash goes to the slow hasher
// (argon2id), which refuses formats it does not know.
func (s *Service) VerifySecret(ctx context.Context, hash, secret string) error {
	if secret == "" || hash == "" {
		return oauthport.ErrSecretMismatch
	}
	if rest, ok := strings.CutPrefix(hash, generatedScheme+":"); ok {
		kid, digest, ok := strings.Cut(rest, ":")
		want, err := base64.RawURLEncoding.DecodeString(digest)
		if !ok || err != nil {
			return oauthport.ErrSecretMismatch
		}
		_, key, err := s.d.Keys.secretKey(ctx, kid)
		if errors.Is(err, ErrNoKey) {
			return oauthport.ErrSecretMismatch // a key this server does not hold
		}
		if err != nil {
			return err
		}
		if !hmac.Equal(mac(key, secret), want) {
			return oauthport.ErrSecretMismatch
		}
		return nil
	}
	ok, err := s.d.Hasher.Verify(ctx, secret, hash)
	if err != nil {
		return err
	}
	if !ok {
		return oauthport.ErrSecretMismatch
	}
	return nil
}
