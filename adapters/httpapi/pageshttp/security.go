package pageshttp

import (
	"context"
	_ "embed"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/secuird/authy/adapters/httpapi"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mfaport"
	"github.com/secuird/authy/ports/passkeyport"
	"github.com/secuird/authy/ports/sessionsport"
)

// Factors is what the security page needs of the mfa context (its
// mfaport.Service): the use cases of the JSON API's /users/me/mfa routes,
// with the same step-up rules.
type Factors interface {
	StartTOTP(ctx context.Context, p sessionsport.Principal) (mfaport.TOTPEnrolment, error)
	ConfirmTOTP(ctx context.Context, p sessionsport.Principal, factor uuid.UUID, code string) (mfaport.Confirmed, error)
	ListFactors(ctx context.Context, p sessionsport.Principal) (mfaport.Factors, error)
	RemoveFactor(ctx context.Context, p sessionsport.Principal, factor uuid.UUID, proof mfaport.Proof) error
	RegenerateRecoveryCodes(ctx context.Context, p sessionsport.Principal, proof mfaport.Proof) ([]string, error)
	VerifyFactor(ctx context.Context, p sessionsport.Principal, proof mfaport.Proof) (time.Time, error)
}

// PasskeyAccount is what the security page needs of the passkey context
// to list, rename and remove passkeys (registering one is the JSON API's,
// which the page's script calls).
type PasskeyAccount interface {
	List(ctx context.Context, p sessionsport.Principal) ([]passkeyport.PasskeyView, error)
	Rename(ctx context.Context, p sessionsport.Principal, id uuid.UUID, name string) (passkeyport.PasskeyView, error)
	Remove(ctx context.Context, p sessionsport.Principal, id uuid.UUID) error
}

//go:embed static/security.js
var securityScript []byte

// securityScriptPath is where the security page's script is served.
const securityScriptPath = "/assets/security.js"

func serveSecurityScript(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/javascript; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.Send(securityScript)
}

// securityView is what the security page shows.
type securityView struct {
	// Due names the organizations that require a factor the user has not
	// enrolled (the page a sign-in sent the browser to).
	Due []string
	// Continue is where the browser goes on to (the sign-in's return
	// target; "" when the page was opened on its own).
	Continue string
	Notice   string
	// StepUp asks for a factor check or a new sign-in before the change.
	StepUp bool
	// Setup is a started TOTP enrolment, RecoveryCodes a new set: both
	// shown this once.
	Setup         *totpSetup
	RecoveryCodes []string
	Factors       []factorRow
	HasTOTP       bool
	HasFactor     bool
	CodesLeft     int
	PasskeysOn    bool
	Passkeys      []passkeyRow
}

type totpSetup struct {
	FactorID string
	Secret   string
	URI      string
	// Link is URI as a link: html/template lets only http(s) and mailto
	// links through unless told, and an otpauth URI is checked first.
	Link template.URL
}

func newSetup(factor, secret, uri string) *totpSetup {
	if !strings.HasPrefix(uri, "otpauth://totp/") {
		return &totpSetup{FactorID: factor, Secret: secret, URI: uri}
	}
	return &totpSetup{FactorID: factor, Secret: secret, URI: uri, Link: template.URL(uri)} //nolint:gosec // scheme checked above
}

type factorRow struct {
	ID        string
	Kind      string
	Confirmed bool
	Created   string
	LastUsed  string
}

type passkeyRow struct {
	ID       string
	Name     string
	Created  string
	LastUsed string
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// securityPath is the page's address with its return target.
func securityPath(target string) string {
	if target == "" {
		return httpapi.SecurityPage
	}
	return httpapi.SecurityPage + "?return_to=" + url.QueryEscape(target)
}

// securityPrincipal is the signed-in browser's principal for the page's
// forms: a signed-out one is sent to sign in (and back to the page), a
// form without the session's CSRF token is refused before anything runs.
func (h handlers) securityPrincipal(c *fiber.Ctx, f httpapi.Form, target string) (sessionsport.Principal, bool, error) {
	p, ok, err := h.signedIn(c)
	if err != nil || !ok {
		if err == nil {
			err = redirect(c, "/login?return_to="+url.QueryEscape(securityPath(target)))
		}
		return p, false, err
	}
	if err := h.Browser.CheckCSRF(p, f.Get(httpapi.FieldCSRFToken)); err != nil {
		return p, false, err
	}
	return p, true, nil
}

// securityForm decodes one of the page's forms (fields, the CSRF token
// and the return target) and finds the signed-in principal; ok false means
// the answer is given (a redirect to sign in) or err says why not.
func (h handlers) securityForm(c *fiber.Ctx, fields ...string) (httpapi.Form, string, sessionsport.Principal, bool, error) {
	f, err := httpapi.DecodeForm(c, append(fields, httpapi.FieldCSRFToken, "return_to")...)
	if err != nil {
		return f, "", sessionsport.Principal{}, false, err
	}
	target, _ := h.returnTarget(c, f.Get("return_to"))
	p, ok, err := h.securityPrincipal(c, f, target)
	return f, target, p, ok, err
}

// security shows the account's second factors and passkeys, and, after a
// sign-in that owes a factor, which organizations ask for one.
func (h handlers) security(c *fiber.Ctx) error {
	p, ok, err := h.signedIn(c)
	if err != nil {
		return err
	}
	if !ok {
		return toLogin(c)
	}
	target, _ := h.returnTarget(c, strings.Clone(c.Query("return_to")))
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{}, "")
}

