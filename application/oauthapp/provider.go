package oauthapp

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/domain/oauth"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/oauthport"
	"github.com/secuird/authy/ports/platformport"
)

// Client implements oauthport.Provider. Reads are cached for ClientCache
// (a change on this instance drops its entry at once; other instances see
// it within ClientCache), so the token and introspection endpoints cost no
// client query in steady state.
func (s *Service) Client(ctx context.Context, clientID string) (oauthport.ProtocolClient, error) {
	now := s.d.Clock.Now()
	if s.d.ClientCache > 0 {
		s.cacheMu.Lock()
		e, ok := s.cache[clientID]
		s.cacheMu.Unlock()
		if ok && now.Before(e.until) {
			return e.client, nil
		}
	}
	id, reason := oauth.ParseClientID(clientID)
	if reason != "" {
		return oauthport.ProtocolClient{}, oauth.ErrClientNotFound
	}
	c, err := s.d.Clients.Get(ctx, id)
	if err != nil {
		return oauthport.ProtocolClient{}, err
	}
	pc := protocolClient(c, now)
	if s.d.ClientCache > 0 {
		// The entry never outlives a rotated-out secret's grace period.
		until := now.Add(s.d.ClientCache)
		if exp := c.PreviousSecretExpiresAt(); len(pc.SecretHashes) > 1 && exp.Before(until) {
			until = exp
		}
		s.cacheMu.Lock()
		if len(s.cache) >= maxCachedClients {
			clear(s.cache)
		}
		s.cache[pc.ID] = cachedClient{client: pc, until: until}
		s.cacheMu.Unlock()
	}
	return pc, nil
}

func (s *Service) forget(clientID string) {
	s.cacheMu.Lock()
	delete(s.cache, clientID)
	s.cacheMu.Unlock()
}

func protocolClient(c *oauth.Client, now time.Time) oauthport.ProtocolClient {
	spec := c.Spec()
	pc := oauthport.ProtocolClient{
		ID: c.ID().String(), Organization: c.Organization(), Name: spec.Name,
		RedirectURIs: spec.RedirectURIs, PostLogoutRedirectURIs: spec.PostLogoutRedirectURIs,
		GrantTypes: spec.GrantTypes, TokenEndpointAuthMethod: spec.TokenEndpointAuthMethod, Public: c.Public(),
		Scopes: spec.Scopes, FirstParty: spec.FirstParty, ResourceServer: spec.ResourceServer,
		AccessTokenFormat: spec.AccessTokenFormat, IDTokenSignedResponseAlg: spec.IDTokenSignedResponseAlg,
	}
	for _, h := range c.AcceptedSecrets(now) {
		pc.SecretHashes = append(pc.SecretHashes, h.String())
	}
	return pc
}

// MayIntrospect implements oauthport.Provider (RFC 7662 §4: the server
// decides who may learn about a token): a client about its own tokens, a
// resource server about any.
func (s *Service) MayIntrospect(caller oauthport.ProtocolClient, tokenClientID string) bool {
	return caller.ID != "" && (caller.ID == tokenClientID || caller.ResourceServer)
}

// TokenIssued implements oauthport.Provider: MetricOAuthTokens by grant and
// client.
func (s *Service) TokenIssued(grant, clientID string) {
	if lm, ok := s.d.Meter.(platformport.LabelledMeter); ok {
		lm.AddLabelled(platformport.MetricOAuthTokens, []string{grant, clientID}, 1)
		return
	}
	s.d.Meter.Add(platformport.MetricOAuthTokens, grant, 1)
}

// actorClient is audit's actor type of an OAuth client acting on its own
// behalf.
const actorClient = "client"

// Revoked implements oauthport.Provider: one audit record, in the
// transaction ctx carries, with the client as actor.
func (s *Service) Revoked(ctx context.Context, r oauthport.Revocation) error {
	ev := auditport.Event{
		Action: ActionTokenRevoked, ActorType: actorClient, ActorID: r.Client.ID,
		OrganizationID: r.Client.Organization.String(), TargetType: TargetClient, TargetID: r.Client.ID,
		OccurredAt: s.d.Clock.Now(),
		Details:    map[string]any{"grant": r.RequestID},
	}
	if r.TypeHint != "" {
		ev.Details["token_type_hint"] = r.TypeHint
	}
	if err := s.d.Recorder.Record(ctx, ev); err != nil {
		return fmt.Errorf("record token revocation: %w", err)
	}
	return nil
}

// CleanupTokens implements oauthport.TokenCleanup: batches of CleanupBatch
// expired rows until none is left (or ctx ends).
func (s *Service) CleanupTokens(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.d.Janitor.DeleteExpired(ctx, s.d.Clock.Now(), s.d.CleanupBatch)
		total += n
		if err != nil || n < s.d.CleanupBatch || ctx.Err() != nil {
			return total, err
		}
	}
}
