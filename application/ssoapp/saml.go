package ssoapp

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/ssoport"
)

// The service provider's addresses of a SAML connection, below the public
// URL: its metadata URL is also its entity id.
func SAMLMetadataPath(id uuid.UUID) string { return "/api/v1/sso/saml/" + id.String() + "/metadata" }

// SAMLACSPath is the assertion consumer service (the POST binding).
func SAMLACSPath(id uuid.UUID) string { return "/api/v1/sso/saml/" + id.String() + "/acs" }

// errNoCA refuses a SAML connection on a server without a certificate
// authority (production without CA_ENCRYPTION_KEY).
var errNoCA = shared.Invalid(sso.CodeInvalidInput, "invalid connection",
	map[string][]string{"type": {"SAML connections need the server's CA_ENCRYPTION_KEY to be set"}})

func (s *Service) base() string { return strings.TrimRight(s.d.PublicURL, "/") }

// samlView is c's SAML half of the admin view.
func (s *Service) samlView(c *sso.Connection) *ssoport.SAMLView {
	if c.Kind() != sso.KindSAML {
		return nil
	}
	st := c.SAML()
	return &ssoport.SAMLView{
		SPEntityID: s.base() + SAMLMetadataPath(c.ID()), ACSURL: s.base() + SAMLACSPath(c.ID()),
		SPMetadataURL: s.base() + SAMLMetadataPath(c.ID()), SPCertificate: st.Certificate, CertificateRotatedAt: st.CertificateRotatedAt,
		IdPEntityID: st.IdPEntityID, IdPMetadataURL: st.MetadataURL, AllowIdPInitiated: st.AllowIdPInitiated,
	}
}

// readMetadata reads the identity provider's metadata a command names
// (fetching a URL now, outside any transaction) and checks it.
func (s *Service) readMetadata(ctx context.Context, cmd ssoport.ConnectionCommand) (*sso.IdPMetadata, error) {
	if cmd.IdPMetadataURL == nil && cmd.IdPMetadataXML == nil {
		return nil, nil
	}
	if cmd.IdPMetadataURL != nil && cmd.IdPMetadataXML != nil {
		return nil, shared.Invalid(sso.CodeInvalidInput, "invalid connection",
			map[string][]string{"idp_metadata_url": {"give the metadata's URL or the document, not both"}})
	}
	if s.d.SAML == nil {
		return nil, errNoCA
	}
	field, m := "idp_metadata_xml", sso.IdPMetadata{}
	var doc []byte
	if cmd.IdPMetadataURL != nil {
		field, m.URL = "idp_metadata_url", strings.TrimSpace(*cmd.IdPMetadataURL)
		if _, reason := checkMetadataURL(m.URL, s.d.URLs); reason != "" {
			return nil, shared.Invalid(sso.CodeInvalidInput, "invalid connection", map[string][]string{field: {reason}})
		}
		var err error
		if doc, err = s.d.SAML.FetchMetadata(ctx, m.URL); err != nil {
			if errors.Is(err, sso.ErrIdPInvalid) || errors.Is(err, sso.ErrIdPUnavailable) {
				return nil, shared.Invalid(sso.CodeIdPInvalid, "the identity provider's metadata could not be used",
					map[string][]string{field: {problemOf(err)}})
			}
			return nil, err
		}
	} else {
		doc = []byte(*cmd.IdPMetadataXML)
	}
	if len(doc) > sso.MaxMetadataBytes {
		return nil, shared.Invalid(sso.CodeInvalidInput, "invalid connection", map[string][]string{field: {"must be at most 512 KiB"}})
	}
	entity, err := s.d.SAML.ReadMetadata(doc)
	if err != nil {
		return nil, shared.Invalid(sso.CodeIdPInvalid, "the identity provider's metadata could not be used",
			map[string][]string{field: {problemOf(err)}})
	}
	m.XML, m.EntityID = string(doc), entity
	return &m, nil
}

// checkMetadataURL is the domain's URL rule, for an early clear error.
func checkMetadataURL(raw string, p sso.URLPolicy) (string, string) {
	if raw == "" {
		return "", "is required"
	}
	if !strings.HasPrefix(raw, "https://") && !(p.AllowHTTP && strings.HasPrefix(raw, "http://")) {
		return "", "must be an https URL without user, query or fragment"
	}
	return raw, ""
}