// renderSecurity renders the page with what sv already holds (a setup,
// new codes, a notice) and the account's current factors.
func (h handlers) renderSecurity(c *fiber.Ctx, status int, p sessionsport.Principal, target string, sv securityView, problem string) error {
	ctx := c.UserContext()
	fs, err := h.Factors.ListFactors(ctx, p)
	if err != nil {
		return err
	}
	m := messages(c)
	for _, f := range fs.Items {
		kind := f.Kind
		if key := "security.kind." + f.Kind; m.Has(key) {
			kind = m.T(key)
		}
		sv.Factors = append(sv.Factors, factorRow{ID: f.ID.String(), Kind: kind, Confirmed: f.Confirmed,
			Created: stamp(f.CreatedAt), LastUsed: stamp(f.LastUsedAt)})
		if f.Confirmed {
			sv.HasFactor = true
			sv.HasTOTP = sv.HasTOTP || f.Kind == "totp"
		}
	}
	sv.CodesLeft = fs.RecoveryCodesLeft
	if h.PasskeyAccount != nil {
		sv.PasskeysOn = true
		list, err := h.PasskeyAccount.List(ctx, p)
		if err != nil {
			return err
		}
		for _, k := range list {
			sv.Passkeys = append(sv.Passkeys, passkeyRow{ID: k.ID.String(), Name: k.Name,
				Created: stamp(k.CreatedAt), LastUsed: stamp(k.LastUsedAt)})
		}
		sv.HasFactor = sv.HasFactor || len(list) > 0
	}
	if h.Enrolment != nil {
		due, err := h.Enrolment.EnrolmentDue(ctx, p.UserID, p.Method)
		if err != nil {
			return err
		}
		for _, d := range due {
			sv.Due = append(sv.Due, d.Name)
		}
	}
	sv.Continue = target
	csrf := h.Browser.CSRFToken(p.SessionID)
	return h.Pages.render(c, status, "security", view{
		M: m, Title: m.T("security.title"), CSRF: csrf, SessionCSRF: csrf, ReturnTo: target, Error: problem,
		Security: &sv, Passkeys: sv.PasskeysOn,
	})
}

// securityFailed shows a refused change on the page: a step-up the
// session owes asks for it (403), a wrong code or bad input says so
// (400); anything else is the group's error page. Nothing changed.
func (h handlers) securityFailed(c *fiber.Ctx, p sessionsport.Principal, target string, sv securityView, err error) error {
	m := messages(c)
	switch {
	case codeOf(err) == codeStepUpRequired:
		sv.StepUp = true
		return h.renderSecurity(c, fiber.StatusForbidden, p, target, sv, m.T("security.step_up_required"))
	case codeOf(err) == codeInvalidCode:
		return h.renderSecurity(c, fiber.StatusBadRequest, p, target, sv, m.T("login_mfa.invalid_code"))
	case shared.KindOf(err) == shared.KindInvalid:
		return h.renderSecurity(c, fiber.StatusBadRequest, p, target, sv, m.T("security.invalid"))
	}
	return err
}

const (
	codeStepUpRequired = "mfa.step_up_required"
	codeInvalidCode    = "mfa.invalid_code"
)

// idOf parses a form's id; a malformed one reads as the nil id, which no
// factor or passkey has (the use case answers it not found).
func idOf(s string) uuid.UUID {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil
	}
	return id
}

// proofFrom is the optional code of a form: none asks for the step-up
// window instead.
func proofFrom(f httpapi.Form) mfaport.Proof {
	if strings.TrimSpace(f.Get("code")) == "" {
		return mfaport.Proof{}
	}
	return proofOf(f.Get("code"))
}

