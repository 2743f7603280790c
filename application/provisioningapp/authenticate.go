package provisioningapp

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/provisioningport"
)

var (
	errRateLimited = shared.RateLimited("provisioning.rate_limited", "too many SCIM requests; retry later", 0)
	// errLimiterUnavailable refuses when the limiter cannot answer: the
	// limit is what keeps a flood off the database.
	errLimiterUnavailable = shared.Unavailable("provisioning.rate_limiter_unavailable", "SCIM requests cannot be served right now; retry shortly")
)

// maxTokenLength bounds a presented token before it is hashed; real ones
// have 43 characters.
const maxTokenLength = 128

// touchEvery is how stale a token's last use may be before a request
// records it again, so a busy token costs no write per request.
const touchEvery = time.Minute

// Authenticate implements provisioningport.SCIM.
func (s *Service) Authenticate(ctx context.Context, organization, token string) (provisioningport.Caller, error) {
	if err := s.take(ctx, "provisioning:scim:client:"+shared.ClientKey(shared.RequestMetaFrom(ctx).ClientIP), s.d.Limits.PerClient); err != nil {
		return provisioningport.Caller{}, err
	}
	if token == "" || len(token) > maxTokenLength {
		return provisioningport.Caller{}, provisioning.ErrUnauthenticated
	}
	// The token is looked up by its SHA-256 only: the lookup compares
	// digests, so its timing says nothing about the token.
	t, err := s.d.Tokens.FindByHash(ctx, s.d.Digests.Hash(token))
	switch {
	case hasCode(err, provisioning.ErrTokenNotFound.Code()):
		return provisioningport.Caller{}, provisioning.ErrUnauthenticated
	case err != nil:
		return provisioningport.Caller{}, err
	case !t.Live():
		return provisioningport.Caller{}, provisioning.ErrUnauthenticated
	}
	// The path's organization is compared only once the token is known,
	// so a stranger learns nothing of which organizations exist.
	org, err := shared.ParseOrganizationID(organization)
	if err != nil || org != t.Organization() {
		return provisioningport.Caller{}, provisioning.ErrUnauthenticated
	}
	// A token is a machine credential: the organization's multi-factor
	// policy is about its members' interactive access, so its owner's
	// role is read without it (it still ends with the owner's role).
	role, err := s.d.Organizations.CredentialRole(ctx, org, t.CreatedBy())
	switch {
	case shared.KindOf(err) == shared.KindNotFound, err == nil && role != roleOwner:
		return provisioningport.Caller{}, provisioning.ErrUnauthenticated
	case err != nil:
		return provisioningport.Caller{}, err
	}
	if err := s.take(ctx, "provisioning:scim:token:"+t.ID().String(), s.d.Limits.PerToken); err != nil {
		return provisioningport.Caller{}, err
	}
	if now := s.now(); now.Sub(t.LastUsedAt()) >= touchEvery {
		if err := s.d.Tokens.Touch(ctx, t.ID(), now); err != nil {
			return provisioningport.Caller{}, err
		}
	}
	return provisioningport.Caller{Token: t.ID(), Organization: org, Owner: t.CreatedBy()}, nil
}

func (s *Service) take(ctx context.Context, key string, limit platformport.Limit) error {
	d, err := s.d.Limiter.Take(ctx, key, limit)
	if err != nil {
		return errLimiterUnavailable.WithCause(err)
	}
	if !d.Allowed {
		return errRateLimited.WithRetryAfter(d.RetryAfter)
	}
	return nil
}
