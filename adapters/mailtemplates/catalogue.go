package mailtemplates

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/secuird/authy/domain/mail"
)

//go:embed locales/*.json
var localeFS embed.FS

// catalogue holds every language's strings; the default language has them
// all, the others a subset.
type catalogue struct {
	langs map[string]map[string]string
}

var verb = regexp.MustCompile(`%(\[[0-9]+\])?[a-zA-Z%]`)

func loadCatalogue(fsys fs.FS) (*catalogue, error) {
	files, err := fs.Glob(fsys, "locales/*.json")
	if err != nil {
		return nil, err
	}
	c := &catalogue{langs: map[string]map[string]string{}}
	for _, f := range files {
		tag := strings.TrimSuffix(strings.TrimPrefix(f, "locales/"), ".json")
		raw, err := fs.ReadFile(fsys, f)
		if err != nil {
			return nil, err
		}
		var strs map[string]string
		if err := json.Unmarshal(raw, &strs); err != nil {
			return nil, fmt.Errorf("mail catalogue %s: %w", f, err)
		}
		c.langs[tag] = strs
	}
	def, ok := c.langs[mail.DefaultLocale]
	if !ok {
		return nil, fmt.Errorf("mail catalogue: no %s.json for the default language", mail.DefaultLocale)
	}
	for key, s := range def {
		for _, v := range verb.FindAllString(s, -1) {
			if v != "%%" && !strings.HasPrefix(v, "%[") {
				return nil, fmt.Errorf("mail catalogue %s: %q uses %s; use an explicit index such as %%[1]s", mail.DefaultLocale, key, v)
			}
		}
	}
	for tag, strs := range c.langs {
		if tag == mail.DefaultLocale {
			continue
		}
		for key, s := range strs {
			d, ok := def[key]
			if !ok {
				return nil, fmt.Errorf("mail catalogue %s: %q is not a key of %s.json", tag, key, mail.DefaultLocale)
			}
			if !slices.Equal(verbs(d), verbs(s)) {
				return nil, fmt.Errorf("mail catalogue %s: %q must use the verbs %v of %s.json", tag, key, verbs(d), mail.DefaultLocale)
			}
		}
	}
	return c, nil
}

func verbs(s string) []string {
	v := verb.FindAllString(s, -1)
	sort.Strings(v)
	return v
}

// chain returns the languages to look a string up in for locale: the tag
// itself, its primary language, then the default.
func (c *catalogue) chain(locale string) []map[string]string {
	var out []map[string]string
	seen := map[string]bool{}
	addTag := func(tag string) {
		if strs, ok := c.langs[tag]; ok && !seen[tag] {
			seen[tag] = true
			out = append(out, strs)
		}
	}
	addTag(locale)
	if primary, _, ok := strings.Cut(locale, "-"); ok {
		addTag(primary)
	}
	addTag(mail.DefaultLocale)
	return out
}

// lang returns the language tag the chain for locale starts with, for the
// HTML lang attribute.
func (c *catalogue) lang(locale string) string {
	if _, ok := c.langs[locale]; ok {
		return locale
	}
	if primary, _, ok := strings.Cut(locale, "-"); ok {
		if _, ok := c.langs[primary]; ok {
			return primary
		}
	}
	return mail.DefaultLocale
}
