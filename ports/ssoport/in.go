package ssoport

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// DomainView is a claimed domain as the organization's owners see it, with
// the TXT record that proves it.
type DomainView struct {
	Domain         string
	Verified       bool
	VerifiedAt     *time.Time
	CreatedAt      time.Time
	ChallengeName  string
	ChallengeValue string
}

// ConnectionCommand creates (every field but SecretChange) or changes (nil
// fields stay) a connection. ClientSecret is the secret in clear; it is
// sealed before it is stored and never returned.
type ConnectionCommand struct {
	Actor        shared.UserID
	Organization shared.OrganizationID
	Connection   uuid.UUID // for a change
	Type         string
	Name         *string
	Domains      *[]string
	DefaultRole  *string
	Enforce      *bool
	Enabled      *bool
	// IdPEnforcesMFA says the identity provider asks every sign-in for a
	// second factor (default false).
	IdPEnforcesMFA *bool
	Issuer         *string
	ClientID       *string
	ClientSecret   *string
	// A SAML identity provider's metadata, by URL (fetched now and by
	// each test) or inline; and whether unsolicited responses are
	// accepted.
	IdPMetadataURL    *string
	IdPMetadataXML    *string
	AllowIdPInitiated *bool
}

// ConnectionView is a connection as the organization's owners see it
// (never its secret).
type ConnectionView struct {
	ID           uuid.UUID
	Organization shared.OrganizationID
	Type         string
	Name         string
	Domains      []string
	DefaultRole  string
	Enforce      bool
	Enabled      bool
	// IdPEnforcesMFA: a sign-in through the connection counts as
	// multi-factor for its organization.
	IdPEnforcesMFA bool
	Issuer         string
	ClientID       string
	// RedirectURI is the callback URL to register at the identity
	// provider (OpenID Connect).
	RedirectURI string
	// SAML is a SAML connection's service provider and identity provider.
	SAML      *SAMLView
	CreatedAt time.Time
	UpdatedAt time.Time
}

// SAMLView is what an identity provider's administrator registers (the
// service provider's entity id, ACS URL and certificate, all in its
// metadata document) and which identity provider the connection trusts.
type SAMLView struct {
	SPEntityID           string
	ACSURL               string
	SPMetadataURL        string
	SPCertificate        string
	CertificateRotatedAt time.Time
	IdPEntityID          string
	IdPMetadataURL       string
	AllowIdPInitiated    bool
}

// TestResult is what a check of a connection's identity provider found.
type TestResult struct {
	OK bool
	// Problem explains a failed check ("" when OK).
	Problem string
}

// Discovery is the connection home-realm discovery names for an address.
type Discovery struct {
	Found        bool
	ConnectionID uuid.UUID
	Name         string
	Type         string
	Enforce      bool
}

// Admin is the use-case API of an organization's owners.
//
// An organization the caller is not a member of is NotFound
// ("organizations.not_found"), exactly like one that does not exist; a
// member who is not an owner gets sso.ErrForbidden. A domain the
// organization has not added is sso.ErrDomainNotFound, a connection of
// another organization sso.ErrConnectionNotFound. Every change is audited
// in the same transaction.
type Admin interface {
	// AddDomain claims a domain and returns its challenge; adding it twice
	// is sso.ErrDomainExists, one verified by another organization
	// sso.ErrDomainTaken.
	AddDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, domain string) (DomainView, error)
	// VerifyDomain looks the challenge up in DNS (rate-limited per domain:
	// RateLimited "sso.verify_rate_limited"); not found is
	// sso.ErrChallengeNotFound, a resolver that does not answer
	// sso.ErrDNSUnavailable, a domain another organization verified first
	// sso.ErrDomainTaken.
	VerifyDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, domain string) (DomainView, error)
	ListDomains(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]DomainView, error)
	// RemoveDomain removes a domain; one a connection routes is
	// sso.ErrDomainInUse.
	RemoveDomain(ctx context.Context, actor shared.UserID, org shared.OrganizationID, domain string) error

	// CreateConnection adds a connection whose domains are verified
	// domains of the organization (sso.ErrDomainNotVerified) that no other
	// connection routes (sso.ErrDomainRouted).
	CreateConnection(ctx context.Context, cmd ConnectionCommand) (ConnectionView, error)
	ListConnections(ctx context.Context, actor shared.UserID, org shared.OrganizationID) ([]ConnectionView, error)
	GetConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (ConnectionView, error)
	UpdateConnection(ctx context.Context, cmd ConnectionCommand) (ConnectionView, error)
	DeleteConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) error
	// TestConnection reads the identity provider's discovery document
	// (OpenID Connect) or metadata (SAML, fetched again from its URL).
	TestConnection(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (TestResult, error)
	// RotateCertificate gives a SAML connection's service provider a new
	// key pair; its metadata changes at once (sso.ErrNotSAML for an
	// OpenID Connect connection).
	RotateCertificate(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (ConnectionView, error)
	// SPMetadata is a SAML connection's service-provider metadata
	// document, public (sso.ErrConnectionNotFound for any other id).
	SPMetadata(ctx context.Context, id uuid.UUID) ([]byte, error)
}
