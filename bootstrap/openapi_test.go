package bootstrap

import (
	"bytes"
	"testing"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
)

// The server serves the merged document without validating it at start;
// this is where it is validated, as the very bytes served.
func TestOpenAPI_ServedDocumentLoadsAndValidates(t *testing.T) {
	raw, err := servedOpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := apidocs.Load(raw); err != nil {
		t.Fatalf("the served OpenAPI document does not validate: %v", err)
	}
	built, err := apidocs.Build(openAPIFragments()...)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, built.JSON) {
		t.Fatal("the served document differs from the merged fragments")
	}
	if doc := (&App{}).OpenAPI(); !bytes.Equal(doc.JSON, raw) || len(doc.Operations()) == 0 {
		t.Fatal("App.OpenAPI is not the served document")
	}
}
