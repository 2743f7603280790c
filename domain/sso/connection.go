package sso

import (
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of a connection.
const (
	MaxConnectionName = 100
	MaxDomains        = 20
	MaxURL            = 2048
	MaxClientID       = 255
	MaxClientSecret   = 1024
)

// Kind is how Authy talks to a connection's identity provider.
type Kind struct{ value string }

// The kinds.
var (
	KindOIDC = Kind{"oidc"}
	KindSAML = Kind{"saml"}
)

// ParseKind reads a kind for the field "type".
func ParseKind(s string) (Kind, error) {
	switch s {
	case KindOIDC.value:
		return KindOIDC, nil
	case KindSAML.value:
		return KindSAML, nil
	}
	return Kind{}, shared.Invalid(CodeInvalidInput, "invalid connection", map[string][]string{"type": {`must be "oidc" or "saml"`}})
}

// String returns the kind's name.
func (k Kind) String() string { return k.value }

// IsZero reports the zero value.
func (k Kind) IsZero() bool { return k.value == "" }

// Role is the organization role a provisioned member gets: member or
// admin (never owner: an identity provider cannot make owners).
type Role struct{ value string }

// The roles a connection grants.
var (
	RoleMember = Role{"member"}
	RoleAdmin  = Role{"admin"}
)

// ParseRole reads a role for the field "default_role"; "" is member.
func ParseRole(s string) (Role, error) {
	switch s {
	case "", RoleMember.value:
		return RoleMember, nil
	case RoleAdmin.value:
		return RoleAdmin, nil
	}
	return Role{}, shared.Invalid(CodeInvalidInput, "invalid connection", map[string][]string{"default_role": {`must be "member" or "admin"`}})
}

// String returns the role's name.
func (r Role) String() string { return r.value }

// OIDCSettings are an OpenID Connect connection's provider: its issuer
// (discovery at issuer + "/.well-known/openid-configuration"), the client
// id and the client secret sealed by the application (never clear here).
type OIDCSettings struct {
	Issuer       string
	ClientID     string
	SealedSecret string
}

// ConnectionState is a Connection's stored state (for adapters).
type ConnectionState struct {
	ID           uuid.UUID
	Organization shared.OrganizationID
	Kind         Kind
	Name         string
	Domains      []string
	DefaultRole  Role
	Enforce      bool
	// IdPEnforcesMFA is the organization's word that its identity
	// provider asks every sign-in for a second factor.
	IdPEnforcesMFA bool
	// Disabled is a connection switched off (it stays configured).
	Disabled  bool
	OIDC      OIDCSettings
	SAML      SAMLSettings
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Connection is an organization's identity provider.
//
// Invariants: a kind; a name of 1 to MaxConnectionName printable
// characters; 1 to MaxDomains distinct canonical domain names (that they
// are verified domains of the organization is the application's check,
// against the domain store, in the same transaction); a default role of
// member or admin; for OIDC an issuer URL (https, or http where the
// deployment allows it), a client id and a sealed secret.
type Connection struct{ s ConnectionState }

// ConnectionSpec is what a new connection or a change holds. Nil fields of
// a change stay as they are.
type ConnectionSpec struct {
	Name        *string
	Domains     *[]string
	DefaultRole *string
	Enforce     *bool
	Enabled     *bool
	// IdPEnforcesMFA says the identity provider asks every sign-in for a
	// second factor.
	IdPEnforcesMFA *bool
	Issuer         *string
	ClientID       *string
	// SealedSecret replaces the client secret (already sealed).
	SealedSecret *string
	// Metadata replaces a SAML identity provider's metadata (checked).
	Metadata *IdPMetadata
	// AllowIdPInitiated accepts a SAML identity provider's unsolicited
	// responses.
	AllowIdPInitiated *bool
	// Certificate is a new SAML connection's service-provider key pair
	// (at creation only; RotateCertificate replaces it later).
	Certificate *SPCertificate
}

// URLPolicy says which identity-provider URLs a deployment accepts:
// https always; plain http only when AllowHTTP (tests on loopback).
type URLPolicy struct{ AllowHTTP bool }

// NewConnection checks spec and returns a connection of kind for org.
func NewConnection(id uuid.UUID, org shared.OrganizationID, kind Kind, spec ConnectionSpec, p URLPolicy, now time.Time) (*Connection, error) {
	if kind.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "invalid connection", map[string][]string{"type": {"is required"}})
	}
	if id == uuid.Nil || org.IsZero() || now.IsZero() {
		return nil, shared.Invalid(CodeInvalidInput, "a connection needs an id, an organization and a time", nil)
	}
	now = now.UTC()
	c := &Connection{ConnectionState{ID: id, Organization: org, Kind: kind, DefaultRole: RoleMember, CreatedAt: now, UpdatedAt: now}}
	f := shared.FieldErrors{}
	required := map[string]bool{"name": spec.Name != nil}
	if kind == KindSAML {
		required["idp_metadata_url"] = spec.Metadata != nil
		if spec.Certificate != nil {
			c.s.SAML.Certificate, c.s.SAML.SealedKey, c.s.SAML.CertificateRotatedAt = spec.Certificate.Certificate, spec.Certificate.SealedKey, now
		}
	} else {
		required["issuer"], required["client_id"], required["client_secret"] = spec.Issuer != nil, spec.ClientID != nil, spec.SealedSecret != nil
	}
	for field, ok := range required {
		if !ok {
			f.Add(field, "is required")
		}
	}
	if spec.Domains == nil {
		f.Add("domains", "is required")
	}
	c.apply(spec, p, f)
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	if kind == KindSAML && (c.s.SAML.Certificate == "" || c.s.SAML.SealedKey == "") {
		return nil, errNoCertificate
	}
	return c, nil
}

