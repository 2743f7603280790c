package contact

import "errors"

// EnquiryType says what the visitor wants: a demo, a sales conversation,
// general information or support.
type EnquiryType struct{ v string }

// The enquiry types.
var (
	TypeDemo    = EnquiryType{"demo"}
	TypeSales   = EnquiryType{"sales"}
	TypeGeneral = EnquiryType{"general"}
	TypeSupport = EnquiryType{"support"}
)

var errUnknownType = errors.New("must be one of demo, sales, general, support")

// ParseEnquiryType accepts exactly "demo", "sales", "general" or "support".
func ParseEnquiryType(s string) (EnquiryType, error) {
	switch s {
	case TypeDemo.v, TypeSales.v, TypeGeneral.v, TypeSupport.v:
		return EnquiryType{s}, nil
	default:
		return EnquiryType{}, errUnknownType
	}
}

// String returns the wire form.
func (t EnquiryType) String() string { return t.v }

// IsZero reports the zero value.
func (t EnquiryType) IsZero() bool { return t.v == "" }
