// Package ssohttp is the inbound HTTP adapter of the sso context: the
// owners' API of an organization's verified domains and SSO connections
// (the envelope, with its OpenAPI fragment), home-realm discovery, and the
// browser sign-in through a connection.
//
// Handlers decode, call one ssoport method and map the result; every rule
// is the application's or the domain's. It imports Fiber, httpapi and
// ports, never application/.
package ssohttp

import (
	_ "embed"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/utils"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/domain/sso"
	"github.com/secuird/authy/ports/sessionsport"
	"github.com/secuird/authy/ports/ssoport"
)

// OpenAPI is this context's OpenAPI 3.1 fragment.
//
//go:embed openapi.yaml
var OpenAPI []byte

type admin struct{ svc ssoport.Admin }

// RegisterAdmin mounts the owners' API on r (the /api/v1 group).
func RegisterAdmin(r fiber.Router, svc ssoport.Admin, auth sessionsport.Authenticator) {
	h := admin{svc: svc}
	authed := httpapi.RequireAuth(auth)
	r.Post("/organizations/:id/domains", authed, h.addDomain)
	r.Get("/organizations/:id/domains", authed, h.listDomains)
	r.Post("/organizations/:id/domains/:domain/verify", authed, h.verifyDomain)
	r.Delete("/organizations/:id/domains/:domain", authed, h.removeDomain)
	r.Post("/organizations/:id/sso-connections", authed, h.createConnection)
	r.Get("/organizations/:id/sso-connections", authed, h.listConnections)
	r.Get("/organizations/:id/sso-connections/:connectionId", authed, h.getConnection)
	r.Patch("/organizations/:id/sso-connections/:connectionId", authed, h.updateConnection)
	r.Delete("/organizations/:id/sso-connections/:connectionId", authed, h.deleteConnection)
	r.Post("/organizations/:id/sso-connections/:connectionId/test", authed, h.testConnection)
	r.Post("/organizations/:id/sso-connections/:connectionId/certificate", authed, h.rotateCertificate)
}

func orgID(c *fiber.Ctx) (shared.OrganizationID, error) {
	id, err := shared.ParseOrganizationID(c.Params("id"))
	if err != nil {
		return shared.OrganizationID{}, sso.ErrOrganizationNotFound
	}
	return id, nil
}

// orgConnection reads both path ids of a connection route.
func orgConnection(c *fiber.Ctx) (shared.OrganizationID, uuid.UUID, error) {
	org, err := orgID(c)
	if err != nil {
		return org, uuid.Nil, err
	}
	id, err := connectionID(c)
	return org, id, err
}

func connectionID(c *fiber.Ctx) (uuid.UUID, error) {
	raw := c.Params("connectionId")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		return uuid.Nil, sso.ErrConnectionNotFound
	}
	return id, nil
}

type domainRequest struct {
	Domain string `json:"domain"`
}

type challengeResponse struct {
	Type  string `json:"type"`
	Name  string `json:"name"`
	Value string `json:"value"`
}

type domainResponse struct {
	Domain     string            `json:"domain"`
	Verified   bool              `json:"verified"`
	VerifiedAt *time.Time        `json:"verified_at"`
	CreatedAt  time.Time         `json:"created_at"`
	Challenge  challengeResponse `json:"challenge"`
}

func toDomain(v ssoport.DomainView) domainResponse {
	out := domainResponse{
		Domain: v.Domain, Verified: v.Verified, CreatedAt: v.CreatedAt.UTC(),
		Challenge: challengeResponse{Type: "TXT", Name: v.ChallengeName, Value: v.ChallengeValue},
	}
	if v.VerifiedAt != nil {
		t := v.VerifiedAt.UTC()
		out.VerifiedAt = &t
	}
	return out
}

func (h admin) addDomain(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	var req domainRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.AddDomain(c.UserContext(), httpapi.Principal(c).UserID, org, req.Domain)
	if err != nil {
		return err
	}
	return httpapi.Created(c, "domain added; publish the TXT record, then verify", toDomain(v))
}

