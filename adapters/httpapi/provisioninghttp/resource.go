package provisioninghttp

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

// ignored are the RFC 7643 §4.1 User attributes (and the enterprise
// extension) identity providers send that Authy does not keep: accepted
// and dropped, so a standard push succeeds, and never returned. Anything
// else that is not an attribute of the User schema is refused.
var ignored = map[string]bool{
	"nickname": true, "profileurl": true, "title": true, "usertype": true, "preferredlanguage": true,
	"locale": true, "timezone": true, "phonenumbers": true, "ims": true, "photos": true, "addresses": true,
	"groups": true, "entitlements": true, "roles": true, "x509certificates": true,
	strings.ToLower(SchemaEnterpriseUser): true,
}

// ignoredName are the sub-attributes of name Authy does not keep.
var ignoredName = map[string]bool{"middlename": true, "honorificprefix": true, "honorificsuffix": true}

func invalidSyntax(msg string) error { return shared.Invalid(provisioning.CodeInvalidSyntax, msg, nil) }

func invalidValue(attr, reason string) error {
	return shared.Invalid(provisioning.CodeInvalidValue, "the User has invalid attributes", map[string][]string{attr: {reason}})
}

// decodeBody reads a JSON object (application/scim+json or
// application/json) strictly: well-formed UTF-8, no key twice.
func decodeBody(c *fiber.Ctx) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := httpapi.Decode(c, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, invalidSyntax("the request body must be a JSON object")
	}
	return m, nil
}

// lowerKeys folds an object's keys (SCIM attribute names are
// case-insensitive, RFC 7643 §2.1); two keys that fold alike are refused.
func lowerKeys(m map[string]json.RawMessage) (map[string]json.RawMessage, error) {
	out := make(map[string]json.RawMessage, len(m))
	for k, v := range m {
		lk := strings.ToLower(k)
		if _, dup := out[lk]; dup {
			return nil, invalidSyntax("the attribute " + k + " appears twice")
		}
		out[lk] = v
	}
	return out, nil
}

// decodeUser reads a User resource (POST, PUT): the whole resource, so an
// attribute left out takes its empty value and active defaults to true.
func decodeUser(c *fiber.Ctx) (provisioningport.UserAttributes, error) {
	raw, err := decodeBody(c)
	if err != nil {
		return provisioningport.UserAttributes{}, err
	}
	m, err := lowerKeys(raw)
	if err != nil {
		return provisioningport.UserAttributes{}, err
	}
	if err := checkSchemas(m["schemas"], SchemaUser); err != nil {
		return provisioningport.UserAttributes{}, err
	}
	a := provisioningport.UserAttributes{Active: true}
	for k, v := range m {
		switch k {
		case "schemas", "id", "meta":
			// schemas checked; id and meta are the server's (readOnly).
		default:
			if err := setAttribute(&a, k, v, false); err != nil {
				return provisioningport.UserAttributes{}, err
			}
		}
	}
	if a.UserName == "" {
		return provisioningport.UserAttributes{}, invalidValue("userName", "is required")
	}
	return a, nil
}

// checkSchemas requires the schemas attribute to name want, and only
// schemas this server knows.
func checkSchemas(raw json.RawMessage, want string) error {
	var list []string
	if raw == nil || json.Unmarshal(raw, &list) != nil {
		return invalidSyntax("schemas must be an array naming " + want)
	}
	found := false
	for _, s := range list {
		switch {
		case strings.EqualFold(s, want):
			found = true
		case want == SchemaUser && strings.EqualFold(s, SchemaEnterpriseUser):
		default:
			return invalidSyntax("the schema " + s + " is not supported")
		}
	}
	if !found {
		return invalidSyntax("schemas must name " + want)
	}
	return nil
}