// RehydrateConnection rebuilds a stored connection (for adapters).
func RehydrateConnection(s ConnectionState) *Connection {
	s.CreatedAt, s.UpdatedAt = s.CreatedAt.UTC(), s.UpdatedAt.UTC()
	s.Domains = slices.Clone(s.Domains)
	return &Connection{s}
}

// Change applies spec at now and returns the names of the fields that
// changed ("client_secret" for a new secret); a refused change leaves the
// connection as it was.
func (c *Connection) Change(spec ConnectionSpec, p URLPolicy, now time.Time) ([]string, error) {
	next := RehydrateConnection(c.s)
	f := shared.FieldErrors{}
	changed := next.apply(spec, p, f)
	if err := f.Err(CodeInvalidInput); err != nil {
		return nil, err
	}
	if len(changed) > 0 {
		next.s.UpdatedAt = now.UTC()
		if next.s.UpdatedAt.Before(c.s.CreatedAt) {
			next.s.UpdatedAt = c.s.CreatedAt
		}
	}
	c.s = next.s
	return changed, nil
}

// apply sets what spec names, adding each refused field's reason to f.
func (c *Connection) apply(spec ConnectionSpec, p URLPolicy, f shared.FieldErrors) []string {
	var changed []string
	set := func(field string, differs bool) {
		if differs {
			changed = append(changed, field)
		}
	}
	if spec.Name != nil {
		n := strings.TrimSpace(*spec.Name)
		if n == "" || utf8.RuneCountInString(n) > MaxConnectionName || !utf8.ValidString(n) || shared.HasInvisible(n) || strings.ContainsAny(n, "\r\n\t") {
			f.Add("name", "must be 1 to 100 printable characters")
		} else {
			set("name", n != c.s.Name)
			c.s.Name = n
		}
	}
	if spec.Domains != nil {
		ds, problem := canonicalDomains(*spec.Domains)
		if problem != "" {
			f.Add("domains", problem)
		} else {
			set("domains", !slices.Equal(ds, c.s.Domains))
			c.s.Domains = ds
		}
	}
	if spec.DefaultRole != nil {
		r, err := ParseRole(*spec.DefaultRole)
		if err != nil {
			f.Add("default_role", `must be "member" or "admin"`)
		} else {
			set("default_role", r != c.s.DefaultRole)
			c.s.DefaultRole = r
		}
	}
	if spec.Enforce != nil {
		set("enforce", *spec.Enforce != c.s.Enforce)
		c.s.Enforce = *spec.Enforce
	}
	if spec.IdPEnforcesMFA != nil {
		set("idp_enforces_mfa", *spec.IdPEnforcesMFA != c.s.IdPEnforcesMFA)
		c.s.IdPEnforcesMFA = *spec.IdPEnforcesMFA
	}
	if spec.Enabled != nil {
		set("enabled", *spec.Enabled == c.s.Disabled)
		c.s.Disabled = !*spec.Enabled
	}
	c.applyKind(spec, p, f, set)
	if spec.Issuer != nil && c.s.Kind == KindOIDC {
		iss, reason := checkURL(*spec.Issuer, p)
		if reason != "" {
			f.Add("issuer", reason)
		} else {
			set("issuer", iss != c.s.OIDC.Issuer)
			c.s.OIDC.Issuer = iss
		}
	}
	if spec.ClientID != nil && c.s.Kind == KindOIDC {
		id := strings.TrimSpace(*spec.ClientID)
		if id == "" || len(id) > MaxClientID || strings.ContainsFunc(id, func(r rune) bool { return r < 0x21 || r == 0x7f }) {
			f.Add("client_id", "must be 1 to 255 visible characters")
		} else {
			set("client_id", id != c.s.OIDC.ClientID)
			c.s.OIDC.ClientID = id
		}
	}
	if spec.SealedSecret != nil && c.s.Kind == KindOIDC {
		if *spec.SealedSecret == "" {
			if len(f["client_secret"]) == 0 {
				f.Add("client_secret", "must not be empty")
			}
		} else {
			set("client_secret", true)
			c.s.OIDC.SealedSecret = *spec.SealedSecret
		}
	}
	return changed
}