// startTOTP starts an authenticator enrolment and shows its secret.
func (h handlers) startTOTP(c *fiber.Ctx) error {
	_, target, p, ok, err := h.securityForm(c)
	if !ok {
		return err
	}
	e, err := h.Factors.StartTOTP(c.UserContext(), p)
	if err != nil {
		return h.securityFailed(c, p, target, securityView{}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{
		Setup: newSetup(e.FactorID.String(), e.Secret, e.URI),
	}, "")
}

// confirmTOTP confirms an enrolment with its first code; the first factor
// shows its recovery codes this once.
func (h handlers) confirmTOTP(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "factor", "code", "secret", "uri")
	if !ok {
		return err
	}
	code := strings.TrimSpace(f.Get("code"))
	res, err := h.Factors.ConfirmTOTP(c.UserContext(), p, idOf(f.Get("factor")), code)
	if err != nil {
		// A wrong code keeps the setup on the page, so the person can
		// try the next code of the authenticator they already added.
		sv := securityView{}
		if f.Get("secret") != "" && strings.HasPrefix(f.Get("uri"), "otpauth://totp/") {
			sv.Setup = newSetup(f.Get("factor"), f.Get("secret"), f.Get("uri"))
		}
		return h.securityFailed(c, p, target, sv, err)
	}
	m := messages(c)
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{
		RecoveryCodes: res.RecoveryCodes, Notice: m.T("security.totp_confirmed"),
	}, "")
}

// regenerateCodes replaces the recovery codes (a current code, or the
// step-up window) and shows the new set this once.
func (h handlers) regenerateCodes(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "code")
	if !ok {
		return err
	}
	codes, err := h.Factors.RegenerateRecoveryCodes(c.UserContext(), p, proofFrom(f))
	if err != nil {
		return h.securityFailed(c, p, target, securityView{}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{
		RecoveryCodes: codes, Notice: messages(c).T("security.codes_regenerated"),
	}, "")
}

// removeFactor removes a factor (a current code, or the step-up window).
func (h handlers) removeFactor(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "factor", "code")
	if !ok {
		return err
	}
	if err := h.Factors.RemoveFactor(c.UserContext(), p, idOf(f.Get("factor")), proofFrom(f)); err != nil {
		return h.securityFailed(c, p, target, securityView{}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{Notice: messages(c).T("security.factor_removed")}, "")
}

// verifyFactor checks a current code: the session passes step-up for the
// next changes.
func (h handlers) verifyFactor(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "code")
	if !ok {
		return err
	}
	proof := proofFrom(f)
	if proof.Empty() {
		return h.renderSecurity(c, fiber.StatusBadRequest, p, target, securityView{StepUp: true}, messages(c).T("login_mfa.invalid_code"))
	}
	if _, err := h.Factors.VerifyFactor(c.UserContext(), p, proof); err != nil {
		return h.securityFailed(c, p, target, securityView{StepUp: true}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{Notice: messages(c).T("security.verified")}, "")
}

// reauthenticate ends the browser's session and sends it to sign in
// again, back to the page: the way to the step-up window for an account
// with no code to give.
func (h handlers) reauthenticate(c *fiber.Ctx) error {
	_, target, p, ok, err := h.securityForm(c)
	if !ok {
		return err
	}
	if err := h.Sessions.Logout(c.UserContext(), p); err != nil && shared.KindOf(err) != shared.KindUnauthenticated {
		return err
	}
	h.Browser.ClearSession(c)
	return redirect(c, "/login?return_to="+url.QueryEscape(securityPath(target)))
}

// renamePasskey renames one of the account's passkeys.
func (h handlers) renamePasskey(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "passkey", "name")
	if !ok {
		return err
	}
	if _, err := h.PasskeyAccount.Rename(c.UserContext(), p, idOf(f.Get("passkey")), f.Get("name")); err != nil {
		return h.securityFailed(c, p, target, securityView{}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{Notice: messages(c).T("security.passkey_renamed")}, "")
}

// removePasskey removes one of the account's passkeys (step-up window).
func (h handlers) removePasskey(c *fiber.Ctx) error {
	f, target, p, ok, err := h.securityForm(c, "passkey")
	if !ok {
		return err
	}
	if err := h.PasskeyAccount.Remove(c.UserContext(), p, idOf(f.Get("passkey"))); err != nil {
		return h.securityFailed(c, p, target, securityView{}, err)
	}
	return h.renderSecurity(c, fiber.StatusOK, p, target, securityView{Notice: messages(c).T("security.passkey_removed")}, "")
}
