package bootstrap

import (
	"github.com/secuird/authy/adapters/httpapi/apidocs"
	"github.com/secuird/authy/adapters/httpapi/audithttp"
	"github.com/secuird/authy/adapters/httpapi/contacthttp"
	"github.com/secuird/authy/adapters/httpapi/identityhttp"
	"github.com/secuird/authy/adapters/httpapi/organizationshttp"
	"github.com/secuird/authy/adapters/httpapi/sessionshttp"
)

// openAPIFragments lists each context's OpenAPI fragment, merged into the
// base document served at /api/openapi.json.
func openAPIFragments() [][]byte {
	return [][]byte{
		audithttp.OpenAPI,
		contacthttp.OpenAPI,
		identityhttp.OpenAPI,
		organizationshttp.OpenAPI,
		sessionshttp.OpenAPI,
	}
}

// OpenAPI returns the merged OpenAPI document the server serves.
func (a *App) OpenAPI() *apidocs.Document { return a.doc }

func (a *App) mountDocs() error {
	doc, err := apidocs.Build(openAPIFragments()...)
	if err != nil {
		return err
	}
	a.doc = doc
	apidocs.Register(a.http, doc)
	return nil
}