func canonicalDomains(in []string) ([]string, string) {
	if len(in) == 0 || len(in) > MaxDomains {
		return nil, "must name 1 to 20 domains"
	}
	out := make([]string, 0, len(in))
	for _, d := range in {
		n, reason := shared.ParseDomainName(d)
		if reason != "" {
			return nil, reason
		}
		if slices.Contains(out, n) {
			return nil, "must not repeat a domain"
		}
		out = append(out, n)
	}
	slices.Sort(out)
	return out, ""
}

// checkURL accepts an absolute https URL (http when p allows it) without
// user information, query or fragment, of at most MaxURL bytes, and
// returns it without a trailing slash.
func checkURL(raw string, p URLPolicy) (string, string) {
	const reason = "must be an https URL without user, query or fragment"
	raw = strings.TrimSpace(raw)
	if raw == "" || len(raw) > MaxURL {
		return "", reason
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return "", reason
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && p.AllowHTTP) {
		return "", reason
	}
	return strings.TrimSuffix(raw, "/"), ""
}

// State returns the stored state.
func (c *Connection) State() ConnectionState {
	s := c.s
	s.Domains = slices.Clone(s.Domains)
	return s
}

// ID returns the connection's id.
func (c *Connection) ID() uuid.UUID { return c.s.ID }

// Organization returns its organization.
func (c *Connection) Organization() shared.OrganizationID { return c.s.Organization }

// Kind returns its kind.
func (c *Connection) Kind() Kind { return c.s.Kind }

// Name returns its name.
func (c *Connection) Name() string { return c.s.Name }

// Domains returns its domains, sorted.
func (c *Connection) Domains() []string { return slices.Clone(c.s.Domains) }

// DefaultRole returns the role of provisioned members.
func (c *Connection) DefaultRole() Role { return c.s.DefaultRole }

// Enforce reports whether its addresses may sign in only through it.
func (c *Connection) Enforce() bool { return c.s.Enforce }

// IdPEnforcesMFA reports whether the organization says its identity
// provider asks every sign-in for a second factor: a sign-in through it
// then counts as multi-factor (amr "mfa") and meets the organization's own
// multi-factor policy.
func (c *Connection) IdPEnforcesMFA() bool { return c.s.IdPEnforcesMFA }

// OIDC returns its OpenID Connect settings.
func (c *Connection) OIDC() OIDCSettings { return c.s.OIDC }

// CreatedAt returns when it was created.
func (c *Connection) CreatedAt() time.Time { return c.s.CreatedAt }

// UpdatedAt returns when it last changed.
func (c *Connection) UpdatedAt() time.Time { return c.s.UpdatedAt }

// Covers reports whether the canonical address email is in one of the
// connection's domains (exactly: a subdomain is another domain).
func (c *Connection) Covers(email string) bool {
	d := EmailDomain(email)
	return d != "" && slices.Contains(c.s.Domains, d)
}

// MethodName is the session method of a sign-in through c:
// "sso-oidc:<id>" or "saml:<id>". Sessions recorded before migration 00033
// said "sso_oidc:<id>"; that migration renamed them.
func (c *Connection) MethodName() string {
	if c.s.Kind == KindSAML {
		return "saml:" + c.s.ID.String()
	}
	return "sso-oidc:" + c.s.ID.String()
}

// ConnectionOfMethod returns the connection a session method names
// ("sso-oidc:<id>" or "saml:<id>", MethodName's forms); false for any
// other method.
func ConnectionOfMethod(name string) (uuid.UUID, bool) {
	kind, qual, ok := strings.Cut(name, ":")
	if !ok || (kind != "sso-oidc" && kind != KindSAML.value) {
		return uuid.Nil, false
	}
	id, err := uuid.Parse(qual)
	if err != nil || id == uuid.Nil || id.String() != qual {
		return uuid.Nil, false
	}
	return id, true
}

// VouchesMFA reports whether a session of method (its name and amr values)
// counts as multi-factor for c's organization: it was started through c
// while c said its identity provider enforces MFA (amr "mfa"), and c still
// says so and is enabled. Switching the flag off, or the connection,
// withdraws it from sessions already started.
func (c *Connection) VouchesMFA(method string, amr []string) bool {
	return c.s.IdPEnforcesMFA && !c.s.Disabled && method == c.MethodName() && slices.Contains(amr, "mfa")
}

// Enabled reports whether the connection signs people in; a disabled one
// routes nobody and enforces nothing.
func (c *Connection) Enabled() bool { return !c.s.Disabled }
