// Package apidocs builds the OpenAPI 3.1 document from the base document and
// each context's fragment, and serves it with an interactive page whose
// assets are embedded in the binary (Swagger UI from swaggo/files), so the
// page works without internet access.
//
// It is part of the inbound HTTP adapter: it imports Fiber and kin-openapi,
// never application/ or another adapter family.
package apidocs

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

//go:embed base.yaml
var baseYAML []byte

// Document is the merged, validated OpenAPI document.
type Document struct {
	JSON []byte
	Spec *openapi3.T
}

// Build merges the fragments into the base document (see Merge) and loads
// and validates the result. A path or schema defined twice is an error, and
// so is a document that does not validate.
func Build(fragments ...[]byte) (*Document, error) {
	raw, err := Merge(fragments...)
	if err != nil {
		return nil, err
	}
	return Load(raw)
}

// Load parses and validates a merged document (Merge's output).
func Load(raw []byte) (*Document, error) {
	loader := openapi3.NewLoader()
	spec, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("load merged document: %w", err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		return nil, fmt.Errorf("merged document is invalid: %w", err)
	}
	return &Document{JSON: raw, Spec: spec}, nil
}

// Merge merges the fragments' paths, tags and component schemas into the
// base document and returns it as JSON, the bytes GET /api/openapi.json
// serves. Every operation also gets the responses any route can give (500;
// 413/415 when it takes a body; 429 when it reads a bearer token) unless it
// declares them. A path or schema defined twice is an error. Merge does not
// validate the result (Build does): validating costs more than the rest of
// a server's start, so a server serves Merge's output and the tests check
// that the same bytes validate.
func Merge(fragments ...[]byte) ([]byte, error) {
	base, err := toMap(baseYAML)
	if err != nil {
		return nil, fmt.Errorf("base document: %w", err)
	}
	paths := child(base, "paths")
	schemas := child(child(base, "components"), "schemas")
	for i, f := range fragments {
		frag, err := toMap(f)
		if err != nil {
			return nil, fmt.Errorf("fragment %d: %w", i, err)
		}
		title := fmt.Sprint(child(frag, "info")["title"])
		for p, item := range child(frag, "paths") {
			if _, dup := paths[p]; dup {
				return nil, fmt.Errorf("fragment %q: path %s is already documented", title, p)
			}
			paths[p] = item
		}
		for name, s := range child(child(frag, "components"), "schemas") {
			if _, dup := schemas[name]; dup {
				return nil, fmt.Errorf("fragment %q: schema %s is already defined", title, name)
			}
			schemas[name] = s
		}
		if tags, ok := frag["tags"].([]any); ok {
			base["tags"] = append(base["tags"].([]any), tags...)
		}
	}
	addCommonResponses(paths)
	return json.Marshal(base)
}

func addCommonResponses(paths map[string]any) {
	for _, item := range paths {
		ops, ok := item.(map[string]any)
		if !ok {
			continue
		}
		for method, op := range ops {
			o, ok := op.(map[string]any)
			if !ok || !isMethod(method) {
				continue
			}
			responses := child(o, "responses")
			setDefault(responses, "500", "InternalError")
			if _, authed := o["security"]; authed {
				// A client presenting too many unknown tokens gets 429
				// on any route that reads a bearer token.
				setDefault(responses, "429", "RateLimited")
				// A change made with the session cookie but without its
				// CSRF token gets 403 (auth.csrf_invalid).
				if unsafeMethod(method) {
					setDefault(responses, "403", "Forbidden")
				}
			}
			if _, hasBody := o["requestBody"]; hasBody {
				setDefault(responses, "413", "PayloadTooLarge")
				setDefault(responses, "415", "UnsupportedMediaType")
				setDefault(responses, "400", "ValidationError")
			}
		}
	}
}

func setDefault(responses map[string]any, status, ref string) {
	if _, ok := responses[status]; !ok {
		responses[status] = map[string]any{"$ref": "#/components/responses/" + ref}
	}
}

func unsafeMethod(m string) bool {
	switch strings.ToLower(m) {
	case "post", "put", "patch", "delete":
		return true
	}
	return false
}

func isMethod(m string) bool {
	switch strings.ToLower(m) {
	case "get", "post", "put", "patch", "delete", "head", "options":
		return true
	}
	return false
}

// Operations lists "METHOD /path" for every documented operation, sorted.
func (d *Document) Operations() []string {
	var out []string
	for path, item := range d.Spec.Paths.Map() {
		for method := range item.Operations() {
			out = append(out, strings.ToUpper(method)+" "+path)
		}
	}
	sort.Strings(out)
	return out
}

func toMap(doc []byte) (map[string]any, error) {
	var m map[string]any
	if err := yaml.Unmarshal(doc, &m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("empty document")
	}
	return m, nil
}

// child returns m[key] as a map, creating it when absent.
func child(m map[string]any, key string) map[string]any {
	if c, ok := m[key].(map[string]any); ok {
		return c
	}
	c := map[string]any{}
	m[key] = c
	return c
}
