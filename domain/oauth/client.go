package oauth

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/shared"
)

// Client registration bounds.
const (
	MaxClientNameLength = 100
	MaxRedirectURIs     = 20
)

// ClientSpec is what a client registers: the fields of the admin API. Nil
// slices take their defaults (no redirect URIs, the openid, profile and
// email scopes plus offline_access when refresh_token is granted).
type ClientSpec struct {
	Name                    string
	RedirectURIs            []string
	PostLogoutRedirectURIs  []string
	GrantTypes              []string
	TokenEndpointAuthMethod string // "" is client_secret_basic
	Scopes                  []string
	FirstParty              bool
	AccessTokenFormat       string // "" is opaque
	ResourceServer          bool
	// IDTokenSignedResponseAlg is the algorithm of its ID tokens (OpenID
	// Connect Dynamic Client Registration's name): "" is RS256.
	IDTokenSignedResponseAlg string
}

// ClientChanges is a partial update; nil fields stay as they are.
type ClientChanges struct {
	Name                     *string
	RedirectURIs             *[]string
	PostLogoutRedirectURIs   *[]string
	GrantTypes               *[]string
	TokenEndpointAuthMethod  *string
	Scopes                   *[]string
	FirstParty               *bool
	AccessTokenFormat        *string
	ResourceServer           *bool
	IDTokenSignedResponseAlg *string
}

// Client is the aggregate root of the context: an application an
// organization registered to sign its users in or to call APIs.
//
// Invariants:
//   - name is 1 to MaxClientNameLength printable characters, trimmed;
//   - at least one grant type; refresh_token only with authorization_code
//     (it is the grant that issues refresh tokens); authorization_code needs
//     at least one redirect URI; every redirect URI is a valid RedirectURI,
//     at most MaxRedirectURIs, without duplicates;
//   - a public client (token_endpoint_auth_method none) has no secret and
//     no client_credentials grant; a confidential client always has a
//     current secret hash; an update never turns one into the other;
//   - scopes are RFC 6749 scope-tokens, at most MaxScopes, without duplicates;
//   - after a rotation the previous secret hash is accepted until
//     PreviousSecretExpiresAt, and never after.
type Client struct {
	id                     ClientID
	org                    shared.OrganizationID
	name                   string
	redirectURIs           []RedirectURI
	postLogoutRedirectURIs []RedirectURI
	grantTypes             []GrantType
	authMethod             AuthMethod
	scopes                 []string
	firstParty             bool
	tokenFormat            TokenFormat
	resourceServer         bool
	idTokenAlg             SigningAlg
	secret                 SecretHash
	previousSecret         SecretHash
	previousExpiresAt      time.Time
	createdAt, updatedAt   time.Time
	deleted                bool
	events                 []Event
}

// clientSettings is a validated ClientSpec.
type clientSettings struct {
	name                   string
	redirectURIs           []RedirectURI
	postLogoutRedirectURIs []RedirectURI
	grantTypes             []GrantType
	authMethod             AuthMethod
	scopes                 []string
	firstParty             bool
	tokenFormat            TokenFormat
	resourceServer         bool
	idTokenAlg             SigningAlg
}

// NewClient registers a client of org. secret is the hash of its first
// secret: required for a confidential client, zero for a public one. actor
// is the user who registers it (zero for the system: the seed, an import).
func NewClient(id ClientID, org shared.OrganizationID, spec ClientSpec, secret SecretHash, actor shared.UserID, now time.Time) (*Client, error) {
	if id.IsZero() || org.IsZero() {
		return nil, shared.Invalid(CodeInvalid, "client and organization ids are required", nil)
	}
	s, err := validate(spec)
	if err != nil {
		return nil, err
	}
	if s.authMethod.Public() != secret.IsZero() {
		return nil, shared.Invalid(CodeInvalid, "a confidential client needs a secret and a public one has none", nil)
	}
	c := &Client{id: id, org: org, secret: secret, createdAt: now, updatedAt: now}
	c.apply(s)
	c.record(ClientCreated{EventMeta: c.meta(actor, now), Name: c.name, Public: c.authMethod.Public(),
		GrantTypes: c.GrantTypeNames(), FirstParty: c.firstParty})
	return c, nil
}

// RehydrateClient rebuilds a stored client (adapters only).
func RehydrateClient(id ClientID, org shared.OrganizationID, spec ClientSpec, secret, previous SecretHash,
	previousExpiresAt, createdAt, updatedAt time.Time) (*Client, error) {
	s, err := validate(spec)
	if err != nil {
		return nil, err
	}
	c := &Client{id: id, org: org, secret: secret, previousSecret: previous, previousExpiresAt: previousExpiresAt,
		createdAt: createdAt, updatedAt: updatedAt}
	c.apply(s)
	return c, nil
}

