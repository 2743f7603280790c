package provisioninghttp

import (
	"encoding/json"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

// maxOperations bounds the operations of one PATCH request.
const maxOperations = 100

type patchOp struct {
	op    string // add, replace or remove
	path  string // lower case, without the User schema's URN; "" for none
	value json.RawMessage
}

func invalidPath(path string) error {
	return shared.Invalid(provisioning.CodeInvalidPath, "the path "+path+" names no attribute of the User schema", nil)
}

// decodePatch reads a PatchOp request (RFC 7644 §3.5.2). Operation names
// are case-insensitive ("Replace" from Entra ID).
func decodePatch(c *fiber.Ctx) ([]patchOp, error) {
	raw, err := decodeBody(c)
	if err != nil {
		return nil, err
	}
	m, err := lowerKeys(raw)
	if err != nil {
		return nil, err
	}
	if err := checkSchemas(m["schemas"], schemaPatchOp); err != nil {
		return nil, err
	}
	for k := range m {
		if k != "schemas" && k != "operations" {
			return nil, invalidSyntax("a PatchOp has only schemas and Operations, not " + k)
		}
	}
	var list []map[string]json.RawMessage
	if err := json.Unmarshal(m["operations"], &list); err != nil || len(list) == 0 {
		return nil, invalidSyntax("Operations must be a non-empty array of operations")
	}
	if len(list) > maxOperations {
		return nil, shared.Invalid(provisioning.CodeTooMany, "a PATCH request has at most 100 operations", nil)
	}
	ops := make([]patchOp, 0, len(list))
	for _, item := range list {
		o, err := lowerKeys(item)
		if err != nil {
			return nil, err
		}
		var p patchOp
		for k, v := range o {
			switch k {
			case "op":
				if json.Unmarshal(v, &p.op) != nil {
					return nil, invalidSyntax("op must be add, replace or remove")
				}
				p.op = strings.ToLower(p.op)
			case "path":
				if json.Unmarshal(v, &p.path) != nil {
					return nil, invalidSyntax("path must be a string")
				}
				p.path = normalizePath(p.path)
			case "value":
				p.value = v
			default:
				return nil, invalidSyntax("an operation has only op, path and value, not " + k)
			}
		}
		switch {
		case p.op != "add" && p.op != "replace" && p.op != "remove":
			return nil, invalidSyntax("op must be add, replace or remove")
		case p.op == "remove" && p.path == "":
			return nil, shared.Invalid(codeNoTarget, "a remove operation needs a path", nil)
		case p.op != "remove" && p.value == nil:
			return nil, invalidSyntax("an " + p.op + " operation needs a value")
		}
		ops = append(ops, p)
	}
	return ops, nil
}

func normalizePath(p string) string {
	p = strings.ToLower(strings.TrimSpace(p))
	return strings.TrimPrefix(p, strings.ToLower(SchemaUser)+":")
}

// applyPatch applies ops in order to a copy of a.
func applyPatch(a provisioningport.UserAttributes, ops []patchOp) (provisioningport.UserAttributes, error) {
	a.Emails = append([]provisioningport.UserEmail(nil), a.Emails...)
	for _, o := range ops {
		if o.path != "" {
			if err := applyPath(&a, o.op, o.path, o.value); err != nil {
				return provisioningport.UserAttributes{}, err
			}
			continue
		}
		// No path: the value is an object of attributes (Okta sends
		// {"op": "replace", "value": {"active": false}}), whose keys may
		// themselves be paths ("name.givenName").
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(o.value, &obj); err != nil {
			return provisioningport.UserAttributes{}, invalidSyntax("an operation without a path needs an object value")
		}
		m, err := lowerKeys(obj)
		if err != nil {
			return provisioningport.UserAttributes{}, err
		}
		for k, v := range m {
			if k == "schemas" || k == "id" || k == "meta" {
				continue
			}
			if err := applyPath(&a, o.op, normalizePath(k), v); err != nil {
				return provisioningport.UserAttributes{}, err
			}
		}
	}
	return a, nil
}

// known reports whether path names an attribute of the User schema.
func known(path string) bool {
	switch path {
	case "username", "externalid", "displayname", "name", "name.givenname", "name.familyname", "name.formatted", "active", "emails", "password":
		return true
	}
	if sub, ok := strings.CutPrefix(path, "name."); ok && ignoredName[sub] {
		return true
	}
	return ignored[path] || strings.HasPrefix(path, strings.ToLower(SchemaEnterpriseUser)+":")
}

func applyPath(a *provisioningport.UserAttributes, op, path string, v json.RawMessage) error {
	if strings.HasPrefix(path, "emails[") {
		return applyEmailFilter(a, op, path, v)
	}
	if !known(path) {
		return invalidPath(path)
	}
	if op != "remove" {
		return setAttribute(a, path, v, op == "add")
	}
	switch path {
	case "username":
		return shared.Invalid(provisioning.CodeMutability, "userName cannot be removed", nil)
	case "active":
		return shared.Invalid(provisioning.CodeMutability, "active cannot be removed; replace it with false", nil)
	case "emails":
		a.Emails = nil
		return nil
	}
	return setAttribute(a, path, json.RawMessage("null"), false)
}

// applyEmailFilter applies an operation on `emails[attr eq value]` or
// `emails[attr eq value].sub` (Entra ID: `emails[type eq "work"].value`).
// A replace or add that matches no entry adds one with the filter's
// attribute, as Entra ID expects; a remove removes the matching entries.
func applyEmailFilter(a *provisioningport.UserAttributes, op, path string, v json.RawMessage) error {
	inner, sub, ok := strings.Cut(strings.TrimPrefix(path, "emails["), "]")
	if !ok {
		return invalidPath(path)
	}
	sub = strings.TrimPrefix(sub, ".")
	attr, rest, _ := strings.Cut(strings.TrimSpace(inner), " ")
	opName, want, _ := strings.Cut(strings.TrimSpace(rest), " ")
	if opName != "eq" || (attr != "type" && attr != "value" && attr != "primary") {
		return shared.Invalid(provisioning.CodeInvalidFilter, "only emails[type eq \"…\"], emails[value eq \"…\"] and emails[primary eq true] are supported", nil)
	}
	if sub != "" && sub != "value" && sub != "type" && sub != "primary" {
		return invalidPath(path)
	}
	want = strings.TrimSpace(want)
	matches := func(e provisioningport.UserEmail) bool {
		switch attr {
		case "type":
			var s string
			return json.Unmarshal([]byte(want), &s) == nil && strings.EqualFold(e.Type, s)
		case "value":
			var s string
			return json.Unmarshal([]byte(want), &s) == nil && strings.EqualFold(e.Value, s)
		}
		return (want == "true") == e.Primary
	}
	if op == "remove" {
		kept := a.Emails[:0]
		for _, e := range a.Emails {
			if !matches(e) {
				kept = append(kept, e)
			}
		}
		a.Emails = kept
		return nil
	}
	set := func(e *provisioningport.UserEmail) error {
		switch sub {
		case "value":
			return str(v, "emails.value", &e.Value)
		case "type":
			return str(v, "emails.type", &e.Type)
		case "primary":
			return boolean(v, &e.Primary)
		}
		n, err := decodeEmail(v)
		if err != nil {
			return err
		}
		*e = n
		return nil
	}
	hit := false
	for i := range a.Emails {
		if matches(a.Emails[i]) {
			hit = true
			if err := set(&a.Emails[i]); err != nil {
				return err
			}
		}
	}
	if hit {
		return nil
	}
	var e provisioningport.UserEmail
	switch attr {
	case "type":
		_ = json.Unmarshal([]byte(want), &e.Type)
	case "value":
		_ = json.Unmarshal([]byte(want), &e.Value)
	case "primary":
		e.Primary = want == "true"
	}
	if err := set(&e); err != nil {
		return err
	}
	a.Emails = append(a.Emails, e)
	return nil
}
