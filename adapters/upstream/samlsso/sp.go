// Package samlsso is the outbound adapter of the SAML 2.0 connections: a
// crewjam/saml ServiceProvider per connection, built for each call from
// the connection's settings (never samlsp's cookie middleware, which
// serves one provider), with SHA-1 signatures refused and every accepted
// assertion remembered in the shared rate limiter's store until it
// expires, so a replay is refused on every instance.
//
// Metadata URLs are an organization owner's input: they are fetched
// through the guarded client of ssoidp (public addresses only, bounded
// in time and size).
//
// It imports crewjam/saml, the standard library, ports and the domain.
package samlsso

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
	"github.com/crewjam/saml/samlsp"

	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/platformport"
	"github.com/secuird/authy/ports/ssoport"
)

// maxResponseBytes bounds a posted SAMLResponse (base64).
const maxResponseBytes = 1 << 20

// replayPrefix names the replay records in the limiter's store.
const replayPrefix = "saml:assertion:"

// SP implements ssoport.SAMLServiceProvider.
type SP struct {
	client  *http.Client
	limiter platformport.RateLimiter
	clock   platformport.Clock
}

var _ ssoport.SAMLServiceProvider = (*SP)(nil)

// New returns the adapter fetching through client and remembering
// assertions in limiter (one event per assertion id, for as long as it is
// valid).
func New(client *http.Client, limiter platformport.RateLimiter, clock platformport.Clock) (*SP, error) {
	if client == nil || limiter == nil || clock == nil {
		return nil, errors.New("samlsso: the HTTP client, the limiter and the clock are required")
	}
	return &SP{client: client, limiter: limiter, clock: clock}, nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{sso.ErrIdPInvalid}, args...)...)
}

// parse reads and checks an identity provider's metadata.
func parse(doc []byte) (*saml.EntityDescriptor, error) {
	if len(bytes.TrimSpace(doc)) == 0 {
		return nil, invalid("the metadata document is empty")
	}
	ed, err := samlsp.ParseMetadata(doc)
	if err != nil {
		return nil, invalid("the metadata is not a SAML metadata document")
	}
	if ed.EntityID == "" {
		return nil, invalid("the metadata names no entity id")
	}
	if len(ed.IDPSSODescriptors) != 1 {
		return nil, invalid("the metadata must describe exactly one identity provider (IDPSSODescriptor)")
	}
	idp := ed.IDPSSODescriptors[0]
	redirect := false
	for _, e := range idp.SingleSignOnServices {
		if e.Binding == saml.HTTPRedirectBinding && strings.HasPrefix(e.Location, "http") {
			redirect = true
		}
	}
	if !redirect {
		return nil, invalid("the identity provider offers no single sign-on endpoint with the HTTP-Redirect binding")
	}
	signing := false
	for _, kd := range idp.KeyDescriptors {
		if (kd.Use == "" || kd.Use == "signing") && len(kd.KeyInfo.X509Data.X509Certificates) > 0 {
			signing = true
		}
	}
	if !signing {
		return nil, invalid("the metadata has no signing certificate")
	}
	return ed, nil
}

// ReadMetadata implements ssoport.SAMLServiceProvider.
func (p *SP) ReadMetadata(doc []byte) (string, error) {
	ed, err := parse(doc)
	if err != nil {
		return "", err
	}
	return ed.EntityID, nil
}

// FetchMetadata implements ssoport.SAMLServiceProvider.
func (p *SP) FetchMetadata(ctx context.Context, raw string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, raw, nil)
	if err != nil {
		return nil, invalid("the metadata URL is not valid")
	}
	req.Header.Set("Accept", "application/samlmetadata+xml, application/xml, text/xml")
	res, err := p.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: fetch the metadata: %v", sso.ErrIdPUnavailable, err)
	}
	defer func() { _ = res.Body.Close() }()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%w: the metadata URL answered %d", sso.ErrIdPUnavailable, res.StatusCode)
	}
	doc, err := io.ReadAll(io.LimitReader(res.Body, sso.MaxMetadataBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%w: read the metadata: %v", sso.ErrIdPUnavailable, err)
	}
	if len(doc) > sso.MaxMetadataBytes {
		return nil, invalid("the metadata is larger than 512 KiB")
	}
	return doc, nil
}

// provider builds cfg's service provider.
func (p *SP) provider(cfg ssoport.SAMLConfig) (*saml.ServiceProvider, error) {
	ed, err := parse(cfg.IdPMetadata)
	if err != nil {
		return nil, err
	}
	acs, err := url.Parse(cfg.ACSURL)
	if err != nil {
		return nil, err
	}
	md, err := url.Parse(cfg.MetadataURL)
	if err != nil {
		return nil, err
	}
	return &saml.ServiceProvider{
		EntityID: cfg.EntityID, Key: cfg.Key, Certificate: cfg.Certificate,
		MetadataURL: *md, AcsURL: *acs, IDPMetadata: ed,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat, AllowIDPInitiated: cfg.AllowIdPInitiated,
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		RejectSHA1Signatures:             true,
		ReplayCache:                      replayCache{p: p},
		MetadataValidDuration:            48 * time.Hour,
		HTTPClient:                       p.client,
	}, nil
}