func (c *Client) apply(s clientSettings) {
	c.name, c.redirectURIs, c.postLogoutRedirectURIs = s.name, s.redirectURIs, s.postLogoutRedirectURIs
	c.grantTypes, c.authMethod, c.scopes = s.grantTypes, s.authMethod, s.scopes
	c.firstParty, c.tokenFormat, c.resourceServer, c.idTokenAlg = s.firstParty, s.tokenFormat, s.resourceServer, s.idTokenAlg
}

// validate checks a spec and collects every field error at once.
func validate(spec ClientSpec) (clientSettings, error) {
	fe := shared.FieldErrors{}
	var s clientSettings
	var reason string
	if s.name, reason = cleanClientName(spec.Name); reason != "" {
		fe.Add("name", reason)
	}
	s.redirectURIs = parseURIs("redirect_uris", spec.RedirectURIs, fe)
	s.postLogoutRedirectURIs = parseURIs("post_logout_redirect_uris", spec.PostLogoutRedirectURIs, fe)
	for _, g := range spec.GrantTypes {
		gt, ok := ParseGrantType(g)
		if !ok {
			fe.Add("grant_types", "must each be one of authorization_code, refresh_token, client_credentials")
			break
		}
		if !slices.Contains(s.grantTypes, gt) {
			s.grantTypes = append(s.grantTypes, gt)
		}
	}
	method := spec.TokenEndpointAuthMethod
	if method == "" {
		method = AuthClientSecretBasic.name
	}
	var ok bool
	if s.authMethod, ok = ParseAuthMethod(method); !ok {
		fe.Add("token_endpoint_auth_method", "must be one of client_secret_basic, client_secret_post, none")
	}
	format := spec.AccessTokenFormat
	if format == "" {
		format = TokenOpaque.name
	}
	if s.tokenFormat, ok = ParseTokenFormat(format); !ok {
		fe.Add("access_token_format", "must be opaque or jwt")
	}
	alg := spec.IDTokenSignedResponseAlg
	if alg == "" {
		alg = AlgRS256.name
	}
	if s.idTokenAlg, ok = ParseSigningAlg(alg); !ok {
		fe.Add("id_token_signed_response_alg", "must be RS256 or ES256")
	}
	has := func(g GrantType) bool { return slices.Contains(s.grantTypes, g) }
	switch {
	case len(spec.GrantTypes) == 0:
		fe.Add("grant_types", "must name at least one grant")
	case has(GrantRefreshToken) && !has(GrantAuthorizationCode):
		fe.Add("grant_types", "refresh_token needs authorization_code, the grant that issues refresh tokens")
	}
	if has(GrantAuthorizationCode) && len(s.redirectURIs) == 0 && fe["redirect_uris"] == nil {
		fe.Add("redirect_uris", "authorization_code needs at least one redirect URI")
	}
	if s.authMethod.Public() && has(GrantClientCredentials) {
		fe.Add("grant_types", "a public client (token_endpoint_auth_method none) cannot use client_credentials")
	}
	if spec.Scopes == nil {
		s.scopes = append([]string(nil), defaultScopes...)
		if has(GrantRefreshToken) {
			s.scopes = append(s.scopes, ScopeOfflineAccess)
		}
	} else {
		if len(spec.Scopes) > MaxScopes {
			fe.Add("scopes", "must be at most 50")
		}
		s.scopes = []string{}
		for _, sc := range spec.Scopes {
			if !validScope(sc) {
				fe.Add("scopes", "must each be 1 to 128 printable ASCII characters without space, quote or backslash")
				break
			}
			if !slices.Contains(s.scopes, sc) {
				s.scopes = append(s.scopes, sc)
			}
		}
	}
	s.firstParty, s.resourceServer = spec.FirstParty, spec.ResourceServer
	if err := fe.Err(CodeInvalid); err != nil {
		return clientSettings{}, err
	}
	return s, nil
}

func parseURIs(field string, in []string, fe shared.FieldErrors) []RedirectURI {
	if len(in) > MaxRedirectURIs {
		fe.Add(field, "must be at most 20")
		return nil
	}
	out := make([]RedirectURI, 0, len(in))
	for _, s := range in {
		u, reason := ParseRedirectURI(s)
		if reason != "" {
			fe.Add(field, s+": "+reason)
			continue
		}
		if slices.Contains(out, u) {
			continue
		}
		out = append(out, u)
	}
	return out
}

