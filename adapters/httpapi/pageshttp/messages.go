package pageshttp

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// defaultLanguage is the catalogue's complete language: a key missing in
// another language falls back to it.
const defaultLanguage = "en"

// catalogue holds every string a person sees on the pages, by language
// and key. A translation adds a language here with the same keys (a test
// checks each language has exactly the keys English has, and that every
// key the templates and handlers name exists). Placeholders are {0}, {1},
// ... so a translation may reorder them.
var catalogue = map[string]map[string]string{
	"en": {
		"app.name":    "Authy",
		"page.title":  "{0} · Authy",
		"form.errors": "Please correct the marked fields.",

		"field.required":       "This field is required.",
		"field.too_long":       "This is too long.",
		"field.invalid":        "This value is not accepted.",
		"field.email":          "Enter a valid email address.",
		"password.too_short":   "Use at least 8 characters.",
		"password.too_long":    "Use at most 128 characters.",
		"password.too_common":  "This password is too common; choose a less predictable one.",
		"password.is_email":    "Do not use your email address as your password.",
		"password.control":     "The password must not contain control characters.",
		"password.mismatch":    "The two passwords differ.",
		"password.new_differs": "The new password must differ from the current one.",

		"login.title":               "Sign in",
		"login.intro":               "Sign in with your email address and password.",
		"login.email":               "Email address",
		"login.password":            "Password",
		"login.submit":              "Sign in",
		"login.sso_submit":          "Continue with SSO",
		"login.sso_continue":        "Continue with {0}",
		"login.sso_found":           "Your organization signs you in with its single sign-on.",
		"login.sso_none":            "No single sign-on is set up for this address. Sign in with your password instead.",
		"login.sso_email_required":  "Enter your work email address to continue with SSO.",
		"login.forgot":              "Forgot your password?",
		"login.passkey":             "Sign in with a passkey",
		"login_mfa.passkey":         "Use a passkey instead",
		"login.passkey_failed":      "That passkey could not sign you in. Try again, or sign in with your password.",
		"login.invalid_credentials": "The email address or the password is not correct.",
		"login.providers":           "Or continue with",
		"login_mfa.title":           "Enter your code",
		"login_mfa.intro":           "Your account has two-step sign-in: enter the code your authenticator app shows.",
		"login_mfa.code":            "Code",
		"login_mfa.recovery_hint":   "No authenticator at hand? Enter one of your recovery codes instead.",
		"login_mfa.submit":          "Verify",
		"login_mfa.restart":         "Start again",
		"login_mfa.invalid_code":    "This code is not valid. Try the current one.",
		"login_mfa.restart_needed":  "This sign-in has expired or is no longer valid. Sign in again.",
		"login.with":                "Continue with {0}",

		"account.title":      "Your account",
		"account.signed_in":  "You are signed in as {0}.",
		"account.name":       "Name",
		"account.email":      "Email address",
		"account.verified":   "verified",
		"account.unverified": "not verified yet",
		"account.method":     "Signed in with",
		"account.since":      "Signed in at",
		"account.sign_out":   "Sign out",
		"account.security":   "Two-step sign-in and passkeys",

		"security.title":             "Sign-in security",
		"security.due":               "{0} requires two-step sign-in. Set up an authenticator app or a passkey to open it; your other organizations are open already.",
		"security.continue":          "Continue",
		"security.later":             "Not now",
		"security.invalid":           "This value is not accepted.",
		"security.step_up_required":  "This change needs a recent sign-in. Enter a code from your authenticator, or sign in again.",
		"security.step_up_code":      "Code",
		"security.step_up_submit":    "Verify",
		"security.reauthenticate":    "Sign in again",
		"security.verified":          "Verified. You can make changes for the next five minutes.",
		"security.factors":           "Two-step sign-in",
		"security.none":              "No second factor is set up.",
		"security.kind.totp":         "Authenticator app",
		"security.pending":           "not confirmed yet",
		"security.added":             "added {0}",
		"security.last_used":         "last used {0}",
		"security.remove":            "Remove",
		"security.remove_code":       "Current code (optional)",
		"security.start_totp":        "Set up an authenticator app",
		"security.setup_intro":       "Add this account to your authenticator app, by its link or by typing the key, then enter the code it shows.",
		"security.setup_secret":      "Key",
		"security.setup_uri":         "Open in an authenticator app",
		"security.setup_code":        "Code from the app",
		"security.setup_submit":      "Confirm",
		"security.totp_confirmed":    "Your authenticator app is set up.",
		"security.codes_title":       "Your recovery codes",
		"security.codes_intro":       "Keep these codes somewhere safe. Each one signs you in once if your authenticator is not at hand. They are shown only now.",
		"security.codes_left":        "Recovery codes left: {0}",
		"security.codes_regenerate":  "Make new recovery codes",
		"security.codes_regenerated": "New recovery codes are made; the old ones no longer work.",
		"security.factor_removed":    "The factor is removed.",
		"security.passkeys":          "Passkeys",
		"security.passkeys_none":     "No passkey is registered.",
		"security.passkey_name":      "Name",
		"security.passkey_rename":    "Rename",
		"security.passkey_add":       "Add a passkey",
		"security.passkey_failed":    "The passkey could not be registered. Try again.",
		"security.passkey_renamed":   "The passkey is renamed.",
		"security.passkey_removed":   "The passkey is removed.",

		"method.password": "password",

		"logout.title":      "Sign out",
		"logout.confirm":    "Do you want to sign out of Authy on this browser?",
		"logout.submit":     "Sign out",
		"logout.cancel":     "Stay signed in",
		"logout.done_title": "Signed out",
		"logout.done":       "You are signed out on this browser.",
		"logout.sign_in":    "Sign in again",

		"verify.title":      "Confirm your email address",
		"verify.intro":      "Confirm the email address this link was sent to.",
		"verify.submit":     "Confirm the email address",
		"verify.done_title": "Email address confirmed",
		"verify.done":       "{0} is confirmed.",
		"verify.changed":    "Your account now uses {0}. Your other sessions were signed out.",
		"verify.missing":    "This link is incomplete. Open the link from the email again.",
		"verify.continue":   "Continue",
		"verify.unlinked":   "For your safety, sign-in through {0} was removed from this account: it never confirmed that this email address is its own. If that sign-in is yours, link it again from your account.",

		"forgot.title":      "Reset your password",
		"forgot.intro":      "Enter the email address of your account. We will send a link to choose a new password.",
		"forgot.email":      "Email address",
		"forgot.submit":     "Send the link",
		"forgot.done_title": "Check your email",
		"forgot.done":       "If an account uses {0}, a link to choose a new password is on its way. It works once, within 30 minutes.",
		"forgot.back":       "Back to sign in",

		"reset.title":      "Choose a new password",
		"reset.intro":      "Choose the new password of your account.",
		"reset.new":        "New password",
		"reset.new_hint":   "At least 8 characters.",
		"reset.confirm":    "Repeat the new password",
		"reset.submit":     "Set the new password",
		"reset.done_title": "Password changed",
		"reset.done":       "Your password is changed and every session of your account was signed out.",
		"reset.sign_in":    "Sign in with the new password",
		"reset.missing":    "This link is incomplete. Open the link from the email again.",

		"invitation.title":      "Join an organization",
		"invitation.intro":      "You were invited to join an organization on Authy. Accept to become a member, signed in as {0}.",
		"invitation.submit":     "Accept the invitation",
		"invitation.done_title": "Invitation accepted",
		"invitation.done":       "You are now a member of {0} with the role {1}.",
		"invitation.missing":    "This link is incomplete. Open the link from the email again.",
		"invitation.account":    "Go to your account",

		"error.reference":   "Reference: {0}",
		"error.retry_after": "Try again in {0} seconds.",
		"error.home":        "Go to the sign-in page",

		"error.title.400":     "This request cannot be used",
		"error.title.401":     "Sign-in needed",
		"error.title.403":     "Not allowed",
		"error.title.404":     "Page not found",
		"error.title.405":     "Not available this way",
		"error.title.409":     "This cannot be done now",
		"error.title.413":     "Too much data",
		"error.title.415":     "Unexpected form",
		"error.title.429":     "Too many attempts",
		"error.title.431":     "This request cannot be used",
		"error.title.500":     "Something went wrong",
		"error.title.503":     "Temporarily unavailable",
		"error.title.default": "This request cannot be used",

		"error.text.400":     "The request was not understood. Go back and try again.",
		"error.text.401":     "Sign in to continue.",
		"error.text.403":     "You are not allowed to do this.",
		"error.text.404":     "There is nothing at this address.",
		"error.text.405":     "This page cannot be used this way.",
		"error.text.409":     "This cannot be done in the current state.",
		"error.text.413":     "The form sent too much data.",
		"error.text.415":     "The form was not sent the way this page expects.",
		"error.text.429":     "Too many attempts in a short time. Wait a moment, then try again.",
		"error.text.431":     "The request was too large.",
		"error.text.500":     "An unexpected error occurred. Try again later.",
		"error.text.503":     "The service cannot answer right now. Try again in a moment.",
		"error.text.default": "The request could not be served.",

		"error.code.auth.csrf_invalid":                            "This form has expired or was not sent from this site. Go back, reload the page and try again.",
		"error.code.identity.login_rate_limited":                  "Too many sign-in attempts. Wait a moment, then try again.",
		"error.code.identity.token_invalid":                       "This link is not valid. Ask for a new one.",
		"error.code.identity.token_used":                          "This link was already used. Ask for a new one if you need to.",
		"error.code.identity.token_expired":                       "This link has expired. Ask for a new one.",
		"error.code.identity.email_taken":                         "Another account already uses this email address.",
		"error.code.organizations.invitation_not_found":           "This invitation does not exist or is for another email address. Sign in with the invited address.",
		"error.code.organizations.invitation_expired":             "This invitation has expired. Ask for a new one.",
		"error.code.organizations.invitation_already_accepted":    "This invitation was already accepted.",
		"error.code.organizations.invitation_declined":            "This invitation was declined.",
		"error.code.organizations.invitation_cancelled":           "This invitation was withdrawn.",
		"error.code.organizations.invitation_inviter_not_allowed": "The person who invited you may no longer grant this role. Ask for a new invitation.",
		"error.code.organizations.email_unverified":               "Confirm your email address (open the link we mailed you) before you use invitations.",
		"error.code.identity.link_token_rate_limited":             "Too many links opened from this address. Wait a moment, then try again.",
		"error.code.identity.password_reset_rate_limited":         "Too many reset requests. Wait a while, then try again.",
		"error.code.identity.password_reset_busy":                 "Too many reset requests right now. Try again in a moment.",
		"error.code.organizations.already_member":                 "You are already a member of this organization.",
		"error.code.federation.state_invalid":                     "This sign-in attempt is not valid or was already used. Start again.",
		"error.code.federation.state_expired":                     "This sign-in attempt took too long and expired. Start again.",
		"error.code.federation.browser_mismatch":                  "This sign-in was started in another browser. Start again here.",
		"error.code.federation.consent_denied":                    "The sign-in was cancelled at the provider.",
		"error.code.federation.provider_error":                    "The provider did not complete the sign-in. Try again.",
		"error.code.federation.token_invalid":                     "The provider's answer could not be verified. Try again.",
		"error.code.federation.provider_unavailable":              "The provider cannot be reached right now. Try again in a moment.",
		"error.code.federation.unknown_provider":                  "This sign-in provider is not available.",
		"error.code.federation.email_missing":                     "The provider did not share an email address, which an account needs.",
		"error.code.federation.link_requires_sign_in":             "An account already uses this email address. Sign in with its password first, then link this provider to it.",
		"error.code.federation.identity_taken":                    "This provider account is already linked to another user.",
		"error.code.federation.reauthentication_required":         "Sign in again to link a provider.",
		"error.code.federation.rate_limited":                      "Too many sign-in attempts from this address. Wait a moment, then try again.",
		"error.code.sso.required":                                 "Your organization signs you in with its single sign-on. Use \"Continue with SSO\" with your work address.",
		"error.code.sso.state_invalid":                            "This sign-in attempt is not valid or was already used. Start again.",
		"error.code.sso.state_expired":                            "This sign-in attempt took too long and expired. Start again.",
		"error.code.sso.browser_mismatch":                         "This sign-in was started in another browser. Start again here.",
		"error.code.sso.consent_denied":                           "The sign-in was cancelled at your organization's identity provider.",
		"error.code.sso.provider_error":                           "Your organization's identity provider did not complete the sign-in. Try again.",
		"error.code.sso.token_invalid":                            "The identity provider's answer could not be verified. Try again.",
		"error.code.sso.idp_unavailable":                          "Your organization's identity provider cannot be reached right now. Try again in a moment.",
		"error.code.sso.idp_invalid":                              "Your organization's single sign-on is not set up correctly. Ask its owners.",
		"error.code.sso.email_missing":                            "The identity provider did not share an email address, which an account needs.",
		"error.code.sso.email_outside_domains":                    "Your address is not in a domain of this organization's single sign-on, so it cannot sign you in.",
		"error.code.sso.account_exists":                           "An account already uses this address but never confirmed it. Confirm it (open the link we mailed, or reset the password) first, then use single sign-on.",
		"error.code.sso.connection_disabled":                      "This organization's single sign-on is switched off. Ask its owners.",
		"error.code.sso.connection_unavailable":                   "This single sign-on connection is not available.",
		"error.code.sso.rate_limited":                             "Too many sign-in attempts from this address. Wait a moment, then try again.",
		"error.code.oauth.unknown_client":                         "The application that sent you here is not registered with Authy.",
		"error.code.oauth.redirect_uri_mismatch":                  "The application that sent you here asked to return to an address it has not registered. Nothing was sent to it.",
		"error.code.oauth.invalid_authorize_request":              "The application that sent you here made a request Authy cannot accept.",
		"error.code.oauth.authorize_request_not_found":            "This sign-in for an application has expired or was already completed. Go back to the application and start again.",
		"error.code.oauth.consent_other_account":                  "This request was opened for another account. Go back to the application and start again.",
		"error.code.oauth.logout_redirect_invalid":                "The application asked to return to an address it has not registered, so Authy stays here.",
		"error.code.oauth.id_token_hint_invalid":                  "The sign-out request could not be verified.",

		"consent.title":        "Allow {0}?",
		"consent.intro":        "{0} asks to use your Authy account ({1}) for:",
		"consent.allow":        "Allow",
		"consent.deny":         "Deny",
		"consent.note":         "You can withdraw this at any time from your account.",
		"scope.openid":         "Sign you in with your Authy account",
		"scope.profile":        "Your name",
		"scope.email":          "Your email address",
		"scope.offline_access": "Stay connected while you are away (refresh tokens)",
		"scope.organizations":  "Your organizations and your role in each",
		"scope.other":          "Access named \"{0}\"",
	},
}

