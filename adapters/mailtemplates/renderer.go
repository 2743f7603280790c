package mailtemplates

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net/url"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Options configure a Renderer.
type Options struct {
	// PublicURL is PUBLIC_URL, the base of every link (an absolute http or
	// https URL, optionally with a path).
	PublicURL string
}

// Renderer implements mailport.Renderer.
type Renderer struct {
	base string
	cat  *catalogue
	text map[mail.Template]*texttemplate.Template
	html map[mail.Template]*htmltemplate.Template
	// onLookup, when set, sees every catalogue key a render looks up (the
	// tests check that no string of the catalogue is dead).
	onLookup func(key string)
}

var _ mailport.Renderer = (*Renderer)(nil)

// New parses every template and the catalogue; an error names the broken
// file, so a bad build fails at start-up rather than at the first mail.
func New(o Options) (*Renderer, error) {
	base, err := publicBase(o.PublicURL)
	if err != nil {
		return nil, err
	}
	cat, err := loadCatalogue(localeFS)
	if err != nil {
		return nil, err
	}
	r := &Renderer{base: base, cat: cat, text: map[mail.Template]*texttemplate.Template{}, html: map[mail.Template]*htmltemplate.Template{}}
	for _, tpl := range mail.Templates() {
		name := tpl.String()
		tt, err := texttemplate.New("layout").Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.txt.tmpl", "templates/"+name+".txt.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail template %s (text): %w", name, err)
		}
		ht, err := htmltemplate.New("layout").Option("missingkey=error").
			ParseFS(templateFS, "templates/layout.html.tmpl", "templates/"+name+".html.tmpl")
		if err != nil {
			return nil, fmt.Errorf("mail template %s (html): %w", name, err)
		}
		if tt.Lookup("subject") == nil || tt.Lookup("body") == nil || ht.Lookup("content") == nil {
			return nil, fmt.Errorf("mail template %s: needs a subject and body (text) and a content (html)", name)
		}
		r.text[tpl], r.html[tpl] = tt, ht
	}
	return r, nil
}

func publicBase(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", errors.New("mail links: PUBLIC_URL must be an absolute http(s) URL without credentials, query or fragment")
	}
	return strings.TrimRight(u.String(), "/"), nil
}

// Render implements mailport.Renderer.
func (r *Renderer) Render(locale string, data mailport.TemplateData) (mailport.Rendered, error) {
	if data == nil {
		return mailport.Rendered{}, errors.New("render mail: no data")
	}
	d, link, err := r.prepare(data)
	if err != nil {
		return mailport.Rendered{}, fmt.Errorf("render %s: %w", data.Template(), err)
	}
	tpl := data.Template()
	v := &view{D: d, Link: link, Lang: r.cat.lang(locale), strs: r.cat.chain(locale), onLookup: r.onLookup}
	tt, ht := r.text[tpl], r.html[tpl]
	if tt == nil || ht == nil {
		return mailport.Rendered{}, fmt.Errorf("render %s: no such template", tpl)
	}
	var subject, text, html bytes.Buffer
	if err := tt.ExecuteTemplate(&subject, "subject", v); err != nil {
		return mailport.Rendered{}, fmt.Errorf("render %s subject: %w", tpl, err)
	}
	v.Subject = oneLine(subject.String())
	if err := tt.ExecuteTemplate(&text, "layout", v); err != nil {
		return mailport.Rendered{}, fmt.Errorf("render %s text: %w", tpl, err)
	}
	if err := ht.ExecuteTemplate(&html, "layout", v); err != nil {
		return mailport.Rendered{}, fmt.Errorf("render %s html: %w", tpl, err)
	}
	if len(v.missing) > 0 {
		return mailport.Rendered{}, fmt.Errorf("render %s: the catalogue lacks %s", tpl, strings.Join(v.missing, ", "))
	}
	return mailport.Rendered{Subject: v.Subject, Text: text.String(), HTML: html.String()}, nil
}

// prepare returns the data as a value (stored data decodes into a pointer)
// and the link of the templates that carry a token.
func (r *Renderer) prepare(data mailport.TemplateData) (any, string, error) {
	switch d := data.(type) {
	case *mailport.ContactEnquiry:
		return *d, "", nil
	case mailport.ContactEnquiry:
		return d, "", nil
	case *mailport.EmailVerification:
		return r.prepare(*d)
	case mailport.EmailVerification:
		link, err := r.link("/verify-email", d.Token)
		return d, link, err
	case *mailport.PasswordReset:
		return r.prepare(*d)
	case mailport.PasswordReset:
		link, err := r.link("/reset-password", d.Token)
		return d, link, err
	case *mailport.EmailChangeNotice:
		return *d, "", nil
	case mailport.EmailChangeNotice:
		return d, "", nil
	case *mailport.EmailChangeConfirmation:
		return r.prepare(*d)
	case mailport.EmailChangeConfirmation:
		link, err := r.link("/verify-email", d.Token)
		return d, link, err
	case *mailport.Invitation:
		return r.prepare(*d)
	case mailport.Invitation:
		link, err := r.link("/invitations/accept", d.Token)
		return d, link, err
	case *mailport.RecoveryCodeUsed:
		return *d, "", nil
	case mailport.RecoveryCodeUsed:
		return d, "", nil
	}
	return nil, "", fmt.Errorf("unknown template data %T", data)
}

func (r *Renderer) link(path, token string) (string, error) {
	if token == "" {
		return "", errors.New("the link needs its token")
	}
	return r.base + path + "?token=" + url.QueryEscape(token), nil
}

// view is what every template sees: the data as D, the link, and the
// catalogue through methods ($.T "key" args…).
type view struct {
	D        any
	Link     string
	Subject  string
	Lang     string
	strs     []map[string]string
	missing  []string
	onLookup func(string)
}

func (v *view) lookup(key string) (string, bool) {
	if v.onLookup != nil {
		v.onLookup(key)
	}
	for _, strs := range v.strs {
		if s, ok := strs[key]; ok {
			return s, true
		}
	}
	return "", false
}

// T returns the catalogue string key, formatted with args.
func (v *view) T(key string, args ...any) string {
	s, ok := v.lookup(key)
	if !ok {
		v.missing = append(v.missing, key)
		return key
	}
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// TN returns key.one or key.other by n, formatted with n.
func (v *view) TN(key string, n int) string {
	if n == 1 {
		return v.T(key+".one", n)
	}
	return v.T(key+".other", n)
}

// Label returns the catalogue's name for a value (prefix.value), or the
// value itself when the catalogue has none.
func (v *view) Label(prefix, value string) string {
	if s, ok := v.lookup(prefix + "." + value); ok {
		return s
	}
	return value
}

// Date formats t in UTC with the language's layout.
func (v *view) Date(t time.Time) string {
	return t.UTC().Format(v.T("format.datetime"))
}

// Pad right-pads s with spaces to width characters (at least one space),
// to align the text part's labels.
func (v *view) Pad(s string, width int) string {
	n := utf8.RuneCountInString(s)
	if n >= width {
		return s + " "
	}
	return s + strings.Repeat(" ", width-n)
}

// Button is the call to action of a link template.
func (v *view) Button(action string) button { return button{Link: v.Link, Action: action, View: v} }

type button struct {
	Link   string
	Action string
	View   *view
}

func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u2028' || r == '\u2029'
	}), " ")
}
