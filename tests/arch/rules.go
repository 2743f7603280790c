// Package arch enforces the dependency rule of the hexagon (STYLE §2) with
// `go list`: the domain imports only the standard library and uuid, the
// application never a framework, driver or adapter, ports never an adapter,
// adapters never the application or a sibling adapter family. It also
// parses ports/ and adapters/ to keep one unit of work (uow.go): only
// platformport declares a transaction shape and only pgstore implements it.
//
// One exception, for domain/shared alone: the Go project's Unicode
// normalization and IDNA packages, because the canonical Email needs NFC and
// the ASCII form of a domain and the standard library has neither.
package arch

import (
	"fmt"
	"sort"
	"strings"
)

// Module is this repository's module path.
const Module = "github.com/secuird/authy"

// Package is what the rules need from `go list -json`.
type Package struct {
	ImportPath string
	Imports    []string
	Standard   bool
}

// Violation is one forbidden import.
type Violation struct {
	From, To, Rule string
}

func (v Violation) String() string { return fmt.Sprintf("%s imports %s: %s", v.From, v.To, v.Rule) }

// sharedExtended are the only non-standard packages besides uuid that the
// domain may import, and only from domain/shared: the canonical Email's NFC
// and IDNA. They do no I/O. (idna's own imports from x/text are not
// domain/shared's imports, so they need no entry.)
var sharedExtended = map[string]bool{
	"golang.org/x/text/unicode/norm": true,
	"golang.org/x/net/idna":          true,
}

// forbiddenInApplication are standard packages that mean I/O technology.
var forbiddenStd = map[string]bool{
	"net/http": true, "database/sql": true, "net": true, "os/exec": true,
}

// Check returns every violation among pkgs; std tells whether an import path
// is in the standard library.
func Check(pkgs []Package, std func(string) bool) []Violation {
	var out []Violation
	for _, p := range pkgs {
		rel, ok := strings.CutPrefix(p.ImportPath, Module+"/")
		if !ok {
			continue
		}
		for _, imp := range p.Imports {
			if rule := violates(rel, imp, std(imp)); rule != "" {
				out = append(out, Violation{From: p.ImportPath, To: imp, Rule: rule})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

func violates(rel, imp string, isStd bool) string {
	layer, ctx := split(rel)
	impRel, internal := strings.CutPrefix(imp, Module+"/")
	impLayer, impCtx := "", ""
	if internal {
		impLayer, impCtx = split(impRel)
	}
	switch layer {
	case "domain":
		switch {
		case isStd && !forbiddenStd[imp]:
			return ""
		case imp == "github.com/google/uuid":
			return ""
		case ctx == "shared" && sharedExtended[imp]:
			return ""
		case internal && impLayer == "domain" && (impCtx == "shared" || impCtx == ctx):
			return ""
		case internal && impLayer == "domain":
			return "a context's domain must not import another context's domain"
		default:
			return "domain/ may import only the standard library, uuid and domain/shared"
		}
	case "ports":
		switch {
		case isStd && !forbiddenStd[imp]:
			return ""
		case imp == "github.com/google/uuid":
			return ""
		case internal && (impLayer == "domain" || impLayer == "ports"):
			return ""
		case strings.HasSuffix(rel, "porttest") && imp == "testing":
			return ""
		case internal:
			return "ports/ may import only domain/ and other ports"
		default:
			if strings.Contains(rel, "porttest") {
				return ""
			}
			return "ports/ may import only the standard library, uuid, domain/ and ports/"
		}
	case "application":
		own := strings.TrimSuffix(ctx, "app")
		switch {
		case isStd && !forbiddenStd[imp]:
			return ""
		case isStd:
			return "application/ must not do I/O through " + imp
		case imp == "github.com/google/uuid":
			return ""
		case internal && impLayer == "ports":
			return ""
		case internal && impLayer == "domain" && (impCtx == "shared" || impCtx == own):
			return ""
		case internal && impLayer == "domain":
			return "application/ may import only its own context's domain (talk to others through their ports)"
		case internal && impLayer == "application" && impCtx == ctx:
			return ""
		case internal:
			return "application/ must not import " + impLayer + "/"
		default:
			return "application/ must not import a framework, driver or third-party package"
		}
	case "adapters":
		if !internal {
			return ""
		}
		switch impLayer {
		case "application", "bootstrap", "tests":
			return "adapters/ must not import " + impLayer + "/"
		case "adapters":
			if impCtx != ctx {
				return "adapters/" + ctx + " must not import the sibling adapter family adapters/" + impCtx
			}
		}
		return ""
	case "migrations":
		// A data migration may apply the canonical forms domain/shared
		// defines (00010: emails); nothing else of the project.
		if internal && imp != Module+"/domain/shared" {
			return "migrations/ may import only domain/shared"
		}
	}
	return ""
}

// split returns the layer and the next path element ("domain", "identity").
func split(rel string) (string, string) {
	parts := strings.SplitN(rel, "/", 3)
	if len(parts) == 1 {
		return parts[0], ""
	}
	return parts[0], parts[1]
}
