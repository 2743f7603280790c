package oauthhttp

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	fjwt "github.com/ory/fosite/token/jwt"

	"github.com/secuird/authy/ports/oauthport"
)

// idTokenSigner signs ID tokens for the library with the provider's current
// key of the algorithm the session's header names (RS256 unless the
// client asked for ES256), the key id in the header so relying parties
// pick the key from the JWKS. It signs only: the library's other uses of
// a signer (decoding an id_token_hint at the authorization endpoint) are
// kept from it, since Authy reads hints itself (see verifyIDTokenHint).
type idTokenSigner struct {
	keys oauthport.Keys
}

var _ fjwt.Signer = idTokenSigner{}

var errSignOnly = errors.New("the ID token signer only signs")

// Generate implements jwt.Signer.
func (s idTokenSigner) Generate(ctx context.Context, claims fjwt.MapClaims, header fjwt.Mapper) (string, string, error) {
	alg := "RS256"
	if a, ok := header.Get("alg").(string); ok && a == "ES256" {
		alg = a
	}
	key, err := s.keys.SigningKey(ctx, alg)
	if err != nil {
		return "", "", err
	}
	signer, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(key.Algorithm),
		Key:       jose.JSONWebKey{Key: key.Private, KeyID: key.ID, Algorithm: key.Algorithm},
	}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return "", "", err
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", "", err
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return "", "", err
	}
	token, err := jws.CompactSerialize()
	if err != nil {
		return "", "", err
	}
	return token, token[strings.LastIndex(token, ".")+1:], nil
}

// Validate implements jwt.Signer; the library never validates ID tokens
// through it here.
func (s idTokenSigner) Validate(context.Context, string) (string, error) { return "", errSignOnly }

// Decode implements jwt.Signer; see the type's comment.
func (s idTokenSigner) Decode(context.Context, string) (*fjwt.Token, error) { return nil, errSignOnly }

// GetSignature implements jwt.Signer.
func (s idTokenSigner) GetSignature(_ context.Context, token string) (string, error) {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return "", errors.New("not a JWT")
	}
	return parts[2], nil
}

// Hash implements jwt.Signer.
func (s idTokenSigner) Hash(_ context.Context, in []byte) ([]byte, error) {
	h := sha256.Sum256(in)
	return h[:], nil
}

// GetSigningMethodLength implements jwt.Signer.
func (s idTokenSigner) GetSigningMethodLength(context.Context) int { return sha256.Size }

// hintClaims are what a logout reads of an id_token_hint.
type hintClaims struct {
	josejwt.Claims
	SID string `json:"sid"`
}

// verifyIDTokenHint checks that token is an ID token this provider signed
// (any published key, issuer iss); an expired one is accepted, as RP-
// initiated logout allows.
func verifyIDTokenHint(ctx context.Context, keys oauthport.Keys, iss, token string) (hintClaims, error) {
	parsed, err := josejwt.ParseSigned(token, algorithms)
	if err != nil || len(parsed.Headers) != 1 {
		return hintClaims{}, errors.New("malformed ID token")
	}
	h := parsed.Headers[0]
	pub, err := keys.PublicKeys(ctx)
	if err != nil {
		return hintClaims{}, err
	}
	for _, k := range pub {
		if k.ID != h.KeyID || k.Algorithm != h.Algorithm {
			continue
		}
		var c hintClaims
		if err := parsed.Claims(k.Public, &c); err != nil {
			return hintClaims{}, errors.New("bad ID token signature")
		}
		if c.Issuer != iss || c.Subject == "" || len(c.Audience) == 0 {
			return hintClaims{}, errors.New("not an ID token of this provider")
		}
		if c.IssuedAt != nil && c.IssuedAt.Time().After(time.Now().Add(time.Minute)) {
			return hintClaims{}, errors.New("ID token issued in the future")
		}
		return c, nil
	}
	return hintClaims{}, errors.New("unknown signing key")
}
