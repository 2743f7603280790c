package bootstrap

import (
	"fmt"
	"sync"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/audithttp"
	"github.com/secuird/authy/adapters/httpapi/contacthttp"
	"github.com/secuird/authy/adapters/httpapi/federationhttp"
	"github.com/secuird/authy/adapters/httpapi/identityhttp"
	"github.com/secuird/authy/adapters/httpapi/mfahttp"
	"github.com/secuird/authy/adapters/httpapi/oauthhttp"
	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/adapters/httpapi/passkeyhttp"
	"github.com/secuird/authy/adapters/httpapi/provisioninghttp"
	"github.com/secuird/authy/adapters/httpapi/sessionshttp"
	"github.com/secuird/authy/adapters/httpapi/ssohttp"
)

// openAPIFragments lists each context's OpenAPI fragment, merged into the
// base document served at /api/openapi.json.
func openAPIFragments() [][]byte {
	return [][]byte{
		audithttp.OpenAPI,
		contacthttp.OpenAPI,
		federationhttp.OpenAPI,
		identityhttp.OpenAPI,
		mfahttp.OpenAPI,
		oauthhttp.OpenAPI,
		organizationshttp.OpenAPI,
		passkeyhttp.OpenAPI,
		provisioninghttp.OpenAPI,
		sessionshttp.OpenAPI,
		ssohttp.OpenAPI,
	}
}

// servedOpenAPI is the merged document every App serves. Its parts are
// embedded in the binary, so it is merged once per process, on the first
// request for it rather than at start (merging costs more than the rest of
// building the HTTP side). Nor is it validated at start: loading and
// validating it with kin-openapi took a third of the server's start, and
// the document cannot change after the build, so the tests validate these
// very bytes instead (OpenAPI, and
// TestOpenAPI_ServedDocumentLoadsAndValidates).
var servedOpenAPI = sync.OnceValues(func() ([]byte, error) {
	return apidocs.Merge(openAPIFragments()...)
})

// OpenAPI loads and validates the document the server serves and returns
// it, for the tests that compare routes and validate responses against it
// (the server itself never needs it parsed). Each call loads it anew, so
// no two Apps share its parsed form. It panics when the document does not
// validate, which TestOpenAPI_ServedDocumentLoadsAndValidates reports
// first.
func (a *App) OpenAPI() *apidocs.Document {
	raw, err := servedOpenAPI()
	if err == nil {
		var doc *apidocs.Document
		if doc, err = apidocs.Load(raw); err == nil {
			return doc
		}
	}
	panic(fmt.Sprintf("the served OpenAPI document: %v", err))
}

func (a *App) mountDocs() error {
	apidocs.Register(a.http, servedOpenAPI)
	return nil
}
