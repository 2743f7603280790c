package provisioninghttp

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

// The SCIM URNs this server speaks (RFC 7643 §8.7, RFC 7644 §3).
const (
	SchemaUser           = "urn:ietf:params:scim:schemas:core:2.0:User"
	SchemaEnterpriseUser = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
	schemaListResponse   = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
	schemaPatchOp        = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
	schemaError          = "urn:ietf:params:scim:api:messages:2.0:Error"
	schemaSPConfig       = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
	schemaResourceType   = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
	schemaSchema         = "urn:ietf:params:scim:schemas:core:2.0:Schema"
)

// MediaType is SCIM's content type (RFC 7644 §3.1).
const MediaType = "application/scim+json"

// Paths are the prefixes of the SCIM route group.
var Paths = []string{"/scim/v2/"}

// Group is the SCIM route group: its errors are RFC 7644 §3.12 JSON.
func Group() httpapi.RouteGroup {
	return httpapi.RouteGroup{Name: "scim", Paths: Paths, Renderer: Renderer}
}

// Limits of a list page (RFC 7644 §3.4.2.4): count defaults to
// defaultCount and is clamped to provisioningport.MaxListCount.
const defaultCount = 100

type errorBody struct {
	Schemas  []string `json:"schemas"`
	Status   string   `json:"status"`
	ScimType string   `json:"scimType,omitempty"`
	Detail   string   `json:"detail,omitempty"`
}

// scimTypes maps the codes of refusals to RFC 7644 §3.12 scimType values.
var scimTypes = map[string]string{
	provisioning.CodeInvalidFilter:  "invalidFilter",
	provisioning.CodeInvalidPath:    "invalidPath",
	provisioning.CodeInvalidSyntax:  "invalidSyntax",
	provisioning.CodeInvalidValue:   "invalidValue",
	provisioning.CodeMutability:     "mutability",
	provisioning.CodeTooMany:        "tooMany",
	codeNoTarget:                    "noTarget",
	"provisioning.uniqueness":       "uniqueness",
	"identity.email_taken":          "uniqueness",
	"identity.invalid_input":        "invalidValue",
	"request.malformed_json":        "invalidSyntax",
	"request.empty_body":            "invalidSyntax",
	"request.unknown_field":         "invalidSyntax",
	"request.invalid_field_type":    "invalidValue",
	"request.duplicate_field":       "invalidSyntax",
	"organizations.last_owner":      "mutability",
	"organizations.invalid":         "invalidValue",
	"organizations.already_invited": "uniqueness",
}

const codeNoTarget = "provisioning.no_target"

