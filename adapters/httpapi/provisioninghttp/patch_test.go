package provisioninghttp

import (
	"encoding/json"
	"testing"

	"github.com/secuird/authy/domain/provisioning"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/provisioningport"
)

func codeOf(err error) string {
	if se, ok := err.(*shared.Error); ok {
		return se.Code()
	}
	return ""
}

func TestParseFilter_ReadsTheEqualityFiltersIdentityProvidersSendAndRefusesTheRest(t *testing.T) {
	for raw, want := range map[string]equality{
		`userName eq "ada@example.com"`:                              {"username", "ada@example.com"},
		`USERNAME EQ "a\"b@example.com"`:                             {"username", `a"b@example.com`},
		`externalId eq "00u1"`:                                       {"externalid", "00u1"},
		`urn:ietf:params:scim:schemas:core:2.0:User:userName eq "x"`: {"username", "x"},
	} {
		got, err := parseFilter(raw)
		if err != nil || got != want {
			t.Errorf("%s: %+v %v", raw, got, err)
		}
	}
	for _, raw := range []string{`userName co "a"`, `userName eq a`, `title eq "x"`, `userName eq "a" and active eq true`, `userName`, `userName eq "a" x`} {
		if _, err := parseFilter(raw); codeOf(err) != provisioning.CodeInvalidFilter {
			t.Errorf("%s was not refused as an invalid filter: %v", raw, err)
		}
	}
}

func ops(t *testing.T, raw string) []patchOp {
	t.Helper()
	var list []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		t.Fatal(err)
	}
	var out []patchOp
	for _, o := range list {
		p := patchOp{value: o["value"]}
		_ = json.Unmarshal(o["op"], &p.op)
		var path string
		_ = json.Unmarshal(o["path"], &path)
		p.op, p.path = lower(p.op), normalizePath(path)
		out = append(out, p)
	}
	return out
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func TestApplyPatch_OktaAndEntraIDShapes(t *testing.T) {
	base := provisioningport.UserAttributes{UserName: "ada@example.com", GivenName: "Ada", Active: true,
		Emails: []provisioningport.UserEmail{{Value: "ada@example.com", Type: "work", Primary: true}}}
	cases := map[string]struct {
		ops   string
		check func(a provisioningport.UserAttributes) bool
	}{
		"okta pathless active false": {`[{"op":"replace","value":{"active":false}}]`, func(a provisioningport.UserAttributes) bool { return !a.Active }},
		"entra string False":         {`[{"op":"Replace","path":"active","value":"False"}]`, func(a provisioningport.UserAttributes) bool { return !a.Active }},
		"entra work email value": {`[{"op":"Replace","path":"emails[type eq \"work\"].value","value":"ada2@example.com"}]`,
			func(a provisioningport.UserAttributes) bool {
				return len(a.Emails) == 1 && a.Emails[0].Value == "ada2@example.com"
			}},
		"add a home email": {`[{"op":"Add","path":"emails[type eq \"home\"].value","value":"h@example.com"}]`,
			func(a provisioningport.UserAttributes) bool { return len(a.Emails) == 2 && a.Emails[1].Type == "home" }},
		"pathless dotted keys": {`[{"op":"replace","value":{"name.givenName":"Augusta","displayName":"A. K."}}]`,
			func(a provisioningport.UserAttributes) bool {
				return a.GivenName == "Augusta" && a.DisplayName == "A. K."
			}},
		"remove given name": {`[{"op":"remove","path":"name.givenName"}]`, func(a provisioningport.UserAttributes) bool { return a.GivenName == "" }},
		"enterprise extension ignored": {`[{"op":"replace","path":"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department","value":"R&D"}]`,
			func(a provisioningport.UserAttributes) bool { return a.GivenName == "Ada" }},
	}
	for name, c := range cases {
		got, err := applyPatch(base, ops(t, c.ops))
		if err != nil || !c.check(got) {
			t.Errorf("%s: %+v %v", name, got, err)
		}
	}
	if base.Emails[0].Value != "ada@example.com" {
		t.Fatal("a patch changed the attributes it was given")
	}
	for ops2, code := range map[string]string{
		`[{"op":"replace","path":"shoeSize","value":"42"}]`:       provisioning.CodeInvalidPath,
		`[{"op":"remove","path":"userName"}]`:                     provisioning.CodeMutability,
		`[{"op":"replace","path":"active","value":"maybe"}]`:      provisioning.CodeInvalidValue,
		`[{"op":"replace","value":{"favouriteColour":"blue"}}]`:   provisioning.CodeInvalidPath,
		`[{"op":"replace","path":"emails[type co \"w\"].value"}]`: provisioning.CodeInvalidFilter,
	} {
		if _, err := applyPatch(base, ops(t, ops2)); codeOf(err) != code {
			t.Errorf("%s: %v, want %s", ops2, err, code)
		}
	}
}
