package provisioning

import (
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
)

// Bounds of a User's attributes.
const (
	MaxAttributeLength = 256
	MaxEmails          = 10
)

// Email is one entry of a User's emails attribute.
type Email struct {
	Value   string
	Type    string
	Primary bool
}

// Attributes are what the identity provider says of a person: the SCIM
// core User attributes Authy keeps. UserName is the person's email address,
// which names their Authy account.
type Attributes struct {
	UserName    string
	ExternalID  string
	GivenName   string
	FamilyName  string
	Formatted   string
	DisplayName string
	Emails      []Email
	Active      bool
}

// Clean checks every attribute and returns them normalized: userName is
// parsed as an email address (shared.ParseEmail: the spelling accounts
// use), texts are trimmed and bounded, at most one email is primary. Each
// refusal names its attribute.
func (a Attributes) Clean() (Attributes, error) {
	fe := shared.FieldErrors{}
	email, reason := shared.ParseEmail(a.UserName)
	if reason != "" {
		fe.Add("userName", "must be the person's email address: "+reason)
	}
	a.UserName = email.String()
	for _, f := range []struct {
		name string
		v    *string
	}{
		{"externalId", &a.ExternalID}, {"name.givenName", &a.GivenName}, {"name.familyName", &a.FamilyName},
		{"name.formatted", &a.Formatted}, {"displayName", &a.DisplayName},
	} {
		var reason string
		if *f.v, reason = cleanText(*f.v); reason != "" {
			fe.Add(f.name, reason)
		}
	}
	if len(a.Emails) > MaxEmails {
		fe.Add("emails", "must have at most 10 entries")
	}
	emails := make([]Email, 0, len(a.Emails))
	primary := false
	for _, e := range a.Emails {
		v, reason := shared.ParseEmail(e.Value)
		if reason != "" {
			fe.Add("emails", "value "+reason)
			continue
		}
		typ, reason := cleanText(e.Type)
		if reason != "" {
			fe.Add("emails", "type "+reason)
			continue
		}
		if e.Primary && primary {
			fe.Add("emails", "must have at most one primary entry")
		}
		primary = primary || e.Primary
		emails = append(emails, Email{Value: v.String(), Type: strings.ToLower(typ), Primary: e.Primary})
	}
	a.Emails = emails
	if err := fe.Err(CodeInvalidValue); err != nil {
		return Attributes{}, err
	}
	return a, nil
}

// Name is the display name an account created for the person gets:
// displayName, else the formatted name, else given and family names.
func (a Attributes) Name() string {
	switch {
	case a.DisplayName != "":
		return a.DisplayName
	case a.Formatted != "":
		return a.Formatted
	}
	return strings.TrimSpace(a.GivenName + " " + a.FamilyName)
}

func cleanText(s string) (string, string) {
	s = strings.TrimSpace(s)
	switch {
	case !utf8.ValidString(s):
		return "", "must be valid UTF-8"
	case utf8.RuneCountInString(s) > MaxAttributeLength:
		return "", "must be at most 256 characters"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return "", "must not contain control characters"
		}
	}
	if shared.HasInvisible(s) {
		return "", shared.ReasonInvisibleText
	}
	return s, ""
}

// User is one SCIM User resource of an organization: the identity
// provider's attributes of a person and the Authy account they provision.
//
// Invariants: attributes are clean (Attributes.Clean); the account never
// changes (a new userName does not move the resource to another account:
// Authy accounts change their address only through their owner's
// confirmed change); version grows by one with every change; invitation
// names the pending invitation sent instead of a membership, if any.
type User struct {
	id             uuid.UUID
	organization   shared.OrganizationID
	account        shared.UserID
	attrs          Attributes
	accountCreated bool
	invitation     uuid.UUID
	version        int
	createdAt      time.Time
	updatedAt      time.Time
}

// NewUser provisions a person: attrs must be clean; accountCreated says the
// account was opened for this resource.
func NewUser(id uuid.UUID, org shared.OrganizationID, account shared.UserID, attrs Attributes, accountCreated bool, now time.Time) (*User, error) {
	attrs, err := attrs.Clean()
	if err != nil {
		return nil, err
	}
	if id == uuid.Nil || org.IsZero() || account.IsZero() {
		return nil, shared.Invalid(CodeInvalidValue, "a User needs an id, an organization and an account", nil)
	}
	return &User{id: id, organization: org, account: account, attrs: attrs, accountCreated: accountCreated,
		version: 1, createdAt: now, updatedAt: now}, nil
}