// Messages looks keys up in one language, falling back to English. A key
// missing in English too is shown as itself, which the catalogue test
// never lets happen.
type Messages struct {
	lang    string
	strings map[string]string
}

// Lang is the language's tag, for the html element's lang attribute.
func (m Messages) Lang() string { return m.lang }

// Has reports whether the catalogue names key.
func (m Messages) Has(key string) bool {
	if _, ok := m.strings[key]; ok {
		return true
	}
	_, ok := catalogue[defaultLanguage][key]
	return ok
}

// T returns the text of key.
func (m Messages) T(key string) string {
	if s, ok := m.strings[key]; ok {
		return s
	}
	if s, ok := catalogue[defaultLanguage][key]; ok {
		return s
	}
	return key
}

// F returns the text of key with {0}, {1}, ... replaced by args.
func (m Messages) F(key string, args ...any) string {
	s := m.T(key)
	for i, a := range args {
		s = strings.ReplaceAll(s, "{"+strconv.Itoa(i)+"}", fmt.Sprint(a))
	}
	return s
}

// messagesFor picks the best catalogue language for an Accept-Language
// header: the highest-weighted tag the catalogue has, by its full tag or
// its primary subtag ("fr-CA" finds "fr"), else English.
func messagesFor(acceptLanguage string) Messages {
	type choice struct {
		tag string
		q   float64
	}
	var choices []choice
	for i, part := range strings.Split(acceptLanguage, ",") {
		if i >= 16 {
			break // a header with dozens of tags is not worth reading
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		if tag = strings.ToLower(strings.TrimSpace(tag)); tag != "" && tag != "*" && q > 0 {
			choices = append(choices, choice{tag, q})
		}
	}
	sort.SliceStable(choices, func(i, j int) bool { return choices[i].q > choices[j].q })
	for _, c := range choices {
		if s, ok := catalogue[c.tag]; ok {
			return Messages{lang: c.tag, strings: s}
		}
		primary, _, _ := strings.Cut(c.tag, "-")
		if s, ok := catalogue[primary]; ok {
			return Messages{lang: primary, strings: s}
		}
	}
	return Messages{lang: defaultLanguage, strings: catalogue[defaultLanguage]}
}