// Metadata implements ssoport.SAMLServiceProvider.
func (p *SP) Metadata(cfg ssoport.SAMLConfig) ([]byte, error) {
	sp, err := p.provider(cfg)
	if err != nil {
		return nil, err
	}
	out, err := xml.MarshalIndent(sp.Metadata(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append([]byte(xml.Header), out...), nil
}

// AuthnRequest implements ssoport.SAMLServiceProvider.
func (p *SP) AuthnRequest(cfg ssoport.SAMLConfig, relayState string) (string, string, error) {
	sp, err := p.provider(cfg)
	if err != nil {
		return "", "", err
	}
	req, err := sp.MakeAuthenticationRequest(sp.GetSSOBindingLocation(saml.HTTPRedirectBinding), saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return "", "", err
	}
	u, err := req.Redirect(relayState, sp)
	if err != nil {
		return "", "", err
	}
	return u.String(), req.ID, nil
}

// ParseResponse implements ssoport.SAMLServiceProvider.
func (p *SP) ParseResponse(ctx context.Context, cfg ssoport.SAMLConfig, samlResponse string, requestIDs []string) (ssoport.SAMLAssertion, error) {
	if samlResponse == "" || len(samlResponse) > maxResponseBytes {
		return ssoport.SAMLAssertion{}, fmt.Errorf("%w: no SAMLResponse, or one too large", sso.ErrTokenInvalid)
	}
	raw, err := base64.StdEncoding.DecodeString(samlResponse)
	if err != nil {
		return ssoport.SAMLAssertion{}, fmt.Errorf("%w: the SAMLResponse is not base64", sso.ErrTokenInvalid)
	}
	sp, err := p.provider(cfg)
	if err != nil {
		return ssoport.SAMLAssertion{}, err
	}
	sp.ReplayCache = replayCache{p: p, ctx: ctx}
	a, err := sp.ParseXMLResponse(raw, requestIDs, sp.AcsURL)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			return ssoport.SAMLAssertion{}, fmt.Errorf("%w: %v", sso.ErrTokenInvalid, ire.PrivateErr)
		}
		return ssoport.SAMLAssertion{}, fmt.Errorf("%w: %v", sso.ErrTokenInvalid, err)
	}
	return assertion(a), nil
}

// Common attribute names of the address and the name (Okta, Entra ID,
// ADFS, Google Workspace, Keycloak).
var (
	emailAttributes = []string{"email", "mail", "emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "user.email"}
	nameAttributes = []string{"name", "displayname", "cn", "urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name", "http://schemas.microsoft.com/identity/claims/displayname"}
)

func assertion(a *saml.Assertion) ssoport.SAMLAssertion {
	out := ssoport.SAMLAssertion{ID: a.ID}
	if a.Subject != nil && a.Subject.NameID != nil {
		out.NameID = strings.TrimSpace(a.Subject.NameID.Value)
	}
	if a.Conditions != nil {
		out.ExpiresAt = a.Conditions.NotOnOrAfter
	}
	values := map[string]string{}
	for _, st := range a.AttributeStatements {
		for _, at := range st.Attributes {
			if len(at.Values) == 0 {
				continue
			}
			for _, n := range []string{at.Name, at.FriendlyName} {
				if k := strings.ToLower(n); k != "" && values[k] == "" {
					values[k] = strings.TrimSpace(at.Values[0].Value)
				}
			}
		}
	}
	first := func(names []string) string {
		for _, n := range names {
			if v := values[strings.ToLower(n)]; v != "" {
				return v
			}
		}
		return ""
	}
	out.Email, out.Name = first(emailAttributes), first(nameAttributes)
	if out.Email == "" && strings.Contains(out.NameID, "@") {
		out.Email = out.NameID
	}
	return out
}

// replayCache is crewjam's AssertionReplayCache on the shared limiter: an
// assertion id admitted once for as long as it could be accepted.
type replayCache struct {
	p   *SP
	ctx context.Context
}

func (r replayCache) Consume(id string, expiresAt time.Time) error {
	ctx := r.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	window := time.Until(expiresAt)
	if now := r.p.clock.Now(); !now.IsZero() {
		window = expiresAt.Sub(now)
	}
	if window < time.Minute {
		window = time.Minute
	}
	d, err := r.p.limiter.Take(ctx, replayPrefix+id, platformport.Limit{Max: 1, Window: window})
	if err != nil {
		return err
	}
	if !d.Allowed {
		return saml.ErrAssertionReplayed
	}
	return nil
}
