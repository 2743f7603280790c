package mailtemplates_test

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/secuird/authy/adapters/mailtemplates"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/mailport"
)

var at = time.Date(2025, 5, 6, 9, 30, 0, 0, time.UTC)

func newRenderer(t *testing.T) *mailtemplates.Renderer {
	t.Helper()
	r, err := mailtemplates.New(mailtemplates.Options{PublicURL: "https://auth.example.com/base/"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// samples holds data for every template, with the optional fields both set
// and empty.
func samples() []mailport.TemplateData {
	return []mailport.TemplateData{
		mailport.ContactEnquiry{EnquiryID: "5b0e7c36-1f43-4a53-9d8b-1f0f1d2c3b4a", Type: "demo", Name: "Ada Lovelace", Email: "ada@example.com",
			Company: "Engines Ltd", Phone: "+44 20 7946 0958", Message: "Please show us the product.\nThanks!", ReceivedAt: at},
		mailport.ContactEnquiry{EnquiryID: "e2", Type: "support", Name: "Grace", Email: "grace@example.com", Message: "Help", ReceivedAt: at},
		mailport.ContactEnquiry{EnquiryID: "e3", Type: "sales", Name: "S", Email: "s@example.com", Message: "m", ReceivedAt: at},
		mailport.ContactEnquiry{EnquiryID: "e4", Type: "general", Name: "G", Email: "g@example.com", Message: "m", ReceivedAt: at},
		mailport.EmailVerification{Name: "Ada", Token: "tok-1", ExpiresAt: at},
		mailport.EmailVerification{Token: "tok-2", ExpiresAt: at},
		mailport.PasswordReset{Name: "Ada", Token: "tok-3", ExpiresAt: at},
		mailport.EmailChangeNotice{Name: "Ada", NewEmail: "new@example.com", RequestedAt: at},
		mailport.EmailChangeConfirmation{Name: "Ada", NewEmail: "new@example.com", Token: "tok-4", ExpiresAt: at},
		mailport.Invitation{OrganizationName: "Acme", InviterName: "Bob", Role: "owner", Token: "tok-5", ExpiresAt: at},
		mailport.Invitation{OrganizationName: "Acme", Role: "admin", Token: "tok-6", ExpiresAt: at},
		mailport.Invitation{OrganizationName: "Acme", Role: "member", Token: "tok-7", ExpiresAt: at},
		mailport.RecoveryCodeUsed{Name: "Ada", UsedAt: at, CodesLeft: 1},
		mailport.RecoveryCodeUsed{UsedAt: at, CodesLeft: 7},
	}
}

func TestRender_EveryTemplateHasAOneLineSubjectATextAndAnHTMLPart(t *testing.T) {
	r := newRenderer(t)
	covered := map[mail.Template]bool{}
	for _, d := range samples() {
		covered[d.Template()] = true
		for _, locale := range []string{"en", "", "de-CH", "fr"} {
			got, err := r.Render(locale, d)
			if err != nil {
				t.Fatalf("%s in %q: %v", d.Template(), locale, err)
			}
			if got.Subject == "" || strings.ContainsAny(got.Subject, "\r\n") || got.Text == "" || !strings.HasPrefix(got.HTML, "<!DOCTYPE html>") {
				t.Fatalf("%s in %q: %+v", d.Template(), locale, got)
			}
			for _, part := range []string{got.Subject, got.Text, got.HTML} {
				if strings.Contains(part, "%!") || strings.Contains(part, "<no value>") {
					t.Fatalf("%s in %q: a formatting error in %q", d.Template(), locale, part)
				}
			}
			if !strings.Contains(got.HTML, `<html lang="en">`) || !strings.Contains(got.HTML, "<title>") {
				t.Fatalf("%s: the HTML part needs its language and title:\n%s", d.Template(), got.HTML)
			}
		}
	}
	for _, tpl := range mail.Templates() {
		if !covered[tpl] {
			t.Fatalf("no sample renders %s", tpl)
		}
	}
}

func TestRender_TheContactEnquiryNamesEveryFieldAndAnswersTheVisitor(t *testing.T) {
	got, err := newRenderer(t).Render("en", samples()[0])
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "[Contact] Demo request from Ada Lovelace (Engines Ltd)" {
		t.Fatalf("subject %q", got.Subject)
	}
	for _, want := range []string{"Demo request (demo)", "Ada Lovelace", "ada@example.com", "Engines Ltd", "+44 20 7946 0958",
		"Please show us the product.\nThanks!", "5b0e7c36-1f43-4a53-9d8b-1f0f1d2c3b4a", "Tue, 6 May 2025 09:30 UTC",
		"Replying to this mail answers Ada Lovelace at ada@example.com."} {
		if !strings.Contains(got.Text, want) {
			t.Fatalf("text lacks %q:\n%s", want, got.Text)
		}
	}
	if !strings.Contains(got.HTML, "Please show us the product.\nThanks!") || !strings.Contains(got.HTML, "Engines Ltd") {
		t.Fatalf("html:\n%s", got.HTML)
	}
	noCompany, err := newRenderer(t).Render("en", samples()[1])
	if err != nil {
		t.Fatal(err)
	}
	if noCompany.Subject != "[Contact] Support request from Grace" || !strings.Contains(noCompany.Text, "Company:  -") {
		t.Fatalf("without a company: %q\n%s", noCompany.Subject, noCompany.Text)
	}
}

func TestRender_TheHTMLPartEscapesEveryValueFromTheData(t *testing.T) {
	const evil = `<script>alert(1)</script><img src=x onerror=alert(2)>"'&`
	r := newRenderer(t)
	for _, d := range []mailport.TemplateData{
		mailport.ContactEnquiry{EnquiryID: evil, Type: evil, Name: evil, Email: evil, Company: evil, Phone: evil, Message: evil, ReceivedAt: at},
		mailport.Invitation{OrganizationName: evil, InviterName: evil, Role: evil, Token: evil, ExpiresAt: at},
		mailport.EmailChangeNotice{Name: evil, NewEmail: evil, RequestedAt: at},
		mailport.EmailChangeConfirmation{Name: evil, NewEmail: evil, Token: evil, ExpiresAt: at},
	} {
		got, err := r.Render("en", d)
		if err != nil {
			t.Fatal(err)
		}
		for _, raw := range []string{"<script", "<img", `"'`} {
			if strings.Contains(got.HTML, raw) {
				t.Fatalf("%s: %q reached the HTML part unescaped:\n%s", d.Template(), raw, got.HTML)
			}
		}
		if !strings.Contains(got.HTML, "&lt;script&gt;") {
			t.Fatalf("%s: the value is missing or not escaped:\n%s", d.Template(), got.HTML)
		}
		if !strings.Contains(got.Text, evil) && d.Template() != mail.TemplateEmailChangeConfirmation {
			t.Fatalf("%s: the text part must hold the value as it is:\n%s", d.Template(), got.Text)
		}
	}
}

func TestRender_LinksComeFromThePublicURLWithTheTokenEscaped(t *testing.T) {
	r := newRenderer(t)
	const token = "a+b/c=&next=https://evil.example#frag"
	cases := []struct {
		data mailport.TemplateData
		path string
	}{
		{mailport.EmailVerification{Token: token, ExpiresAt: at}, "/verify-email"},
		{mailport.PasswordReset{Token: token, ExpiresAt: at}, "/reset-password"},
		{mailport.EmailChangeConfirmation{NewEmail: "n@example.com", Token: token, ExpiresAt: at}, "/verify-email"},
		{mailport.Invitation{OrganizationName: "Acme", Role: "member", Token: token, ExpiresAt: at}, "/invitations/accept"},
	}
	for _, tc := range cases {
		t.Run(tc.path, func(t *testing.T) {
			got, err := r.Render("en", tc.data)
			if err != nil {
				t.Fatal(err)
			}
			want := "https://auth.example.com/base" + tc.path + "?token=" + url.QueryEscape(token)
			if !strings.Contains(got.Text, want+"\n") {
				t.Fatalf("text lacks %s:\n%s", want, got.Text)
			}
			if !strings.Contains(got.HTML, `href="`+strings.ReplaceAll(want, "&", "&amp;")+`"`) && !strings.Contains(got.HTML, `href="`+want+`"`) {
				t.Fatalf("html lacks a link to %s:\n%s", want, got.HTML)
			}
			u, err := url.Parse(want)
			if err != nil || u.Query().Get("token") != token || u.Query().Has("next") || u.Fragment != "" {
				t.Fatalf("the token must stay one query value: %v %v", u, err)
			}
		})
	}
}

func TestRender_ALinkWithoutItsTokenIsRefused(t *testing.T) {
	r := newRenderer(t)
	for _, d := range []mailport.TemplateData{
		mailport.EmailVerification{ExpiresAt: at}, mailport.PasswordReset{ExpiresAt: at},
		mailport.EmailChangeConfirmation{ExpiresAt: at}, mailport.Invitation{ExpiresAt: at},
	} {
		if _, err := r.Render("en", d); err == nil {
			t.Fatalf("%s without a token must be refused", d.Template())
		}
	}
	if _, err := r.Render("en", nil); err == nil {
		t.Fatal("no data must be refused")
	}
}

func TestRender_DecodedDataRendersLikeItsValue(t *testing.T) {
	r := newRenderer(t)
	for _, d := range samples() {
		ptr, ok := mailport.NewTemplateData(d.Template())
		if !ok {
			t.Fatalf("no decoder for %s", d.Template())
		}
		copyInto(t, ptr, d)
		a, errA := r.Render("en", d)
		b, errB := r.Render("en", ptr)
		if errA != nil || errB != nil || a != b {
			t.Fatalf("%s: %v %v, renders differ", d.Template(), errA, errB)
		}
	}
}

func TestRender_PluralsFollowTheCount(t *testing.T) {
	r := newRenderer(t)
	one, _ := r.Render("en", mailport.RecoveryCodeUsed{UsedAt: at, CodesLeft: 1})
	many, _ := r.Render("en", mailport.RecoveryCodeUsed{UsedAt: at, CodesLeft: 0})
	if !strings.Contains(one.Text, "You have 1 recovery code left.") || !strings.Contains(many.Text, "You have 0 recovery codes left.") {
		t.Fatalf("plurals:\n%s\n%s", one.Text, many.Text)
	}
}

func TestNew_RefusesAPublicURLThatCannotBaseALink(t *testing.T) {
	for _, u := range []string{"", "auth.example.com", "ftp://auth.example.com", "https://", "https://u:p@auth.example.com", "https://auth.example.com/?x=1", "https://auth.example.com/#f"} {
		if _, err := mailtemplates.New(mailtemplates.Options{PublicURL: u}); err == nil {
			t.Fatalf("PUBLIC_URL %q must be refused", u)
		}
	}
}

// copyInto fills the decoded form dst with src's fields, as the outbox's
// JSON round trip does.
func copyInto(t *testing.T, dst, src mailport.TemplateData) {
	t.Helper()
	raw, err := json.Marshal(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		t.Fatal(err)
	}
}
