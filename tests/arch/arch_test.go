package arch

import (
	"bytes"
	"encoding/json"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func TestDependencyRule_HoldsForTheWholeModule(t *testing.T) {
	cmd := exec.Command("go", "list", "-json", Module+"/...")
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	var pkgs []Package
	for {
		var p Package
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 5 {
		t.Fatalf("go list found only %d packages; the check would prove nothing", len(pkgs))
	}
	for _, v := range Check(pkgs, isStd) {
		t.Error(v)
	}
}

func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

func TestDependencyRule_CatchesEachKindOfViolation(t *testing.T) {
	m := Module + "/"
	cases := []struct {
		name    string
		pkg     Package
		violate bool
	}{
		{"domain importing Fiber", Package{ImportPath: m + "domain/identity", Imports: []string{"github.com/gofiber/fiber/v2"}}, true},
		{"domain importing database/sql", Package{ImportPath: m + "domain/identity", Imports: []string{"database/sql"}}, true},
		{"domain importing another context", Package{ImportPath: m + "domain/identity", Imports: []string{m + "domain/organizations"}}, true},
		{"domain importing uuid and shared", Package{ImportPath: m + "domain/identity", Imports: []string{"time", "github.com/google/uuid", m + "domain/shared"}}, false},
		{"domain/shared importing NFC and IDNA", Package{ImportPath: m + "domain/shared", Imports: []string{"golang.org/x/text/unicode/norm", "golang.org/x/net/idna"}}, false},
		{"a context's domain importing NFC", Package{ImportPath: m + "domain/identity", Imports: []string{"golang.org/x/text/unicode/norm"}}, true},
		{"a context's domain importing IDNA", Package{ImportPath: m + "domain/contact", Imports: []string{"golang.org/x/net/idna"}}, true},
		{"domain/shared importing another x/text package", Package{ImportPath: m + "domain/shared", Imports: []string{"golang.org/x/text/cases"}}, true},
		{"domain/shared importing another x/net package", Package{ImportPath: m + "domain/shared", Imports: []string{"golang.org/x/net/publicsuffix"}}, true},
		{"domain/shared importing x/crypto", Package{ImportPath: m + "domain/shared", Imports: []string{"golang.org/x/crypto/bcrypt"}}, true},
		{"migrations importing domain/shared", Package{ImportPath: m + "migrations", Imports: []string{"embed", "github.com/pressly/goose/v3", m + "domain/shared"}}, false},
		{"migrations importing a context's domain", Package{ImportPath: m + "migrations", Imports: []string{m + "domain/identity"}}, true},
		{"migrations importing an adapter", Package{ImportPath: m + "migrations", Imports: []string{m + "adapters/pgstore"}}, true},
		{"application importing GORM", Package{ImportPath: m + "application/identityapp", Imports: []string{"gorm.io/gorm"}}, true},
		{"application importing net/http", Package{ImportPath: m + "application/identityapp", Imports: []string{"net/http"}}, true},
		{"application importing an adapter", Package{ImportPath: m + "application/identityapp", Imports: []string{m + "adapters/pgstore"}}, true},
		{"application importing bootstrap", Package{ImportPath: m + "application/identityapp", Imports: []string{m + "bootstrap"}}, true},
		{"application importing another application", Package{ImportPath: m + "application/identityapp", Imports: []string{m + "application/sessionsapp"}}, true},
		{"application importing another context's domain", Package{ImportPath: m + "application/identityapp", Imports: []string{m + "domain/sessions"}}, true},
		{"application importing its domain and ports", Package{ImportPath: m + "application/identityapp", Imports: []string{"context", m + "domain/identity", m + "ports/identityport", m + "ports/sessionsport"}}, false},
		{"ports importing an adapter", Package{ImportPath: m + "ports/identityport", Imports: []string{m + "adapters/memstore/identitymem"}}, true},
		{"ports importing go-redis", Package{ImportPath: m + "ports/identityport", Imports: []string{"github.com/redis/go-redis/v9"}}, true},
		{"adapter importing the application", Package{ImportPath: m + "adapters/httpapi/identityhttp", Imports: []string{m + "application/identityapp"}}, true},
		{"adapter importing a sibling family", Package{ImportPath: m + "adapters/pgstore/identitypg", Imports: []string{m + "adapters/redisstore/platformredis"}}, true},
		{"adapter importing its own family and ports", Package{ImportPath: m + "adapters/pgstore/identitypg", Imports: []string{m + "adapters/pgstore", m + "ports/identityport", "gorm.io/gorm"}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := Check([]Package{tc.pkg}, isStd)
			if tc.violate && len(got) == 0 {
				t.Fatalf("the rule missed %s -> %v", tc.pkg.ImportPath, tc.pkg.Imports)
			}
			if !tc.violate && len(got) > 0 {
				t.Fatalf("false alarm: %v", got)
			}
		})
	}
}
