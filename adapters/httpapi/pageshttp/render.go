package pageshttp

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/secuird/authy/adapters/httpapi"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static/authy.css
var stylesheet []byte

// stylesheetPath is where the one stylesheet is served.
const stylesheetPath = "/assets/authy.css"

// pageNames are the templates besides the layout.
var pageNames = []string{"login", "account", "logout", "notice", "invitation", "error",
	"verify_email", "forgot_password", "reset_password", "consent", "login_mfa", "security"}

// Paths are the paths of the page group (see httpapi.RouteGroup).
var Paths = []string{"/login", "/logout", "/account", "/verify-email", "/forgot-password",
	"/reset-password", "/invitations/", "/assets/"}

// Pages renders the pages and, as the page group's httpapi.Renderer, every
// error of the group as an HTML page in the reader's language.
type Pages struct {
	templates  map[string]*template.Template
	csp        string
	formAction string
}

// NewPages parses the embedded templates. formTargets are the origins a
// page's form may end at besides Authy's own (the registered return
// targets a sign-in redirects to: browsers apply form-action to the
// redirect that follows a form post).
func NewPages(formTargets []string) (*Pages, error) {
	p := &Pages{templates: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.ParseFS(templateFiles, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("pages: template %s: %w", name, err)
		}
		p.templates[name] = t
	}
	formAction := "'self'"
	for _, o := range formTargets {
		if strings.ContainsAny(o, " ;,'\"") {
			return nil, fmt.Errorf("pages: %q is not an origin", o)
		}
		formAction += " " + o
	}
	p.formAction = formAction
	p.csp = cspWith(formAction)
	return p, nil
}

// cspWith is the pages' policy with formAction as its form-action sources.
// Only the page's own stylesheet loads and only its own forms post;
// nothing runs, nothing frames it.
func cspWith(formAction string) string {
	return "default-src 'none'; style-src 'self'; img-src 'self'; form-action " + formAction +
		"; frame-ancestors 'none'; base-uri 'none'"
}

// withOwnScript adds to a page's policy its own script and the requests
// that script makes to Authy (the passkey sign-in's begin).
func withOwnScript(csp string) string {
	return strings.Replace(csp, "default-src 'none';", "default-src 'none'; script-src 'self'; connect-src 'self';", 1)
}

// cspFor is the policy of a page whose form starts a redirect chain that
// ends at one of extra's origins besides the usual ones (browsers apply
// form-action to every redirect after a form post): a sign-in that
// continues an application's authorization request, a consent page. An
// origin that is not one is left out.
func (p *Pages) cspFor(extra []string) string {
	if len(extra) == 0 {
		return p.csp
	}
	fa := p.formAction
	for _, o := range extra {
		if o == "" || strings.ContainsAny(o, " ;,'\"") {
			continue
		}
		fa += " " + o
	}
	return cspWith(fa)
}

// Group is the page group: its paths and this renderer.
func (p *Pages) Group() httpapi.RouteGroup {
	return httpapi.RouteGroup{Name: "pages", Paths: Paths, Renderer: p}
}

// CSP is the Content-Security-Policy of every page.
func (p *Pages) CSP() string { return p.csp }

// link is a call to action under a notice.
type link struct {
	Href string
	Text string
}

// accountView is what the account and invitation pages show of the user.
type accountView struct {
	Name     string
	Email    string
	Verified bool
	Method   string
	AuthTime string
}

// view is the data of every template; a page uses the fields it needs.
type view struct {
	M     Messages
	Title string
	// CSRF is the token of the page's form; SessionCSRF, on pages shown
	// to a signed-in user, the session's token for same-origin scripts.
	CSRF        string
	SessionCSRF string
	ReturnTo    string
	Token       string
	Email       string
	Error       string
	Fields      map[string]string
	Account     accountView
	Text        string
	Link        *link
	RetryAfter  string
	RequestID   string
	// Providers are the sign-in page's external provider buttons.
	Providers []providerLink
	// Consent is the consent page's request.
	Consent consentView
	// FormTargets are origins the page's form may end at besides the
	// usual ones (see cspFor).
	FormTargets []string
	// SSOOffered shows the sign-in form's "Continue with SSO" button; SSO
	// is the way on to the connection it found.
	SSOOffered bool
	SSO        *ssoLink
	// Passkeys shows the sign-in page's "Sign in with a passkey", whose
	// script (Authy's own, nothing else) the page's CSP then admits.
	Passkeys bool
	// Security is the security page's content; SecurityLink shows the
	// account page's way there.
	Security     *securityView
	SecurityLink bool
}

type consentView struct {
	Client  string
	Scopes  []string
	Request string
}

// messages returns the catalogue language of the request.
func messages(c *fiber.Ctx) Messages { return messagesFor(c.Get(fiber.HeaderAcceptLanguage)) }

// render writes page name with status. The page is buffered first so that
// a template failure is an error page, never half a page.
func (p *Pages) render(c *fiber.Ctx, status int, name string, v view) error {
	t, ok := p.templates[name]
	if !ok {
		return fmt.Errorf("pages: no template %s", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		return fmt.Errorf("pages: render %s: %w", name, err)
	}
	p.headers(c)
	if len(v.FormTargets) > 0 {
		c.Set(fiber.HeaderContentSecurityPolicy, p.cspFor(v.FormTargets))
	}
	if v.Passkeys {
		c.Set(fiber.HeaderContentSecurityPolicy, withOwnScript(string(c.Response().Header.Peek(fiber.HeaderContentSecurityPolicy))))
	}
	return c.Status(status).Send(buf.Bytes())
}

func (p *Pages) headers(c *fiber.Ctx) {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderContentSecurityPolicy, p.csp)
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set(fiber.HeaderVary, fiber.HeaderAcceptLanguage)
}

// RenderError implements httpapi.Renderer: the error page, titled by the
// status, explained by the error's code when the catalogue knows it, with
// the request id as a reference. Nothing of the internal message is shown.
func (p *Pages) RenderError(c *fiber.Ctx, pr httpapi.Problem) error {
	m := messages(c)
	status := strconv.Itoa(pr.Status)
	title, text := "error.title."+status, "error.text."+status
	if !m.Has(title) {
		title, text = "error.title.default", "error.text.default"
	}
	v := view{M: m, Title: m.T(title), Text: m.T(text), RequestID: httpapi.RequestID(c)}
	if key := "error.code." + pr.Code; m.Has(key) {
		v.Text = m.T(key)
	}
	if pr.Status == fiber.StatusTooManyRequests || pr.Status == fiber.StatusServiceUnavailable {
		v.RetryAfter = string(c.Response().Header.Peek(fiber.HeaderRetryAfter))
	}
	t := p.templates["error"]
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		// The error template is embedded and tested: this cannot happen
		// with a released binary, and a plain answer is still an answer.
		c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
		return c.Status(pr.Status).SendString(m.T(title))
	}
	p.headers(c)
	return c.Status(pr.Status).Send(buf.Bytes())
}

// serveStylesheet serves the embedded stylesheet.
func serveStylesheet(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/css; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(stylesheet)
}