// setAttribute sets the attribute named k (lower case; "name.givenname"
// for a sub-attribute) from raw. add appends to emails rather than
// replacing them.
func setAttribute(a *provisioningport.UserAttributes, k string, raw json.RawMessage, add bool) error {
	switch k {
	case "username":
		return str(raw, "userName", &a.UserName)
	case "externalid":
		return str(raw, "externalId", &a.ExternalID)
	case "displayname":
		return str(raw, "displayName", &a.DisplayName)
	case "name.givenname":
		return str(raw, "name.givenName", &a.GivenName)
	case "name.familyname":
		return str(raw, "name.familyName", &a.FamilyName)
	case "name.formatted":
		return str(raw, "name.formatted", &a.Formatted)
	case "name":
		return setName(a, raw)
	case "active":
		return boolean(raw, &a.Active)
	case "emails":
		emails, err := decodeEmails(raw)
		if err != nil {
			return err
		}
		if add {
			a.Emails = append(a.Emails, emails...)
		} else {
			a.Emails = emails
		}
		return nil
	case "password":
		return invalidValue("password", "is not accepted: people set their password through the reset link, or sign in through single sign-on")
	}
	if ignored[k] || strings.HasPrefix(k, strings.ToLower(SchemaEnterpriseUser)+":") {
		return nil
	}
	if sub, ok := strings.CutPrefix(k, "name."); ok && ignoredName[sub] {
		return nil
	}
	return shared.Invalid(provisioning.CodeInvalidSyntax, "the User has unknown attributes", map[string][]string{k: {"is not an attribute of the User schema"}})
}

func setName(a *provisioningport.UserAttributes, raw json.RawMessage) error {
	if string(raw) == "null" {
		a.GivenName, a.FamilyName, a.Formatted = "", "", ""
		return nil
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return invalidValue("name", "must be an object")
	}
	m, err := lowerKeys(obj)
	if err != nil {
		return err
	}
	for k, v := range m {
		if err := setAttribute(a, "name."+k, v, false); err != nil {
			return err
		}
	}
	return nil
}

func str(raw json.RawMessage, attr string, dst *string) error {
	if string(raw) == "null" {
		*dst = ""
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalidValue(attr, "must be a string")
	}
	return nil
}

// boolean reads a boolean, or the strings "true" and "false" in any case,
// which Entra ID sends in its PATCH requests ("False").
func boolean(raw json.RawMessage, dst *bool) error {
	if err := json.Unmarshal(raw, dst); err == nil {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		switch strings.ToLower(s) {
		case "true":
			*dst = true
			return nil
		case "false":
			*dst = false
			return nil
		}
	}
	return invalidValue("active", "must be a boolean")
}

func decodeEmails(raw json.RawMessage) ([]provisioningport.UserEmail, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var list []json.RawMessage
	if err := json.Unmarshal(raw, &list); err != nil {
		// A single email object, as some PATCH requests send.
		list = []json.RawMessage{raw}
	}
	out := make([]provisioningport.UserEmail, 0, len(list))
	for _, item := range list {
		e, err := decodeEmail(item)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func decodeEmail(raw json.RawMessage) (provisioningport.UserEmail, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return provisioningport.UserEmail{}, invalidValue("emails", "must be objects with a value")
	}
	m, err := lowerKeys(obj)
	if err != nil {
		return provisioningport.UserEmail{}, err
	}
	var e provisioningport.UserEmail
	for k, v := range m {
		switch k {
		case "value":
			err = str(v, "emails.value", &e.Value)
		case "type":
			err = str(v, "emails.type", &e.Type)
		case "primary":
			err = boolean(v, &e.Primary)
			if err != nil {
				err = invalidValue("emails.primary", "must be a boolean")
			}
		case "display", "$ref":
		default:
			err = shared.Invalid(provisioning.CodeInvalidSyntax, "the User has unknown attributes", map[string][]string{"emails." + k: {"is not an attribute of the User schema"}})
		}
		if err != nil {
			return provisioningport.UserEmail{}, err
		}
	}
	return e, nil
}
