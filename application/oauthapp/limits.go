package oauthapp

import (
	"context"
	"strings"
	"time"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/platformport"
)

// ClientAuthLimits bound failed client authentications at the protocol
// endpoints (token, introspection, revocation) for clients whose secret was
// set by hand (the seed's, imports): such a secret may be guessable, and
// every attempt costs an argon2id hash. A generated secret (256 random
// bits, a keyed SHA-256) can be neither guessed nor made expensive to
// check, so its clients pay no limiter round trip.
//
// Failures are counted per client and address, so one source cannot go on
// guessing, and per client from every address together, with a higher
// bound, so a spread-out attack ends too; the legitimate holder of the
// secret, from its own address, is refused only by the second.
type ClientAuthLimits struct {
	FailuresPerClientIP platformport.Limit
	FailuresPerClient   platformport.Limit
}

// DefaultClientAuthLimits are the limits when Deps leaves them zero.
var DefaultClientAuthLimits = ClientAuthLimits{
	FailuresPerClientIP: platformport.Limit{Max: 10, Window: 15 * time.Minute},
	FailuresPerClient:   platformport.Limit{Max: 100, Window: 15 * time.Minute},
}

// errClientAuthLimited answers a client that failed to authenticate too
// often; the protocol endpoints turn it into the RFC 6749 error format.
var errClientAuthLimited = shared.RateLimited("oauth.client_auth_rate_limited",
	"too many failed client authentications; retry later", 0)

// metricClientAuth names the limit in MetricRateLimited.
const metricClientAuth = "oauth_client_auth"

// guessable reports a client with a hand-set secret among those it accepts.
func guessable(c oauthport.ProtocolClient) bool {
	for _, h := range c.SecretHashes {
		if !strings.HasPrefix(h, generatedScheme+":") {
			return true
		}
	}
	return false
}

func clientIPKey(clientID, ip string) string { return "oauth:client_auth:" + clientID + ":" + ip }
func clientKey(clientID string) string       { return "oauth:client_auth:" + clientID }

// ClientAuthAllowed implements oauthport.Provider: a rate-limited error
// when c, from ip, may not try its secret now.
func (s *Service) ClientAuthAllowed(ctx context.Context, c oauthport.ProtocolClient, ip string) error {
	if !guessable(c) {
		return nil
	}
	for _, k := range []struct {
		key   string
		limit platformport.Limit
	}{{clientIPKey(c.ID, ip), s.d.ClientAuthLimits.FailuresPerClientIP}, {clientKey(c.ID), s.d.ClientAuthLimits.FailuresPerClient}} {
		d, err := s.d.Limiter.Peek(ctx, k.key, k.limit)
		if err != nil {
			return err
		}
		if !d.Allowed {
			s.d.Meter.Add(platformport.MetricRateLimited, metricClientAuth, 1)
			return errClientAuthLimited.WithRetryAfter(d.RetryAfter)
		}
	}
	return nil
}

// ClientAuthFailed implements oauthport.Provider: it counts a failed
// authentication of c from ip.
func (s *Service) ClientAuthFailed(ctx context.Context, c oauthport.ProtocolClient, ip string) error {
	if !guessable(c) {
		return nil
	}
	if _, err := s.d.Limiter.Take(ctx, clientIPKey(c.ID, ip), s.d.ClientAuthLimits.FailuresPerClientIP); err != nil {
		return err
	}
	_, err := s.d.Limiter.Take(ctx, clientKey(c.ID), s.d.ClientAuthLimits.FailuresPerClient)
	return err
}