// UserState is a stored User, for RehydrateUser.
type UserState struct {
	ID             uuid.UUID
	Organization   shared.OrganizationID
	Account        shared.UserID
	Attributes     Attributes
	AccountCreated bool
	Invitation     uuid.UUID
	Version        int
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// RehydrateUser rebuilds a stored User (adapters only).
func RehydrateUser(s UserState) *User {
	return &User{id: s.ID, organization: s.Organization, account: s.Account, attrs: s.Attributes, accountCreated: s.AccountCreated,
		invitation: s.Invitation, version: s.Version, createdAt: s.CreatedAt, updatedAt: s.UpdatedAt}
}

// ID identifies the resource.
func (u *User) ID() uuid.UUID { return u.id }

// Organization is the organization that provisions the person.
func (u *User) Organization() shared.OrganizationID { return u.organization }

// Account is the Authy account it provisions.
func (u *User) Account() shared.UserID { return u.account }

// Attributes returns the person's attributes (a copy).
func (u *User) Attributes() Attributes {
	a := u.attrs
	a.Emails = append([]Email(nil), u.attrs.Emails...)
	return a
}

// AccountCreated says the account was opened by this organization's
// provisioning.
func (u *User) AccountCreated() bool { return u.accountCreated }

// Invitation is the pending invitation sent instead of a membership (zero:
// none).
func (u *User) Invitation() uuid.UUID { return u.invitation }

// Version counts the changes of the resource (1 when created).
func (u *User) Version() int { return u.version }

// CreatedAt is when the resource was created.
func (u *User) CreatedAt() time.Time { return u.createdAt }

// UpdatedAt is when it last changed.
func (u *User) UpdatedAt() time.Time { return u.updatedAt }

// Change is what Replace changed.
type Change struct {
	// Fields are the SCIM names of the attributes that changed.
	Fields []string
	// Deactivated and Reactivated report a change of active.
	Deactivated, Reactivated bool
}

// Replace sets every attribute to attrs (which must be clean) and reports
// what changed; a replace with the current values changes nothing, not
// even the version. A userName that names another address than the
// resource's is refused (CodeMutability): the resource stays linked to its
// account.
func (u *User) Replace(attrs Attributes, now time.Time) (Change, error) {
	attrs, err := attrs.Clean()
	if err != nil {
		return Change{}, err
	}
	if attrs.UserName != u.attrs.UserName {
		return Change{}, shared.Invalid(CodeMutability, "userName cannot change: the User stays linked to the account of its address",
			map[string][]string{"userName": {"cannot change"}})
	}
	var c Change
	for _, f := range []struct {
		name     string
		old, new string
	}{
		{"externalId", u.attrs.ExternalID, attrs.ExternalID}, {"name.givenName", u.attrs.GivenName, attrs.GivenName},
		{"name.familyName", u.attrs.FamilyName, attrs.FamilyName}, {"name.formatted", u.attrs.Formatted, attrs.Formatted},
		{"displayName", u.attrs.DisplayName, attrs.DisplayName},
	} {
		if f.old != f.new {
			c.Fields = append(c.Fields, f.name)
		}
	}
	if !slices.Equal(u.attrs.Emails, attrs.Emails) {
		c.Fields = append(c.Fields, "emails")
	}
	if u.attrs.Active != attrs.Active {
		c.Fields = append(c.Fields, "active")
		c.Deactivated, c.Reactivated = !attrs.Active, attrs.Active
	}
	if len(c.Fields) == 0 {
		return c, nil
	}
	u.attrs = attrs
	u.version++
	u.updatedAt = now
	return c, nil
}

// Invited records the pending invitation sent instead of a membership.
func (u *User) Invited(invitation uuid.UUID) { u.invitation = invitation }

// InvitationClosed forgets the invitation (cancelled on deactivation, or
// superseded).
func (u *User) InvitationClosed() { u.invitation = uuid.Nil }
