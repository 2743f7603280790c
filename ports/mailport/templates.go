package mailport

import (
	"time"

	"github.com/secuird/authy/domain/mail"
)

// TemplateData is the typed data of one template: one of the structs in
// this file, nothing else (the set is closed by an unexported method).
// Links are not data: a template with a Token gets its link built by the
// renderer from PUBLIC_URL, so no caller can point a mail elsewhere.
type TemplateData interface {
	Template() mail.Template
	templateData()
}

// NewTemplateData returns a pointer to the zero data of t, to decode stored
// data into.
func NewTemplateData(t mail.Template) (TemplateData, bool) {
	switch t {
	case mail.TemplateContactEnquiry:
		return &ContactEnquiry{}, true
	case mail.TemplateEmailVerification:
		return &EmailVerification{}, true
	case mail.TemplatePasswordReset:
		return &PasswordReset{}, true
	case mail.TemplateEmailChangeNotice:
		return &EmailChangeNotice{}, true
	case mail.TemplateEmailChangeConfirmation:
		return &EmailChangeConfirmation{}, true
	case mail.TemplateInvitation:
		return &Invitation{}, true
	case mail.TemplateRecoveryCodeUsed:
		return &RecoveryCodeUsed{}, true
	}
	return nil, false
}

// ReplyTo is implemented by data whose mail answers someone else than the
// sender (a contact enquiry answers the visitor).
type ReplyTo interface {
	ReplyTo() (name, address string)
}

// ContactEnquiry tells the team about an enquiry from the contact form.
// The enquiry's fields were validated by the contact domain (single-line
// fields hold no line break); the sender still treats them as untrusted.
type ContactEnquiry struct {
	EnquiryID  string    `json:"enquiry_id"`
	Type       string    `json:"type"` // demo | sales | general | support
	Name       string    `json:"name"`
	Email      string    `json:"email"`
	Company    string    `json:"company,omitempty"`
	Phone      string    `json:"phone,omitempty"`
	Message    string    `json:"message"`
	ReceivedAt time.Time `json:"received_at"`
}

// EmailVerification carries the link {PUBLIC_URL}/verify-email?token=….
type EmailVerification struct {
	Name      string    `json:"name,omitempty"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// PasswordReset carries the link {PUBLIC_URL}/reset-password?token=….
type PasswordReset struct {
	Name      string    `json:"name,omitempty"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// EmailChangeNotice tells the old address that a change to NewEmail was
// requested (it takes effect once the new address is confirmed).
type EmailChangeNotice struct {
	Name        string    `json:"name,omitempty"`
	NewEmail    string    `json:"new_email"`
	RequestedAt time.Time `json:"requested_at"`
}

// EmailChangeConfirmation goes to the new address and carries the link
// {PUBLIC_URL}/verify-email?token=… that confirms it.
type EmailChangeConfirmation struct {
	Name      string    `json:"name,omitempty"`
	NewEmail  string    `json:"new_email"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Invitation carries the link {PUBLIC_URL}/invitations/accept?token=….
type Invitation struct {
	OrganizationName string    `json:"organization_name"`
	InviterName      string    `json:"inviter_name,omitempty"` // empty: the mail names no inviter
	Role             string    `json:"role"`                   // owner | admin | member
	Token            string    `json:"token"`
	ExpiresAt        time.Time `json:"expires_at"`
}

// RecoveryCodeUsed tells the account owner that a recovery code was used
// to sign in, and how many are left.
type RecoveryCodeUsed struct {
	Name      string    `json:"name,omitempty"`
	UsedAt    time.Time `json:"used_at"`
	CodesLeft int       `json:"codes_left"`
}

// Template implements TemplateData.
func (ContactEnquiry) Template() mail.Template { return mail.TemplateContactEnquiry }

// Template implements TemplateData.
func (EmailVerification) Template() mail.Template { return mail.TemplateEmailVerification }

// Template implements TemplateData.
func (PasswordReset) Template() mail.Template { return mail.TemplatePasswordReset }

// Template implements TemplateData.
func (EmailChangeNotice) Template() mail.Template { return mail.TemplateEmailChangeNotice }

// Template implements TemplateData.
func (EmailChangeConfirmation) Template() mail.Template {
	return mail.TemplateEmailChangeConfirmation
}

// Template implements TemplateData.
func (Invitation) Template() mail.Template { return mail.TemplateInvitation }

// Template implements TemplateData.
func (RecoveryCodeUsed) Template() mail.Template { return mail.TemplateRecoveryCodeUsed }

func (ContactEnquiry) templateData()          {}
func (EmailVerification) templateData()       {}
func (PasswordReset) templateData()           {}
func (EmailChangeNotice) templateData()       {}
func (EmailChangeConfirmation) templateData() {}
func (Invitation) templateData()              {}
func (RecoveryCodeUsed) templateData()        {}

// ReplyTo implements ReplyTo: replying to the team's mail answers the
// visitor.
func (c ContactEnquiry) ReplyTo() (name, address string) { return c.Name, c.Email }