func cleanClientName(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return "", "is required"
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxClientNameLength:
		return "", "must be at most 100 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' {
			return "", "must not contain control characters"
		}
	}
	if shared.HasInvisible(s) {
		return "", shared.ReasonInvisibleText // a consent page would show another client's name
	}
	return s, ""
}

// Spec returns the client's registration as a ClientSpec.
func (c *Client) Spec() ClientSpec {
	return ClientSpec{
		Name: c.name, RedirectURIs: uriStrings(c.redirectURIs), PostLogoutRedirectURIs: uriStrings(c.postLogoutRedirectURIs),
		GrantTypes: c.GrantTypeNames(), TokenEndpointAuthMethod: c.authMethod.name, Scopes: c.Scopes(),
		FirstParty: c.firstParty, AccessTokenFormat: c.tokenFormat.name, ResourceServer: c.resourceServer,
		IDTokenSignedResponseAlg: c.idTokenAlg.name,
	}
}

func uriStrings(us []RedirectURI) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.raw
	}
	return out
}

// Update applies changes by actor. It reports whether anything changed; an
// update to the current values records no event.
func (c *Client) Update(actor shared.UserID, ch ClientChanges, now time.Time) (bool, error) {
	spec := c.Spec()
	var changed []string
	set := func(field string, differs bool) {
		if differs {
			changed = append(changed, field)
		}
	}
	if ch.Name != nil {
		set("name", strings.TrimSpace(*ch.Name) != spec.Name)
		spec.Name = *ch.Name
	}
	if ch.RedirectURIs != nil {
		set("redirect_uris", !slices.Equal(*ch.RedirectURIs, spec.RedirectURIs))
		spec.RedirectURIs = *ch.RedirectURIs
	}
	if ch.PostLogoutRedirectURIs != nil {
		set("post_logout_redirect_uris", !slices.Equal(*ch.PostLogoutRedirectURIs, spec.PostLogoutRedirectURIs))
		spec.PostLogoutRedirectURIs = *ch.PostLogoutRedirectURIs
	}
	if ch.GrantTypes != nil {
		set("grant_types", !slices.Equal(*ch.GrantTypes, spec.GrantTypes))
		spec.GrantTypes = *ch.GrantTypes
	}
	if ch.TokenEndpointAuthMethod != nil {
		set("token_endpoint_auth_method", *ch.TokenEndpointAuthMethod != spec.TokenEndpointAuthMethod)
		spec.TokenEndpointAuthMethod = *ch.TokenEndpointAuthMethod
	}
	if ch.Scopes != nil {
		set("scopes", !slices.Equal(*ch.Scopes, spec.Scopes))
		spec.Scopes = *ch.Scopes
	}
	if ch.FirstParty != nil {
		set("first_party", *ch.FirstParty != spec.FirstParty)
		spec.FirstParty = *ch.FirstParty
	}
	if ch.AccessTokenFormat != nil {
		set("access_token_format", *ch.AccessTokenFormat != spec.AccessTokenFormat)
		spec.AccessTokenFormat = *ch.AccessTokenFormat
	}
	if ch.ResourceServer != nil {
		set("resource_server", *ch.ResourceServer != spec.ResourceServer)
		spec.ResourceServer = *ch.ResourceServer
	}
	if ch.IDTokenSignedResponseAlg != nil {
		set("id_token_signed_response_alg", *ch.IDTokenSignedResponseAlg != spec.IDTokenSignedResponseAlg)
		spec.IDTokenSignedResponseAlg = *ch.IDTokenSignedResponseAlg
	}
	s, err := validate(spec)
	if err != nil {
		return false, err
	}
	if s.authMethod.Public() != c.authMethod.Public() {
		return false, shared.Invalid(CodeInvalid, "the request has invalid fields", map[string][]string{
			"token_endpoint_auth_method": {"cannot switch between a public client (none) and a confidential one; register a new client"},
		})
	}
	if len(changed) == 0 {
		return false, nil
	}
	c.apply(s)
	c.updatedAt = now
	c.record(ClientChanged{EventMeta: c.meta(actor, now), Fields: changed})
	return true, nil
}

// RotateSecret makes next the client's secret. The current secret stays
// valid for grace (none when grace is zero); a secret still in its grace
// period from an earlier rotation stops working at once, so at most two
// secrets are ever valid.
func (c *Client) RotateSecret(actor shared.UserID, next SecretHash, grace time.Duration, now time.Time) error {
	if c.authMethod.Public() {
		return ErrPublicClientSecret
	}
	if next.IsZero() {
		return shared.Invalid(CodeInvalid, "a new secret is required", nil)
	}
	c.previousSecret, c.previousExpiresAt = SecretHash{}, time.Time{}
	if grace > 0 {
		c.previousSecret, c.previousExpiresAt = c.secret, now.Add(grace)
	}
	c.secret = next
	c.updatedAt = now
	c.record(ClientSecretRotated{EventMeta: c.meta(actor, now), PreviousValidUntil: c.previousExpiresAt})
	return nil
}

