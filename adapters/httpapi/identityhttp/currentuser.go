package identityhttp

import "github.com/secuird/authy/adapters/httpapi"

// currentUser is the user as GET /auth/me answers it: the fields of
// userResponse, written without reflection (every authenticated client
// asks for it, often). It is a type of its own rather than a method of
// userResponse, which the structs embedding it would inherit.
type currentUser userResponse

var _ httpapi.JSONAppender = currentUser{}

// AppendJSON implements httpapi.JSONAppender: what the JSON encoder makes
// of userResponse, field for field.
func (u currentUser) AppendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = httpapi.AppendJSONString(b, u.ID)
	b = append(b, `,"email":`...)
	b = httpapi.AppendJSONString(b, u.Email)
	b = append(b, `,"email_verified":`...)
	b = httpapi.AppendJSONBool(b, u.EmailVerified)
	b = append(b, `,"email_verified_at":`...)
	if u.EmailVerifiedAt == nil {
		b = append(b, "null"...)
	} else {
		b = httpapi.AppendJSONTime(b, *u.EmailVerifiedAt)
	}
	b = append(b, `,"name":`...)
	b = httpapi.AppendJSONString(b, u.Name)
	b = append(b, `,"created_at":`...)
	b = httpapi.AppendJSONTime(b, u.CreatedAt)
	b = append(b, `,"updated_at":`...)
	b = httpapi.AppendJSONTime(b, u.UpdatedAt)
	return append(b, '}')
}
