package sso

import (
	"strings"
	"time"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of a SAML connection.
const (
	// MaxMetadataBytes bounds an identity provider's metadata document.
	MaxMetadataBytes = 512 << 10
	MaxEntityID      = 1024
)

// SAMLSettings are a SAML connection's identity provider and Authy's
// service provider for it.
//
// The identity provider is its metadata document (as given, or as fetched
// from MetadataURL when that is set) and the entity id read from it; the
// application checks the document before it reaches the aggregate. The
// service provider signs with a key and certificate Authy's certificate
// authority issued for this connection: Certificate is PEM, SealedKey the
// private key sealed by the application (never clear here).
type SAMLSettings struct {
	MetadataURL          string
	MetadataXML          string
	IdPEntityID          string
	AllowIdPInitiated    bool
	Certificate          string
	SealedKey            string
	CertificateRotatedAt time.Time
}

// IdPMetadata is a checked metadata document: the application read it
// (signing certificates, a single sign-on endpoint) before it is set.
type IdPMetadata struct {
	URL      string // "" for a document given inline
	XML      string
	EntityID string
}

// SPCertificate is a service-provider key pair from the certificate
// authority: the certificate in PEM and the private key sealed.
type SPCertificate struct {
	Certificate string
	SealedKey   string
}

var (
	// ErrNotSAML refuses a SAML operation on an OpenID Connect connection.
	ErrNotSAML = shared.Invalid(CodeInvalidInput, "only a SAML connection has a service-provider certificate and metadata", nil)
	// errNoCertificate is a rotation without a key pair (a caller's bug).
	errNoCertificate = shared.Invalid(CodeInvalidInput, "a SAML connection needs a service-provider certificate and key", nil)
)

// SAML returns its SAML settings (zero for an OpenID Connect connection).
func (c *Connection) SAML() SAMLSettings { return c.s.SAML }

// setMetadata applies a checked metadata document, recording the fields
// that changed.
func (c *Connection) setMetadata(m IdPMetadata, p URLPolicy, f map[string][]string, set func(string, bool)) {
	field := "idp_metadata_xml"
	if m.URL != "" {
		field = "idp_metadata_url"
		u, reason := checkURL(m.URL, p)
		if reason != "" {
			f[field] = append(f[field], reason)
			return
		}
		m.URL = u
	}
	id := strings.TrimSpace(m.EntityID)
	switch {
	case strings.TrimSpace(m.XML) == "" || len(m.XML) > MaxMetadataBytes:
		f[field] = append(f[field], "must be an identity provider's metadata document of at most 512 KiB")
		return
	case id == "" || len(id) > MaxEntityID:
		f[field] = append(f[field], "must name the identity provider's entity id")
		return
	}
	set(field, m.URL != c.s.SAML.MetadataURL || m.XML != c.s.SAML.MetadataXML)
	c.s.SAML.MetadataURL, c.s.SAML.MetadataXML, c.s.SAML.IdPEntityID = m.URL, m.XML, id
}

// RotateCertificate gives the service provider a new key pair at now
// (its metadata changes with it). Only a SAML connection has one.
func (c *Connection) RotateCertificate(cert SPCertificate, now time.Time) error {
	if c.s.Kind != KindSAML {
		return ErrNotSAML
	}
	if cert.Certificate == "" || cert.SealedKey == "" {
		return errNoCertificate
	}
	now = now.UTC()
	c.s.SAML.Certificate, c.s.SAML.SealedKey, c.s.SAML.CertificateRotatedAt = cert.Certificate, cert.SealedKey, now
	if now.After(c.s.UpdatedAt) {
		c.s.UpdatedAt = now
	}
	return nil
}

// applyKind refuses the fields of the other kind and applies a SAML
// connection's own.
func (c *Connection) applyKind(spec ConnectionSpec, p URLPolicy, f shared.FieldErrors, set func(string, bool)) {
	if c.s.Kind == KindSAML {
		for field, given := range map[string]bool{"issuer": spec.Issuer != nil, "client_id": spec.ClientID != nil, "client_secret": spec.SealedSecret != nil} {
			if given {
				f.Add(field, "is not a field of a SAML connection")
			}
		}
		if spec.Metadata != nil {
			c.setMetadata(*spec.Metadata, p, f, set)
		}
		if spec.AllowIdPInitiated != nil {
			set("allow_idp_initiated", *spec.AllowIdPInitiated != c.s.SAML.AllowIdPInitiated)
			c.s.SAML.AllowIdPInitiated = *spec.AllowIdPInitiated
		}
		return
	}
	if spec.Metadata != nil {
		f.Add("idp_metadata_url", "is not a field of an OpenID Connect connection")
	}
	if spec.AllowIdPInitiated != nil {
		f.Add("allow_idp_initiated", "is not a field of an OpenID Connect connection")
	}
}