func (h admin) listDomains(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	list, err := h.svc.ListDomains(c.UserContext(), httpapi.Principal(c).UserID, org)
	if err != nil {
		return err
	}
	out := make([]domainResponse, len(list))
	for i, v := range list {
		out[i] = toDomain(v)
	}
	return httpapi.List(c, "domains", out, httpapi.ListMeta{Limit: len(out)})
}

func (h admin) verifyDomain(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	v, err := h.svc.VerifyDomain(c.UserContext(), httpapi.Principal(c).UserID, org, utils.CopyString(c.Params("domain")))
	if err != nil {
		return err
	}
	return httpapi.OK(c, "domain verified", toDomain(v))
}

func (h admin) removeDomain(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	if err := h.svc.RemoveDomain(c.UserContext(), httpapi.Principal(c).UserID, org, utils.CopyString(c.Params("domain"))); err != nil {
		return err
	}
	return httpapi.OK(c, "domain removed", nil)
}

type connectionRequest struct {
	Type           string    `json:"type"`
	Name           *string   `json:"name"`
	Domains        *[]string `json:"domains"`
	DefaultRole    *string   `json:"default_role"`
	Enforce        *bool     `json:"enforce"`
	Enabled        *bool     `json:"enabled"`
	IdPEnforcesMFA *bool     `json:"idp_enforces_mfa"`
	Issuer         *string   `json:"issuer"`
	ClientID       *string   `json:"client_id"`
	ClientSecret   *string   `json:"client_secret"`
	// SAML
	IdPMetadataURL    *string `json:"idp_metadata_url"`
	IdPMetadataXML    *string `json:"idp_metadata_xml"`
	AllowIdPInitiated *bool   `json:"allow_idp_initiated"`
}

// samlResponse is what an identity provider's administrator registers.
type samlResponse struct {
	SPEntityID           string    `json:"sp_entity_id"`
	ACSURL               string    `json:"acs_url"`
	SPMetadataURL        string    `json:"sp_metadata_url"`
	SPCertificate        string    `json:"sp_certificate"`
	CertificateRotatedAt time.Time `json:"certificate_rotated_at"`
	IdPEntityID          string    `json:"idp_entity_id"`
	IdPMetadataURL       *string   `json:"idp_metadata_url"`
	AllowIdPInitiated    bool      `json:"allow_idp_initiated"`
}

type connectionResponse struct {
	ID             string        `json:"id"`
	OrganizationID string        `json:"organization_id"`
	Type           string        `json:"type"`
	Name           string        `json:"name"`
	Domains        []string      `json:"domains"`
	DefaultRole    string        `json:"default_role"`
	Enforce        bool          `json:"enforce"`
	Enabled        bool          `json:"enabled"`
	IdPEnforcesMFA bool          `json:"idp_enforces_mfa"`
	Issuer         string        `json:"issuer"`
	ClientID       string        `json:"client_id"`
	RedirectURI    *string       `json:"redirect_uri"`
	SAML           *samlResponse `json:"saml"`
	CreatedAt      time.Time     `json:"created_at"`
	UpdatedAt      time.Time     `json:"updated_at"`
}

func toConnection(v ssoport.ConnectionView) connectionResponse {
	domains := v.Domains
	if domains == nil {
		domains = []string{}
	}
	out := connectionResponse{
		ID: v.ID.String(), OrganizationID: v.Organization.String(), Type: v.Type, Name: v.Name, Domains: domains,
		DefaultRole: v.DefaultRole, Enforce: v.Enforce, Enabled: v.Enabled, IdPEnforcesMFA: v.IdPEnforcesMFA, Issuer: v.Issuer, ClientID: v.ClientID,
		CreatedAt: v.CreatedAt.UTC(), UpdatedAt: v.UpdatedAt.UTC(),
	}
	if v.RedirectURI != "" {
		out.RedirectURI = &v.RedirectURI
	}
	if s := v.SAML; s != nil {
		out.SAML = &samlResponse{
			SPEntityID: s.SPEntityID, ACSURL: s.ACSURL, SPMetadataURL: s.SPMetadataURL, SPCertificate: s.SPCertificate,
			CertificateRotatedAt: s.CertificateRotatedAt.UTC(), IdPEntityID: s.IdPEntityID, AllowIdPInitiated: s.AllowIdPInitiated,
		}
		if s.IdPMetadataURL != "" {
			out.SAML.IdPMetadataURL = &s.IdPMetadataURL
		}
	}
	return out
}

