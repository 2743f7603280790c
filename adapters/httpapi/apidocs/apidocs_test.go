package apidocs_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/secuird/authy/adapters/httpapi/apidocs"
)

const fragment = `
openapi: 3.1.0
info: {title: sample, version: "1.0"}
paths:
  /api/v1/things:
    post:
      operationId: createThing
      tags: [things]
      summary: Create a thing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/SampleThing'}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema:
                allOf:
                  - $ref: '#/components/schemas/SuccessEnvelope'
                  - type: object
                    properties:
                      data: {$ref: '#/components/schemas/SampleThing'}
components:
  schemas:
    SampleThing:
      type: object
      properties:
        name: {type: string}
`

func TestBuild_MergesFragmentsAndAddsCommonResponses(t *testing.T) {
	doc, err := apidocs.Build([]byte(fragment))
	if err != nil {
		t.Fatal(err)
	}
	ops := strings.Join(doc.Operations(), "\n")
	for _, want := range []string{"POST /api/v1/things", "GET /api/health", "GET /api/openapi.json"} {
		if !strings.Contains(ops, want) {
			t.Errorf("operation %q missing from\n%s", want, ops)
		}
	}
	op := doc.Spec.Paths.Find("/api/v1/things").Post
	for _, status := range []string{"201", "400", "413", "415", "500"} {
		if op.Responses.Value(status) == nil {
			t.Errorf("response %s missing", status)
		}
	}
	if doc.Spec.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %s", doc.Spec.OpenAPI)
	}
}

func TestBuild_RefusesAPathDocumentedTwice(t *testing.T) {
	if _, err := apidocs.Build([]byte(fragment), []byte(strings.ReplaceAll(fragment, "SampleThing", "OtherThing"))); err == nil {
		t.Fatal("a duplicated path must be refused")
	}
}

func TestBuild_RefusesADanglingReference(t *testing.T) {
	broken := strings.ReplaceAll(fragment, "#/components/schemas/SampleThing'}\n      responses", "#/components/schemas/Missing'}\n      responses")
	if _, err := apidocs.Build([]byte(broken)); err == nil {
		t.Fatal("a reference to an undefined schema must be refused")
	}
}

func TestMerge_ReturnsTheBytesBuildValidates(t *testing.T) {
	raw, err := apidocs.Merge([]byte(fragment))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := apidocs.Build([]byte(fragment))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(raw, doc.JSON) {
		t.Fatal("Merge and Build disagree on the document")
	}
	loaded, err := apidocs.Load(raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(loaded.JSON, raw) || loaded.Spec.Paths.Find("/api/v1/things") == nil {
		t.Fatal("Load lost the merged document")
	}
}

func TestMerge_RefusesAPathDocumentedTwiceButLeavesValidationToLoad(t *testing.T) {
	if _, err := apidocs.Merge([]byte(fragment), []byte(strings.ReplaceAll(fragment, "SampleThing", "OtherThing"))); err == nil {
		t.Fatal("a duplicated path must be refused")
	}
	broken := strings.ReplaceAll(fragment, "#/components/schemas/SampleThing'}\n      responses", "#/components/schemas/Missing'}\n      responses")
	raw, err := apidocs.Merge([]byte(broken))
	if err != nil {
		t.Fatalf("Merge does not validate: %v", err)
	}
	if _, err := apidocs.Load(raw); err == nil {
		t.Fatal("Load must refuse a reference to an undefined schema")
	}
}