// Delete removes the client; the store deletes it with every token issued
// to it.
func (c *Client) Delete(actor shared.UserID, now time.Time) {
	if c.deleted {
		return
	}
	c.deleted = true
	c.record(ClientDeleted{EventMeta: c.meta(actor, now), Name: c.name})
}

// AcceptedSecrets returns the hashes a presented secret may match at now:
// the current one, and the previous one during its grace period.
func (c *Client) AcceptedSecrets(now time.Time) []SecretHash {
	if c.secret.IsZero() {
		return nil
	}
	out := []SecretHash{c.secret}
	if !c.previousSecret.IsZero() && now.Before(c.previousExpiresAt) {
		out = append(out, c.previousSecret)
	}
	return out
}

// AllowsRedirect reports whether requested is one of the registered
// redirect URIs (see RedirectURI.Matches).
func (c *Client) AllowsRedirect(requested string) bool {
	for _, u := range c.redirectURIs {
		if u.Matches(requested) {
			return true
		}
	}
	return false
}

// ID is the client id.
func (c *Client) ID() ClientID { return c.id }

// Organization owns the client.
func (c *Client) Organization() shared.OrganizationID { return c.org }

// Name is the display name (shown on consent pages).
func (c *Client) Name() string { return c.name }

// RedirectURIs are the registered redirect URIs.
func (c *Client) RedirectURIs() []RedirectURI { return append([]RedirectURI(nil), c.redirectURIs...) }

// PostLogoutRedirectURIs are the registered post-logout redirect URIs.
func (c *Client) PostLogoutRedirectURIs() []RedirectURI {
	return append([]RedirectURI(nil), c.postLogoutRedirectURIs...)
}

// GrantTypes are the grants it may use.
func (c *Client) GrantTypes() []GrantType { return append([]GrantType(nil), c.grantTypes...) }

// GrantTypeNames are the grants' names.
func (c *Client) GrantTypeNames() []string {
	out := make([]string, len(c.grantTypes))
	for i, g := range c.grantTypes {
		out[i] = g.name
	}
	return out
}

// Allows reports whether the client may use g.
func (c *Client) Allows(g GrantType) bool { return slices.Contains(c.grantTypes, g) }

// AuthMethod is its token_endpoint_auth_method.
func (c *Client) AuthMethod() AuthMethod { return c.authMethod }

// Public reports a client without a secret.
func (c *Client) Public() bool { return c.authMethod.Public() }

// Scopes are the scopes it may request.
func (c *Client) Scopes() []string { return append([]string(nil), c.scopes...) }

// FirstParty reports a client of the organization's own, which skips consent.
func (c *Client) FirstParty() bool { return c.firstParty }

// AccessTokenFormat is the form of its access tokens.
func (c *Client) AccessTokenFormat() TokenFormat { return c.tokenFormat }

// IDTokenAlg is the algorithm its ID tokens are signed with.
func (c *Client) IDTokenAlg() SigningAlg { return c.idTokenAlg }

// ResourceServer reports a client allowed to introspect tokens issued to
// other clients (an API that receives them).
func (c *Client) ResourceServer() bool { return c.resourceServer }

// Secret is the current secret hash (zero for a public client).
func (c *Client) Secret() SecretHash { return c.secret }

// PreviousSecret is the rotated-out secret hash, valid until
// PreviousSecretExpiresAt (zero when none).
func (c *Client) PreviousSecret() SecretHash { return c.previousSecret }

// PreviousSecretExpiresAt ends the previous secret's grace period.
func (c *Client) PreviousSecretExpiresAt() time.Time { return c.previousExpiresAt }

// CreatedAt is when it was registered.
func (c *Client) CreatedAt() time.Time { return c.createdAt }

// UpdatedAt is when its registration or secret last changed.
func (c *Client) UpdatedAt() time.Time { return c.updatedAt }

// Deleted reports that Delete was called.
func (c *Client) Deleted() bool { return c.deleted }

// PullEvents returns the recorded events and forgets them.
func (c *Client) PullEvents() []Event {
	ev := c.events
	c.events = nil
	return ev
}

func (c *Client) record(e Event) { c.events = append(c.events, e) }

func (c *Client) meta(actor shared.UserID, now time.Time) EventMeta {
	return EventMeta{Organization: c.org, Client: c.id, Actor: actor, At: now}
}
