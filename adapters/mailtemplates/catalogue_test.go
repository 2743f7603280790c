package mailtemplates

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/secuird/authy/ports/mailport"
)

func catalogueFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for name, body := range files {
		fsys["locales/"+name] = &fstest.MapFile{Data: []byte(body)}
	}
	return fsys
}

func TestLoadCatalogue_RefusesTranslationsThatDoNotMatchTheDefault(t *testing.T) {
	cases := map[string]map[string]string{
		"no default language":          {"de.json": `{"a": "b"}`},
		"an implicit verb":             {"en.json": `{"a": "Hello %s"}`},
		"a key the default lacks":      {"en.json": `{"a": "A"}`, "de.json": `{"b": "B"}`},
		"other verbs than the default": {"en.json": `{"a": "Hello %[1]s"}`, "de.json": `{"a": "Hallo"}`},
		"not JSON":                     {"en.json": `{"a": `},
	}
	for name, files := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := loadCatalogue(catalogueFS(files)); err == nil {
				t.Fatal("want an error")
			}
		})
	}
}

func TestCatalogue_ALanguageFallsBackToItsPrimaryThenToTheDefault(t *testing.T) {
	c, err := loadCatalogue(catalogueFS(map[string]string{
		"en.json":    `{"a": "A", "b": "B", "c": "C %[1]s"}`,
		"de.json":    `{"a": "A-de", "c": "C-de %[1]s"}`,
		"de-CH.json": `{"a": "A-ch"}`,
	}))
	if err != nil {
		t.Fatal(err)
	}
	v := &view{strs: c.chain("de-CH")}
	if got := []string{v.T("a"), v.T("b"), v.T("c", "x")}; !reflect.DeepEqual(got, []string{"A-ch", "B", "C-de x"}) {
		t.Fatalf("de-CH: %v", got)
	}
	if c.lang("de-AT") != "de" || c.lang("de-CH") != "de-CH" || c.lang("fr") != "en" {
		t.Fatalf("lang %s %s %s", c.lang("de-AT"), c.lang("de-CH"), c.lang("fr"))
	}
	if v.T("missing"); len(v.missing) != 1 {
		t.Fatalf("a missing key must be reported, got %v", v.missing)
	}
}

func TestCatalogue_EveryStringOfTheDefaultLanguageIsUsed(t *testing.T) {
	r, err := New(Options{PublicURL: "https://auth.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	r.onLookup = func(k string) { used[k] = true }
	at := time.Date(2025, 5, 6, 9, 0, 0, 0, time.UTC)
	all := []mailport.TemplateData{
		mailport.ContactEnquiry{Type: "demo", Company: "c"}, mailport.ContactEnquiry{Type: "sales"},
		mailport.ContactEnquiry{Type: "general"}, mailport.ContactEnquiry{Type: "support"},
		mailport.EmailVerification{Name: "n", Token: "t"}, mailport.EmailVerification{Token: "t"},
		mailport.PasswordReset{Token: "t"}, mailport.EmailChangeNotice{}, mailport.EmailChangeConfirmation{Token: "t"},
		mailport.Invitation{Role: "owner", Token: "t", InviterName: "i"}, mailport.Invitation{Role: "admin", Token: "t"},
		mailport.Invitation{Role: "member", Token: "t"},
		mailport.RecoveryCodeUsed{CodesLeft: 1, UsedAt: at}, mailport.RecoveryCodeUsed{CodesLeft: 2},
	}
	for _, d := range all {
		if _, err := r.Render("en", d); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := localeFS.ReadFile("locales/en.json")
	if err != nil {
		t.Fatal(err)
	}
	var strs map[string]string
	if err := json.Unmarshal(raw, &strs); err != nil {
		t.Fatal(err)
	}
	var dead []string
	for k := range strs {
		if !used[k] {
			dead = append(dead, k)
		}
	}
	if len(dead) > 0 {
		t.Fatalf("strings no template uses: %s", strings.Join(dead, ", "))
	}
}
