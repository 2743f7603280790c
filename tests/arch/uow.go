package arch

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strings"
)

// The one unit of work (STYLE §5): platformport.UnitOfWork is the only
// transaction shape a port declares, and the database adapter (package
// pgstore itself) the only one that implements it. A context's own
// UnitOfWork, a store's Do(ctx, fn) or a pass-through Transaction or
// AfterCommit on a repository would bring back one shape per context.

// uowPort is the one package that may declare the unit of work.
const uowPort = "ports/platformport"

// uowAdapter is the one package that may implement it.
const uowAdapter = "adapters/pgstore"

// File is one Go source file: its package directory relative to the module
// root and its text.
type File struct {
	Dir, Name, Src string
}

// Shape is a declaration that makes another transaction shape.
type Shape struct {
	At, What string
}

func (s Shape) String() string {
	return fmt.Sprintf("%s declares %s: the one unit of work is platformport.UnitOfWork, implemented by pgstore.DB alone", s.At, s.What)
}

// CheckUnitOfWork returns every declaration among files that makes another
// transaction shape: in ports/, outside platformport, a type named
// UnitOfWork or an interface method that takes a closure over a ctx (fn
// func(ctx context.Context) …); in adapters/, outside pgstore itself, a
// method named Transaction or AfterCommit, or one that takes such a
// closure. Test files are not checked (a test may wrap the database).
func CheckUnitOfWork(files []File) ([]Shape, error) {
	var out []Shape
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f.Name, "_test.go") {
			continue
		}
		inPorts := strings.HasPrefix(f.Dir, "ports/") && f.Dir != uowPort
		inAdapters := strings.HasPrefix(f.Dir, "adapters/") && f.Dir != uowAdapter
		if !inPorts && !inAdapters {
			continue
		}
		file, err := parser.ParseFile(fset, f.Dir+"/"+f.Name, f.Src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		where := func(pos token.Pos, what string) Shape {
			p := fset.Position(pos)
			return Shape{At: fmt.Sprintf("%s:%d", p.Filename, p.Line), What: what}
		}
		for _, decl := range file.Decls {
			switch d := decl.(type) {
			case *ast.GenDecl:
				if !inPorts {
					continue
				}
				for _, spec := range d.Specs {
					ts, ok := spec.(*ast.TypeSpec)
					if !ok {
						continue
					}
					if ts.Name.Name == "UnitOfWork" {
						out = append(out, where(ts.Pos(), "type "+ts.Name.Name))
						continue
					}
					it, ok := ts.Type.(*ast.InterfaceType)
					if !ok {
						continue
					}
					for _, m := range it.Methods.List {
						ft, ok := m.Type.(*ast.FuncType)
						if !ok || len(m.Names) == 0 {
							continue
						}
						if takesCtxClosure(ft) {
							out = append(out, where(m.Pos(), ts.Name.Name+"."+m.Names[0].Name))
						}
					}
				}
			case *ast.FuncDecl:
				if !inAdapters || d.Recv == nil {
					continue
				}
				name := d.Name.Name
				if name == "Transaction" || name == "AfterCommit" || takesCtxClosure(d.Type) {
					out = append(out, where(d.Pos(), "method "+name))
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out, nil
}

// takesCtxClosure reports whether ft has a parameter that is itself a
// function whose first parameter is a context.Context: the closure a
// transaction runs.
func takesCtxClosure(ft *ast.FuncType) bool {
	if ft.Params == nil {
		return false
	}
	for _, p := range ft.Params.List {
		fn, ok := p.Type.(*ast.FuncType)
		if !ok || fn.Params == nil || len(fn.Params.List) == 0 {
			continue
		}
		if sel, ok := fn.Params.List[0].Type.(*ast.SelectorExpr); ok && sel.Sel.Name == "Context" {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name == "context" {
				return true
			}
		}
	}
	return false
}
