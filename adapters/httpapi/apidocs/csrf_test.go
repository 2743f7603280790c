package apidocs_test

import (
	"testing"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
)

const authedFragment = `
openapi: 3.1.0
info: {title: authed, version: "1.0"}
paths:
  /api/v1/mine:
    get:
      operationId: readMine
      security: [{ bearerAuth: [] }]
      responses:
        "200": {description: read}
    delete:
      operationId: deleteMine
      security: [{ bearerAuth: [] }]
      responses:
        "200": {description: deleted}
  /api/v1/open:
    post:
      operationId: postOpen
      responses:
        "200": {description: posted}
`

func TestBuild_AuthenticatedChangesDocumentTheCookieCSRFRefusal(t *testing.T) {
	doc, err := apidocs.Build([]byte(authedFragment))
	if err != nil {
		t.Fatal(err)
	}
	mine := doc.Spec.Paths.Find("/api/v1/mine")
	if mine.Delete.Responses.Value("403") == nil {
		t.Error("an authenticated DELETE must document the 403 of a cookie request without its CSRF token")
	}
	if mine.Get.Responses.Value("403") != nil {
		t.Error("a GET needs no CSRF token")
	}
	if doc.Spec.Paths.Find("/api/v1/open").Post.Responses.Value("403") != nil {
		t.Error("a public route reads no cookie")
	}
	if doc.Spec.Components.SecuritySchemes["cookieAuth"] == nil {
		t.Error("the cookie security scheme is not documented")
	}
}