func (r connectionRequest) command(c *fiber.Ctx, org shared.OrganizationID) ssoport.ConnectionCommand {
	return ssoport.ConnectionCommand{
		Actor: httpapi.Principal(c).UserID, Organization: org, Type: r.Type, Name: r.Name, Domains: r.Domains,
		DefaultRole: r.DefaultRole, Enforce: r.Enforce, Enabled: r.Enabled, Issuer: r.Issuer, ClientID: r.ClientID, ClientSecret: r.ClientSecret,
		IdPMetadataURL: r.IdPMetadataURL, IdPMetadataXML: r.IdPMetadataXML, AllowIdPInitiated: r.AllowIdPInitiated,
		IdPEnforcesMFA: r.IdPEnforcesMFA,
	}
}

func (h admin) createConnection(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	var req connectionRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	v, err := h.svc.CreateConnection(c.UserContext(), req.command(c, org))
	if err != nil {
		return err
	}
	return httpapi.Created(c, "SSO connection created", toConnection(v))
}

func (h admin) listConnections(c *fiber.Ctx) error {
	org, err := orgID(c)
	if err != nil {
		return err
	}
	list, err := h.svc.ListConnections(c.UserContext(), httpapi.Principal(c).UserID, org)
	if err != nil {
		return err
	}
	out := make([]connectionResponse, len(list))
	for i, v := range list {
		out[i] = toConnection(v)
	}
	return httpapi.List(c, "SSO connections", out, httpapi.ListMeta{Limit: len(out)})
}

func (h admin) getConnection(c *fiber.Ctx) error {
	org, id, err := orgConnection(c)
	if err != nil {
		return err
	}
	v, err := h.svc.GetConnection(c.UserContext(), httpapi.Principal(c).UserID, org, id)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "SSO connection", toConnection(v))
}

func (h admin) updateConnection(c *fiber.Ctx) error {
	org, id, err := orgConnection(c)
	if err != nil {
		return err
	}
	var req connectionRequest
	if err := httpapi.Decode(c, &req); err != nil {
		return err
	}
	cmd := req.command(c, org)
	cmd.Connection = id
	v, err := h.svc.UpdateConnection(c.UserContext(), cmd)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "SSO connection updated", toConnection(v))
}

func (h admin) deleteConnection(c *fiber.Ctx) error {
	org, id, err := orgConnection(c)
	if err != nil {
		return err
	}
	if err := h.svc.DeleteConnection(c.UserContext(), httpapi.Principal(c).UserID, org, id); err != nil {
		return err
	}
	return httpapi.OK(c, "SSO connection deleted", nil)
}

type testResponse struct {
	OK      bool   `json:"ok"`
	Problem string `json:"problem"`
}

func (h admin) testConnection(c *fiber.Ctx) error {
	org, id, err := orgConnection(c)
	if err != nil {
		return err
	}
	v, err := h.svc.TestConnection(c.UserContext(), httpapi.Principal(c).UserID, org, id)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "SSO connection checked", testResponse{OK: v.OK, Problem: v.Problem})
}

func (h admin) rotateCertificate(c *fiber.Ctx) error {
	org, id, err := orgConnection(c)
	if err != nil {
		return err
	}
	v, err := h.svc.RotateCertificate(c.UserContext(), httpapi.Principal(c).UserID, org, id)
	if err != nil {
		return err
	}
	return httpapi.OK(c, "service-provider certificate rotated; the metadata now carries the new certificate", toConnection(v))
}

// RegisterSAML mounts the SAML service providers' public routes on r (the
// /api/v1 group): the metadata document of each SAML connection.
func RegisterSAML(r fiber.Router, svc ssoport.Admin) {
	r.Get("/sso/saml/:connectionId/metadata", func(c *fiber.Ctx) error {
		id, err := connectionID(c)
		if err != nil {
			return err
		}
		doc, err := svc.SPMetadata(c.UserContext(), id)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/samlmetadata+xml")
		c.Set(fiber.HeaderCacheControl, "public, max-age=300")
		return c.Send(doc)
	})
}
