package provisioninghttp

import (
	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/shared"
)

// The discovery documents (RFC 7644 §4, RFC 7643 §5-7) describe what this
// server does: Users only, PATCH, filtering on userName and externalId, no
// bulk, sort, change password or ETag preconditions, bearer tokens.

type supported struct {
	Supported bool `json:"supported"`
}

type filterSupport struct {
	Supported  bool `json:"supported"`
	MaxResults int  `json:"maxResults"`
}

type bulkSupport struct {
	Supported      bool `json:"supported"`
	MaxOperations  int  `json:"maxOperations"`
	MaxPayloadSize int  `json:"maxPayloadSize"`
}

type authScheme struct {
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Primary     bool   `json:"primary"`
}

type docMeta struct {
	ResourceType string `json:"resourceType"`
	Location     string `json:"location"`
}

func (h scimHandlers) orgBase(c *fiber.Ctx) string {
	return h.baseURL + callerOf(c).Organization.String()
}

func (h scimHandlers) serviceProviderConfig(c *fiber.Ctx) error {
	return writeSCIM(c, fiber.StatusOK, map[string]any{
		"schemas":          []string{schemaSPConfig},
		"documentationUri": h.baseURL,
		"patch":            supported{true},
		"bulk":             bulkSupport{},
		"filter":           filterSupport{Supported: true, MaxResults: 200},
		"changePassword":   supported{false},
		"sort":             supported{false},
		"etag":             supported{false},
		"authenticationSchemes": []authScheme{{
			Type: "oauthbearertoken", Name: "Bearer token",
			Description: "A SCIM token of the organization, created by an owner at POST /api/v1/organizations/{id}/scim-tokens", Primary: true,
		}},
		"meta": docMeta{ResourceType: "ServiceProviderConfig", Location: h.orgBase(c) + "/ServiceProviderConfig"},
	})
}

func (h scimHandlers) userResourceType(c *fiber.Ctx) map[string]any {
	return map[string]any{
		"schemas":     []string{schemaResourceType},
		"id":          "User",
		"name":        "User",
		"endpoint":    "/Users",
		"description": "A person of the organization",
		"schema":      SchemaUser,
		"meta":        docMeta{ResourceType: "ResourceType", Location: h.orgBase(c) + "/ResourceTypes/User"},
	}
}

func (h scimHandlers) resourceTypes(c *fiber.Ctx) error {
	return writeSCIM(c, fiber.StatusOK, listJSON{
		Schemas: []string{schemaListResponse}, TotalResults: 1, StartIndex: 1, ItemsPerPage: 1,
		Resources: []any{h.userResourceType(c)},
	})
}

func (h scimHandlers) resourceTypeUser(c *fiber.Ctx) error {
	return writeSCIM(c, fiber.StatusOK, h.userResourceType(c))
}

func attribute(name, typ string, required bool, mutability, uniqueness string, sub []map[string]any) map[string]any {
	a := map[string]any{
		"name": name, "type": typ, "multiValued": false, "required": required, "caseExact": false,
		"mutability": mutability, "returned": "default", "uniqueness": uniqueness,
	}
	if sub != nil {
		a["subAttributes"] = sub
	}
	return a
}

func (h scimHandlers) userSchema(c *fiber.Ctx) map[string]any {
	emails := attribute("emails", "complex", false, "readWrite", "none", []map[string]any{
		attribute("value", "string", true, "readWrite", "none", nil),
		attribute("type", "string", false, "readWrite", "none", nil),
		attribute("primary", "boolean", false, "readWrite", "none", nil),
	})
	emails["multiValued"] = true
	return map[string]any{
		"schemas":     []string{schemaSchema},
		"id":          SchemaUser,
		"name":        "User",
		"description": "The User attributes Authy keeps; the other RFC 7643 attributes are accepted and not kept",
		"attributes": []map[string]any{
			// userName is the person's email address and names their
			// account, so it cannot change.
			attribute("userName", "string", true, "immutable", "server", nil),
			attribute("externalId", "string", false, "readWrite", "server", nil),
			attribute("name", "complex", false, "readWrite", "none", []map[string]any{
				attribute("formatted", "string", false, "readWrite", "none", nil),
				attribute("familyName", "string", false, "readWrite", "none", nil),
				attribute("givenName", "string", false, "readWrite", "none", nil),
			}),
			attribute("displayName", "string", false, "readWrite", "none", nil),
			emails,
			attribute("active", "boolean", false, "readWrite", "none", nil),
		},
		"meta": docMeta{ResourceType: "Schema", Location: h.orgBase(c) + "/Schemas/" + SchemaUser},
	}
}

func (h scimHandlers) schemas(c *fiber.Ctx) error {
	return writeSCIM(c, fiber.StatusOK, listJSON{
		Schemas: []string{schemaListResponse}, TotalResults: 1, StartIndex: 1, ItemsPerPage: 1,
		Resources: []any{h.userSchema(c)},
	})
}

var errSchemaNotFound = shared.NotFound("provisioning.schema_not_found", "no such schema")

func (h scimHandlers) schema(c *fiber.Ctx) error {
	if c.Params("id") != SchemaUser {
		return errSchemaNotFound
	}
	return writeSCIM(c, fiber.StatusOK, h.userSchema(c))
}
