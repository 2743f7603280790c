package pageshttp

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// keyUses finds catalogue keys named in the templates (.M.T "k", .M.F "k")
// and in this package's Go code (m.T("k"), m.F("k"), reasonKeys).
var keyUses = []*regexp.Regexp{
	regexp.MustCompile(`\.M\.[TF] "([a-z0-9_.]+)"`),
	regexp.MustCompile(`\bm\.[TF]\("([a-z0-9_.]+)"`),
	regexp.MustCompile(`: +"((?:field|password)\.[a-z_]+)",`),
}

func TestCatalogue_EveryKeyNamedByATemplateOrHandlerExists(t *testing.T) {
	var sources []string
	_ = fs.WalkDir(templateFiles, "templates", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := fs.ReadFile(templateFiles, path)
			sources = append(sources, string(b))
		}
		return nil
	})
	gofiles, _ := filepath.Glob("*.go")
	for _, f := range gofiles {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sources = append(sources, string(b))
	}
	used := map[string]bool{}
	for _, src := range sources {
		for _, re := range keyUses {
			for _, m := range re.FindAllStringSubmatch(src, -1) {
				used[m[1]] = true
			}
		}
	}
	if len(used) < 30 {
		t.Fatalf("only %d keys found in use; the scan is broken", len(used))
	}
	for k := range used {
		if _, ok := catalogue[defaultLanguage][k]; !ok {
			t.Errorf("key %q is used but not in the catalogue", k)
		}
	}
}

func TestCatalogue_EveryLanguageHasExactlyTheKeysOfEnglish(t *testing.T) {
	for lang, msgs := range catalogue {
		for k := range catalogue[defaultLanguage] {
			if _, ok := msgs[k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
		for k := range msgs {
			if _, ok := catalogue[defaultLanguage][k]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, k)
			}
		}
	}
}

func TestCatalogue_EveryStatusTheEdgeAnswersHasATitleAndAText(t *testing.T) {
	for _, s := range []string{"400", "401", "403", "404", "405", "409", "413", "415", "429", "431", "500", "503", "default"} {
		for _, k := range []string{"error.title." + s, "error.text." + s} {
			if _, ok := catalogue[defaultLanguage][k]; !ok {
				t.Errorf("missing %s", k)
			}
		}
	}
}

func TestMessagesFor_PicksTheBestLanguageTheCatalogueHas(t *testing.T) {
	catalogue["de"] = map[string]string{"login.title": "Anmelden"}
	t.Cleanup(func() { delete(catalogue, "de") })
	for header, want := range map[string]string{
		"":                             "en",
		"fr-CA, fr;q=0.9":              "en",
		"de":                           "de",
		"DE-ch":                        "de",
		"fr;q=0.9, de;q=0.8, en;q=0.7": "de",
		"en;q=0.9, de":                 "de",
		"de;q=0, en":                   "en",
		"*":                            "en",
		"de;q=bogus, en":               "en",
	} {
		m := messagesFor(header)
		if m.Lang() != want {
			t.Errorf("Accept-Language %q: %s, want %s", header, m.Lang(), want)
		}
	}
	de := messagesFor("de")
	if de.T("login.title") != "Anmelden" || de.T("login.submit") != "Sign in" {
		t.Fatalf("a translation falls back to English per key: %q %q", de.T("login.title"), de.T("login.submit"))
	}
	if got := de.F("account.signed_in", "a@b.c"); got != "You are signed in as a@b.c." {
		t.Fatalf("F = %q", got)
	}
	keys := make([]string, 0, len(catalogue))
	for k := range catalogue {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "de,en" {
		t.Fatalf("languages %v", keys)
	}
}
