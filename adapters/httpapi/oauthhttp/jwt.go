package oauthhttp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	josejwt "github.com/go-jose/go-jose/v4/jwt"
	"github.com/ory/fosite"

	"github.com/secuird/authy/ports/oauthport"
)

// jwtAccessTokens makes and verifies RFC 9068 access tokens: a JWT of type
// at+jwt signed by the current RS256 key, with iss, sub (the user, or the
// client itself for client_credentials), aud, exp, iat, jti, client_id and
// scope. Any key the JWKS publishes verifies one, so tokens signed before
// a rotation stay valid until they expire.
type jwtAccessTokens struct {
	keys     oauthport.Keys
	issuer   string
	lifetime time.Duration

	mu      sync.Mutex
	signers map[string]jose.Signer // by key id
}

// atJWT is the JWS "typ" of RFC 9068 access tokens.
const atJWT = "at+jwt"

type accessClaims struct {
	josejwt.Claims
	ClientID string `json:"client_id"`
	Scope    string `json:"scope,omitempty"`
}

func (j *jwtAccessTokens) signer(key oauthport.SigningKey) (jose.Signer, error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if s, ok := j.signers[key.ID]; ok {
		return s, nil
	}
	s, err := jose.NewSigner(jose.SigningKey{
		Algorithm: jose.SignatureAlgorithm(key.Algorithm),
		Key:       jose.JSONWebKey{Key: key.Private, KeyID: key.ID, Algorithm: key.Algorithm},
	}, (&jose.SignerOptions{}).WithType(atJWT))
	if err != nil {
		return nil, err
	}
	if j.signers == nil || len(j.signers) > 16 {
		j.signers = map[string]jose.Signer{}
	}
	j.signers[key.ID] = s
	return s, nil
}

func (j *jwtAccessTokens) signature(token string) string {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return ""
	}
	return parts[2]
}

func (j *jwtAccessTokens) generate(ctx context.Context, r fosite.Requester) (string, string, error) {
	key, err := j.keys.SigningKey(ctx, "RS256")
	if err != nil {
		return "", "", err
	}
	s, err := j.signer(key)
	if err != nil {
		return "", "", err
	}
	now := time.Now().UTC()
	exp := r.GetSession().GetExpiresAt(fosite.AccessToken)
	if exp.IsZero() {
		exp = now.Add(j.lifetime)
	}
	jti := make([]byte, 16)
	if _, err := rand.Read(jti); err != nil {
		return "", "", err
	}
	clientID := r.GetClient().GetID()
	sub := r.GetSession().GetSubject()
	if sub == "" {
		sub = clientID
	}
	aud := josejwt.Audience(r.GetGrantedAudience())
	if len(aud) == 0 {
		aud = josejwt.Audience{clientID}
	}
	claims := accessClaims{
		Claims: josejwt.Claims{
			Issuer: j.issuer, Subject: sub, Audience: aud,
			Expiry: josejwt.NewNumericDate(exp), IssuedAt: josejwt.NewNumericDate(now), NotBefore: josejwt.NewNumericDate(now),
			ID: base64.RawURLEncoding.EncodeToString(jti),
		},
		ClientID: clientID,
		Scope:    strings.Join(r.GetGrantedScopes(), " "),
	}
	token, err := josejwt.Signed(s).Claims(claims).Serialize()
	if err != nil {
		return "", "", err
	}
	return token, j.signature(token), nil
}

var algorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// validate checks a JWT access token's type, signature (any published
// key), issuer and lifetime.
func (j *jwtAccessTokens) validate(ctx context.Context, token string) error {
	parsed, err := josejwt.ParseSigned(token, algorithms)
	if err != nil || len(parsed.Headers) != 1 {
		return fosite.ErrInvalidTokenFormat
	}
	h := parsed.Headers[0]
	if typ, _ := h.ExtraHeaders[jose.HeaderType].(string); typ != atJWT {
		return fosite.ErrInvalidTokenFormat
	}
	keys, err := j.keys.PublicKeys(ctx)
	if err != nil {
		return err
	}
	for _, k := range keys {
		if k.ID != h.KeyID || k.Algorithm != h.Algorithm {
			continue
		}
		var claims accessClaims
		if err := parsed.Claims(k.Public, &claims); err != nil {
			return fosite.ErrTokenSignatureMismatch
		}
		err := claims.ValidateWithLeeway(josejwt.Expected{Issuer: j.issuer, Time: time.Now()}, 0)
		if errors.Is(err, josejwt.ErrExpired) {
			return fosite.ErrTokenExpired
		}
		if err != nil {
			return fosite.ErrTokenClaim
		}
		return nil
	}
	return fosite.ErrTokenSignatureMismatch
}