// samlConfig opens c's service-provider key and names its addresses.
func (s *Service) samlConfig(ctx context.Context, c *sso.Connection) (ssoport.SAMLConfig, error) {
	st := c.SAML()
	block, _ := pem.Decode([]byte(st.Certificate))
	if block == nil {
		return ssoport.SAMLConfig{}, fmt.Errorf("connection %s: the service provider's certificate is not PEM", c.ID())
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return ssoport.SAMLConfig{}, fmt.Errorf("connection %s: %w", c.ID(), err)
	}
	der, err := s.d.Sealer.Open(ctx, st.SealedKey, spKeyAD(c.ID()))
	if err != nil {
		return ssoport.SAMLConfig{}, fmt.Errorf("open the service provider's key of connection %s: %w", c.ID(), err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	signer, ok := key.(crypto.Signer)
	if err != nil || !ok {
		return ssoport.SAMLConfig{}, fmt.Errorf("connection %s: the service provider's key is unreadable", c.ID())
	}
	return ssoport.SAMLConfig{
		Connection: c.ID(), EntityID: s.base() + SAMLMetadataPath(c.ID()), ACSURL: s.base() + SAMLACSPath(c.ID()),
		MetadataURL: s.base() + SAMLMetadataPath(c.ID()), Certificate: cert, Key: signer,
		IdPMetadata: []byte(st.MetadataXML), AllowIdPInitiated: st.AllowIdPInitiated,
	}, nil
}

// SPMetadata implements ssoport.Admin.
func (s *Service) SPMetadata(ctx context.Context, id uuid.UUID) ([]byte, error) {
	c, err := s.d.Connections.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Kind() != sso.KindSAML || s.d.SAML == nil {
		return nil, sso.ErrConnectionNotFound
	}
	cfg, err := s.samlConfig(ctx, c)
	if err != nil {
		return nil, err
	}
	return s.d.SAML.Metadata(cfg)
}

// RotateCertificate implements ssoport.Admin.
func (s *Service) RotateCertificate(ctx context.Context, actor shared.UserID, org shared.OrganizationID, id uuid.UUID) (ssoport.ConnectionView, error) {
	c, err := s.connection(ctx, actor, org, id)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	if c.Kind() != sso.KindSAML {
		return ssoport.ConnectionView{}, sso.ErrNotSAML
	}
	cert, err := s.issueSP(ctx, id)
	if err != nil {
		return ssoport.ConnectionView{}, err
	}
	var out *sso.Connection
	err = s.d.UoW.Transaction(ctx, func(ctx context.Context) error {
		now := s.now()
		out, err = s.d.Connections.Update(ctx, id, func(c *sso.Connection) error {
			if c.Organization() != org {
				return sso.ErrConnectionNotFound
			}
			return c.RotateCertificate(cert, now)
		})
		if err != nil {
			return err
		}
		return s.d.Audit.Record(ctx, orgEvent(ActionCertificateRotated, actor, org, "sso_connection", id.String(), nil, now))
	})
	if err != nil {
		return ssoport.ConnectionView{}, fmt.Errorf("rotate certificate: %w", err)
	}
	return s.view(out), nil
}

// testSAML reads the connection's metadata again (from its URL when it
// has one) and reports whether it can be used.
func (s *Service) testSAML(ctx context.Context, c *sso.Connection) (ssoport.TestResult, error) {
	if s.d.SAML == nil {
		return ssoport.TestResult{}, sso.ErrIdPUnavailable
	}
	doc := []byte(c.SAML().MetadataXML)
	if u := c.SAML().MetadataURL; u != "" {
		var err error
		if doc, err = s.d.SAML.FetchMetadata(ctx, u); err != nil {
			if errors.Is(err, sso.ErrIdPInvalid) || errors.Is(err, sso.ErrIdPUnavailable) {
				return ssoport.TestResult{Problem: "the metadata URL cannot be read: " + problemOf(err)}, nil
			}
			return ssoport.TestResult{}, err
		}
	}
	entity, err := s.d.SAML.ReadMetadata(doc)
	switch {
	case err != nil:
		return ssoport.TestResult{Problem: "the metadata cannot be used: " + problemOf(err)}, nil
	case entity != c.SAML().IdPEntityID:
		return ssoport.TestResult{Problem: "the metadata now names another identity provider (" + problemOf(errors.New(entity)) + "); update the connection"}, nil
	}
	return ssoport.TestResult{OK: true}, nil
}
