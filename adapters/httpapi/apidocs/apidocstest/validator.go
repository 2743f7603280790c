// Package apidocstest checks real HTTP responses against the OpenAPI
// document, for handler tests (one context's fragment) and end-to-end tests
// (the served document) alike.
package apidocstest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
)

// ErrUndocumented reports a request whose route is not in the document.
var ErrUndocumented = errors.New("route not in the OpenAPI document")

// Validator matches requests to documented operations and validates the
// responses given to them.
type Validator struct {
	router routers.Router
}

// New returns a validator over doc.
func New(doc *apidocs.Document) (*Validator, error) {
	r, err := gorillamux.NewRouter(doc.Spec)
	if err != nil {
		return nil, fmt.Errorf("OpenAPI router: %w", err)
	}
	return &Validator{router: r}, nil
}

// ForFragments builds the document from the base and fragments (as the
// server does) and returns a validator over it.
func ForFragments(fragments ...[]byte) (*Validator, error) {
	doc, err := apidocs.Build(fragments...)
	if err != nil {
		return nil, err
	}
	return New(doc)
}

// Check validates one response (status, headers and, for JSON, the body)
// against the operation req matches; ErrUndocumented when none does.
func (v *Validator) Check(req *http.Request, status int, header http.Header, body []byte) error {
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		return fmt.Errorf("%w: %s %s: %v", ErrUndocumented, req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request: req, PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc},
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
			// Only JSON bodies are checked against schemas; pages, scripts
			// and metrics are checked for status and content type.
			ExcludeResponseBody: !strings.HasPrefix(header.Get("Content-Type"), "application/json"),
		},
	}
	in.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("%s %s: response %d drifts from the OpenAPI document: %w", req.Method, req.URL.Path, status, err)
	}
	return nil
}