// Renderer answers errors as RFC 7644 §3.12 JSON: {"schemas": [Error URN],
// "status": "400", "scimType": …, "detail": …} in application/scim+json.
// A 401 also names the Bearer scheme.
var Renderer httpapi.Renderer = httpapi.RendererFunc(func(c *fiber.Ctx, p httpapi.Problem) error {
	body := errorBody{Schemas: []string{schemaError}, Status: strconv.Itoa(p.Status), Detail: detail(p)}
	if p.Status == fiber.StatusBadRequest || p.Status == fiber.StatusConflict {
		body.ScimType = scimTypes[p.Code]
		if body.ScimType == "" && p.Status == fiber.StatusBadRequest {
			body.ScimType = "invalidValue"
		}
	}
	if p.Status == fiber.StatusUnauthorized {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="SCIM"`)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return writeSCIM(c, p.Status, body)
})

// detail is the problem's message with the reasons of its fields, which
// SCIM's error has no other place for.
func detail(p httpapi.Problem) string {
	fields, ok := p.Details.(map[string][]string)
	if !ok || len(fields) == 0 {
		return p.Message
	}
	parts := make([]string, 0, len(fields))
	for name, reasons := range fields {
		parts = append(parts, name+" "+strings.Join(reasons, ", "))
	}
	sort.Strings(parts)
	return p.Message + ": " + strings.Join(parts, "; ")
}

func writeSCIM(c *fiber.Ctx, status int, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	c.Status(status)
	c.Set(fiber.HeaderContentType, MediaType+"; charset=utf-8")
	return c.Send(raw)
}

type scimHandlers struct {
	svc     provisioningport.SCIM
	baseURL string
}

const localCaller = "authy.scim.caller"

// RegisterSCIM mounts the SCIM endpoints at the root of app, in the SCIM
// route group, for an organization at /scim/v2/:organizationId. publicURL
// is the server's public origin, which resource locations name. Every
// endpoint, discovery included, needs the organization's SCIM token.
func RegisterSCIM(app fiber.Router, svc provisioningport.SCIM, publicURL string) {
	h := scimHandlers{svc: svc, baseURL: strings.TrimSuffix(publicURL, "/") + "/scim/v2/"}
	g := app.Group("/scim/v2", httpapi.GroupMiddleware(Group()))
	org := g.Group("/:organizationId", h.authenticate)
	org.Get("/ServiceProviderConfig", h.serviceProviderConfig)
	org.Get("/ResourceTypes", h.resourceTypes)
	org.Get("/ResourceTypes/User", h.resourceTypeUser)
	org.Get("/Schemas", h.schemas)
	org.Get("/Schemas/:id", h.schema)
	org.Get("/Users", h.listUsers)
	org.Post("/Users", h.createUser)
	org.Get("/Users/:id", h.getUser)
	org.Put("/Users/:id", h.replaceUser)
	org.Patch("/Users/:id", h.patchUser)
	org.Delete("/Users/:id", h.deleteUser)
}

func (h scimHandlers) authenticate(c *fiber.Ctx) error {
	token, _ := httpapi.BearerToken(c)
	caller, err := h.svc.Authenticate(c.UserContext(), c.Params("organizationId"), token)
	if err != nil {
		return err
	}
	c.Locals(localCaller, caller)
	return c.Next()
}

func callerOf(c *fiber.Ctx) provisioningport.Caller {
	return c.Locals(localCaller).(provisioningport.Caller)
}

type nameJSON struct {
	Formatted  string `json:"formatted,omitempty"`
	FamilyName string `json:"familyName,omitempty"`
	GivenName  string `json:"givenName,omitempty"`
}

type emailJSON struct {
	Value   string `json:"value"`
	Type    string `json:"type,omitempty"`
	Primary bool   `json:"primary,omitempty"`
}

type metaJSON struct {
	ResourceType string    `json:"resourceType"`
	Created      time.Time `json:"created"`
	LastModified time.Time `json:"lastModified"`
	Location     string    `json:"location"`
	Version      string    `json:"version"`
}

type userJSON struct {
	Schemas     []string    `json:"schemas"`
	ID          string      `json:"id"`
	ExternalID  string      `json:"externalId,omitempty"`
	UserName    string      `json:"userName"`
	Name        *nameJSON   `json:"name,omitempty"`
	DisplayName string      `json:"displayName,omitempty"`
	Emails      []emailJSON `json:"emails,omitempty"`
	Active      bool        `json:"active"`
	Meta        metaJSON    `json:"meta"`
}

func (h scimHandlers) location(c provisioningport.Caller, id string) string {
	return h.baseURL + c.Organization.String() + "/Users/" + id
}

func (h scimHandlers) toUser(c provisioningport.Caller, v provisioningport.UserView) userJSON {
	a := v.Attributes
	out := userJSON{
		Schemas: []string{SchemaUser}, ID: v.ID.String(), ExternalID: a.ExternalID, UserName: a.UserName,
		DisplayName: a.DisplayName, Active: a.Active,
		Meta: metaJSON{
			ResourceType: "User", Created: v.CreatedAt.UTC(), LastModified: v.UpdatedAt.UTC(),
			Location: h.location(c, v.ID.String()), Version: etag(v.Version),
		},
	}
	if a.GivenName != "" || a.FamilyName != "" || a.Formatted != "" {
		out.Name = &nameJSON{Formatted: a.Formatted, FamilyName: a.FamilyName, GivenName: a.GivenName}
	}
	for _, e := range a.Emails {
		out.Emails = append(out.Emails, emailJSON(e))
	}
	return out
}

func etag(version int) string { return `W/"` + strconv.Itoa(version) + `"` }

func (h scimHandlers) respondUser(c *fiber.Ctx, status int, v provisioningport.UserView) error {
	u := h.toUser(callerOf(c), v)
	c.Set(fiber.HeaderETag, u.Meta.Version)
	if status == fiber.StatusCreated {
		c.Set(fiber.HeaderLocation, u.Meta.Location)
	}
	return writeSCIM(c, status, u)
}

func (h scimHandlers) createUser(c *fiber.Ctx) error {
	attrs, err := decodeUser(c)
	if err != nil {
		return err
	}
	v, err := h.svc.CreateUser(c.UserContext(), callerOf(c), attrs)
	if err != nil {
		return err
	}
	return h.respondUser(c, fiber.StatusCreated, v)
}

func (h scimHandlers) getUser(c *fiber.Ctx) error {
	v, err := h.svc.GetUser(c.UserContext(), callerOf(c), c.Params("id"))
	if err != nil {
		return err
	}
	return h.respondUser(c, fiber.StatusOK, v)
}

func (h scimHandlers) replaceUser(c *fiber.Ctx) error {
	attrs, err := decodeUser(c)
	if err != nil {
		return err
	}
	v, err := h.svc.ModifyUser(c.UserContext(), callerOf(c), c.Params("id"), func(provisioningport.UserAttributes) (provisioningport.UserAttributes, error) {
		return attrs, nil
	})
	if err != nil {
		return err
	}
	return h.respondUser(c, fiber.StatusOK, v)
}

func (h scimHandlers) patchUser(c *fiber.Ctx) error {
	ops, err := decodePatch(c)
	if err != nil {
		return err
	}
	v, err := h.svc.ModifyUser(c.UserContext(), callerOf(c), c.Params("id"), func(a provisioningport.UserAttributes) (provisioningport.UserAttributes, error) {
		return applyPatch(a, ops)
	})
	if err != nil {
		return err
	}
	return h.respondUser(c, fiber.StatusOK, v)
}

func (h scimHandlers) deleteUser(c *fiber.Ctx) error {
	if err := h.svc.DeleteUser(c.UserContext(), callerOf(c), c.Params("id")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

type listJSON struct {
	Schemas      []string `json:"schemas"`
	TotalResults int      `json:"totalResults"`
	StartIndex   int      `json:"startIndex"`
	ItemsPerPage int      `json:"itemsPerPage"`
	Resources    []any    `json:"Resources"`
}

func (h scimHandlers) listUsers(c *fiber.Ctx) error {
	q, start, err := listQuery(c)
	if err != nil {
		return err
	}
	caller := callerOf(c)
	list, err := h.svc.ListUsers(c.UserContext(), caller, q)
	if err != nil {
		return err
	}
	out := listJSON{Schemas: []string{schemaListResponse}, TotalResults: list.Total, StartIndex: start, ItemsPerPage: len(list.Items), Resources: []any{}}
	for _, v := range list.Items {
		out.Resources = append(out.Resources, h.toUser(caller, v))
	}
	return writeSCIM(c, fiber.StatusOK, out)
}

// listQuery reads filter, startIndex and count (RFC 7644 §3.4.2): a
// startIndex below 1 is 1, a negative count is 0.
func listQuery(c *fiber.Ctx) (provisioningport.UserQuery, int, error) {
	var q provisioningport.UserQuery
	start, err := intParam(c, "startIndex", 1)
	if err != nil {
		return q, 0, err
	}
	count, err := intParam(c, "count", defaultCount)
	if err != nil {
		return q, 0, err
	}
	start = max(start, 1)
	q.Offset, q.Limit = start-1, min(max(count, 0), provisioningport.MaxListCount)
	if raw := c.Query("filter"); raw != "" {
		f, err := parseFilter(raw)
		if err != nil {
			return q, 0, err
		}
		switch f.attr {
		case "username":
			q.UserName = &f.value
		case "externalid":
			q.ExternalID = &f.value
		}
	}
	return q, start, nil
}

func intParam(c *fiber.Ctx, name string, def int) (int, error) {
	raw := c.Query(name)
	if raw == "" {
		return def, nil
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n > 1<<30 || n < -(1<<30) {
		return 0, shared.Invalid(provisioning.CodeInvalidValue, name+" must be an integer", nil)
	}
	return n, nil
}
