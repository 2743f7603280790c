package httpapi

import (
	"net/url"

	"github.com/secuird/authy/ports/sessionsport"
)

// MFAEnrolment is what a sign-in's JSON answer says of the organizations
// that require a second factor its user has not enrolled: the session
// started, and those organizations answer 403
// organizations.mfa_enrolment_required until a factor is confirmed.
// Embedded in a sign-in's response struct, its fields sit beside the
// token.
type MFAEnrolment struct {
	Required      bool                   `json:"mfa_enrolment_required"`
	Organizations []MFAEnrolmentRequired `json:"mfa_enrolment_organizations,omitempty"`
}

// MFAEnrolmentRequired is one organization requiring the factor.
type MFAEnrolmentRequired struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// MFAEnrolmentOf maps a new session's organizations that require a factor.
func MFAEnrolmentOf(s sessionsport.IssuedSession) MFAEnrolment {
	if len(s.EnrolmentDue) == 0 {
		return MFAEnrolment{}
	}
	out := MFAEnrolment{Required: true, Organizations: make([]MFAEnrolmentRequired, len(s.EnrolmentDue))}
	for i, d := range s.EnrolmentDue {
		out.Organizations[i] = MFAEnrolmentRequired{ID: d.Organization.String(), Name: d.Name}
	}
	return out
}

// SecurityPage is the hosted page where a browser's user enrols a second
// factor.
const SecurityPage = "/account/security"

// AfterSignIn is where a browser goes once a sign-in put its session in the
// cookie: target (already checked by the caller's return policy), unless
// an organization of the user requires a second factor the user has not
// enrolled: then the security page first, which leads on to target.
func AfterSignIn(s sessionsport.IssuedSession, target string) string {
	if len(s.EnrolmentDue) == 0 {
		return target
	}
	return SecurityPage + "?return_to=" + url.QueryEscape(target)
}
