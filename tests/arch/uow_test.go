package arch

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnitOfWork_EveryContextTakesTheOnePort(t *testing.T) {
	root := "../.."
	var files []File
	for _, top := range []string{"ports", "adapters"} {
		err := filepath.WalkDir(filepath.Join(root, top), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") {
				return err
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			files = append(files, File{Dir: filepath.ToSlash(rel), Name: d.Name(), Src: string(src)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(files) < 50 {
		t.Fatalf("found only %d files under ports/ and adapters/; the check would prove nothing", len(files))
	}
	got, err := CheckUnitOfWork(files)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range got {
		t.Error(v)
	}
}

func TestUnitOfWork_CatchesEachOtherShape(t *testing.T) {
	const ctxImport = "package p\nimport \"context\"\n"
	cases := []struct {
		name    string
		file    File
		violate bool
	}{
		{"a context's own UnitOfWork interface", File{"ports/federationport", "out.go",
			ctxImport + "type UnitOfWork interface{ Do(ctx context.Context, fn func(ctx context.Context) error) error }"}, true},
		{"an alias of the shared one", File{"ports/oauthport", "out.go",
			"package p\nimport \"x/platformport\"\ntype UnitOfWork = platformport.UnitOfWork"}, true},
		{"a store whose port runs a closure in a transaction", File{"ports/contactport", "out.go",
			ctxImport + "type Store interface{ Do(ctx context.Context, fn func(ctx context.Context, r int) error) error }"}, true},
		{"a port's after-commit hook", File{"ports/mailport", "out.go",
			ctxImport + "type Hook interface{ AfterCommit(ctx context.Context, f func(ctx context.Context)) }"}, true},
		{"a repository's pass-through Transaction", File{"adapters/pgstore/oauthpg", "clients.go",
			ctxImport + "type C struct{}\nfunc (C) Transaction(ctx context.Context, fn func(context.Context) error) error { return nil }"}, true},
		{"a store's pass-through AfterCommit", File{"adapters/pgstore/oauthpg", "clients.go",
			ctxImport + "type C struct{}\nfunc (C) AfterCommit(ctx context.Context, f func()) {}"}, true},
		{"the database's own unit of work", File{"adapters/pgstore", "tx.go",
			ctxImport + "type DB struct{}\nfunc (DB) Transaction(ctx context.Context, fn func(context.Context) error) error { return nil }"}, false},
		{"the one port", File{"ports/platformport", "uow.go",
			ctxImport + "type UnitOfWork interface{ Transaction(ctx context.Context, fn func(ctx context.Context) error) error }"}, false},
		{"an update closure over the aggregate", File{"ports/identityport", "out.go",
			ctxImport + "type Users interface{ Update(ctx context.Context, id int, fn func(u *int) error) error }"}, false},
		{"a test wrapping the database", File{"adapters/pgstore/oauthpg", "x_test.go",
			ctxImport + "type C struct{}\nfunc (C) Transaction(ctx context.Context, fn func(context.Context) error) error { return nil }"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CheckUnitOfWork([]File{tc.file})
			if err != nil {
				t.Fatal(err)
			}
			if tc.violate && len(got) == 0 {
				t.Fatal("the rule missed it")
			}
			if !tc.violate && len(got) > 0 {
				t.Fatalf("false alarm: %v", got)
			}
		})
	}
}
