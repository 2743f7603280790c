package contact_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/domain/shared"
)

var now = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func validDetails() contact.EnquiryDetails {
	return contact.EnquiryDetails{
		Type: "demo", Name: "Ada Lovelace", Email: "ada@example.com",
		Company: "Analytical Engines Ltd", Phone: "+44 20 7946 0958",
		Message: "We would like a demo for 40 people.\nNext week suits us.",
	}
}

func newID() contact.EnquiryID { return contact.EnquiryID(uuid.New()) }

func fieldsOf(t *testing.T, err error) map[string][]string {
	t.Helper()
	var se *shared.Error
	if !errors.As(err, &se) {
		t.Fatalf("want a *shared.Error, got %v", err)
	}
	if !errors.Is(err, contact.ErrInvalidEnquiry) || se.Kind() != shared.KindInvalid {
		t.Fatalf("want ErrInvalidEnquiry, got %v", err)
	}
	return se.Fields()
}

func TestNewEnquiry_AcceptsAValidEnquiryAndRecordsTheEvent(t *testing.T) {
	id := newID()
	e, err := contact.NewEnquiry(id, validDetails(), now.In(time.FixedZone("x", 3600)))
	if err != nil {
		t.Fatal(err)
	}
	if e.ID() != id || e.Type() != contact.TypeDemo || e.Name() != "Ada Lovelace" ||
		e.Email() != "ada@example.com" || e.Company() != "Analytical Engines Ltd" ||
		e.Phone() != "+44 20 7946 0958" || !strings.Contains(e.Message(), "\nNext week") {
		t.Fatalf("unexpected enquiry %+v", e)
	}
	if !e.ReceivedAt().Equal(now) || e.ReceivedAt().Location() != time.UTC {
		t.Fatalf("received at %v, want %v in UTC", e.ReceivedAt(), now)
	}
	ev := e.PullEvents()
	if len(ev) != 1 || ev[0].EnquiryID != id || ev[0].Type != contact.TypeDemo ||
		ev[0].EmailDomain != "example.com" || !ev[0].OccurredAt.Equal(now) {
		t.Fatalf("events = %+v", ev)
	}
	if len(e.PullEvents()) != 0 {
		t.Fatal("PullEvents must forget drained events")
	}
}

func TestNewEnquiry_AllowsMissingOptionalFieldsAndTrimsSingleLineFields(t *testing.T) {
	d := validDetails()
	d.Company, d.Phone = "   ", ""
	d.Name = "  Ada  "
	d.Email = " ada@example.com "
	d.Message = "\r\n  Hello\r\nthere\r  "
	e, err := contact.NewEnquiry(newID(), d, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.Company() != "" || e.Phone() != "" || e.Name() != "Ada" || e.Email() != "ada@example.com" {
		t.Fatalf("unexpected %q %q %q %q", e.Company(), e.Phone(), e.Name(), e.Email())
	}
	if e.Message() != "Hello\nthere" {
		t.Fatalf("message line endings must be normalised, got %q", e.Message())
	}
}

func TestNewEnquiry_AcceptsEveryKnownType(t *testing.T) {
	for _, typ := range []string{"demo", "sales", "general", "support"} {
		d := validDetails()
		d.Type = typ
		e, err := contact.NewEnquiry(newID(), d, now)
		if err != nil || e.Type().String() != typ {
			t.Fatalf("type %q: %v", typ, err)
		}
	}
}

func TestNewEnquiry_RejectsEachBadFieldByName(t *testing.T) {
	cases := []struct {
		name  string
		field string
		edit  func(*contact.EnquiryDetails)
	}{
		{"missing type", "type", func(d *contact.EnquiryDetails) { d.Type = "" }},
		{"unknown type", "type", func(d *contact.EnquiryDetails) { d.Type = "partnership" }},
		{"type in capitals", "type", func(d *contact.EnquiryDetails) { d.Type = "DEMO" }},
		{"missing name", "name", func(d *contact.EnquiryDetails) { d.Name = " \t " }},
		{"name too long", "name", func(d *contact.EnquiryDetails) { d.Name = strings.Repeat("é", contact.MaxNameLength+1) }},
		{"missing email", "email", func(d *contact.EnquiryDetails) { d.Email = "" }},
		{"email without at", "email", func(d *contact.EnquiryDetails) { d.Email = "ada.example.com" }},
		{"email without dot in domain", "email", func(d *contact.EnquiryDetails) { d.Email = "ada@localhost" }},
		{"email with display name", "email", func(d *contact.EnquiryDetails) { d.Email = "Ada <ada@example.com>" }},
		{"email list", "email", func(d *contact.EnquiryDetails) { d.Email = "ada@example.com, eve@example.com" }},
		{"email too long", "email", func(d *contact.EnquiryDetails) {
			d.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".com"
		}},
		{"company too long", "company", func(d *contact.EnquiryDetails) { d.Company = strings.Repeat("c", contact.MaxCompanyLength+1) }},
		{"phone with letters", "phone", func(d *contact.EnquiryDetails) { d.Phone = "call me maybe" }},
		{"phone too short", "phone", func(d *contact.EnquiryDetails) { d.Phone = "+1 2" }},
		{"phone too long", "phone", func(d *contact.EnquiryDetails) { d.Phone = strings.Repeat("1", contact.MaxPhoneLength+1) }},
		{"missing message", "message", func(d *contact.EnquiryDetails) { d.Message = "\n \r\n" }},
		{"message too long", "message", func(d *contact.EnquiryDetails) { d.Message = strings.Repeat("m", contact.MaxMessageLength+1) }},
		{"message with NUL", "message", func(d *contact.EnquiryDetails) { d.Message = "hello\x00world" }},
		{"message with escape", "message", func(d *contact.EnquiryDetails) { d.Message = "hello\x1b[31m" }},
		{"message not UTF-8", "message", func(d *contact.EnquiryDetails) { d.Message = "hello \xff" }},
		{"name not UTF-8", "name", func(d *contact.EnquiryDetails) { d.Name = "Ad\xc3" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validDetails()
			tc.edit(&d)
			_, err := contact.NewEnquiry(newID(), d, now)
			f := fieldsOf(t, err)
			if len(f[tc.field]) == 0 || len(f) != 1 {
				t.Fatalf("want exactly field %q named, got %v", tc.field, f)
			}
		})
	}
}

func TestNewEnquiry_RejectsLineBreaksAndControlsInSingleLineFields(t *testing.T) {
	injections := []string{"\r\nBcc: eve@example.com", "\nX-Injected: 1", "\rX: y", "a\u2028b", "a\u2029b", "a\x00b", "a\tb", "a\u0085b", "a\x7fb"}
	fields := map[string]func(*contact.EnquiryDetails, string){
		"name":    func(d *contact.EnquiryDetails, v string) { d.Name = "Ada" + v },
		"email":   func(d *contact.EnquiryDetails, v string) { d.Email = "ada@example.com" + v },
		"company": func(d *contact.EnquiryDetails, v string) { d.Company = "Acme" + v },
		"phone":   func(d *contact.EnquiryDetails, v string) { d.Phone = "+1 555 0100" + v },
		"type":    func(d *contact.EnquiryDetails, v string) { d.Type = "demo" + v },
	}
	for field, set := range fields {
		for _, inj := range injections {
			t.Run(field+"/"+strings.ToValidUTF8(inj, "?"), func(t *testing.T) {
				d := validDetails()
				set(&d, inj)
				_, err := contact.NewEnquiry(newID(), d, now)
				if f := fieldsOf(t, err); len(f[field]) == 0 {
					t.Fatalf("field %s with %q must be refused, got %v", field, inj, f)
				}
			})
		}
	}
}

func TestNewEnquiry_ReportsEveryBadFieldAtOnce(t *testing.T) {
	_, err := contact.NewEnquiry(newID(), contact.EnquiryDetails{}, now)
	f := fieldsOf(t, err)
	for _, k := range []string{"type", "name", "email", "message"} {
		if len(f[k]) == 0 {
			t.Fatalf("field %s missing from %v", k, f)
		}
	}
	if _, ok := f["company"]; ok {
		t.Fatal("company is optional")
	}
}

func TestNewEnquiry_AcceptsLimitsExactly(t *testing.T) {
	d := validDetails()
	d.Name = strings.Repeat("é", contact.MaxNameLength)
	d.Company = strings.Repeat("c", contact.MaxCompanyLength)
	d.Message = strings.Repeat("m", contact.MaxMessageLength)
	d.Phone = strings.Repeat("1", contact.MaxPhoneLength)
	if _, err := contact.NewEnquiry(newID(), d, now); err != nil {
		t.Fatalf("values at the limits must pass: %v", err)
	}
}

func TestNewEnquiry_NeedsAnID(t *testing.T) {
	_, err := contact.NewEnquiry(contact.EnquiryID{}, validDetails(), now)
	if f := fieldsOf(t, err); len(f["id"]) == 0 {
		t.Fatalf("zero id must be refused: %v", f)
	}
}

func TestEnquiryType_ParsesOnlyKnownValues(t *testing.T) {
	if _, err := contact.ParseEnquiryType("sales"); err != nil {
		t.Fatal(err)
	}
	if _, err := contact.ParseEnquiryType("other"); err == nil {
		t.Fatal("unknown type must fail")
	}
	if !(contact.EnquiryType{}).IsZero() || contact.TypeDemo.IsZero() {
		t.Fatal("IsZero is wrong")
	}
}

func TestParseEnquiryID_RoundTripsAndRefusesGarbage(t *testing.T) {
	id := newID()
	got, err := contact.ParseEnquiryID(id.String())
	if err != nil || got != id {
		t.Fatalf("round trip: %v %v", got, err)
	}
	if _, err := contact.ParseEnquiryID("not-a-uuid"); err == nil {
		t.Fatal("garbage must fail")
	}
}

func TestRehydrateEnquiry_KeepsStoredState(t *testing.T) {
	id := newID()
	e := contact.RehydrateEnquiry(id, contact.TypeSales, "N", "n@example.org", "C", "", "M", now)
	if e.ID() != id || e.Type() != contact.TypeSales || e.EmailDomain() != "example.org" || len(e.PullEvents()) != 0 {
		t.Fatalf("unexpected %+v", e)
	}
}

func TestNewEnquiry_KeepsTimeToTheMicrosecond(t *testing.T) {
	e, err := contact.NewEnquiry(newID(), validDetails(), now.Add(1500*time.Nanosecond))
	if err != nil {
		t.Fatal(err)
	}
	if !e.ReceivedAt().Equal(now.Add(time.Microsecond)) {
		t.Fatalf("received at %v", e.ReceivedAt())
	}
}

func TestNewEnquiry_StoresTheCanonicalEmail(t *testing.T) {
	d := validDetails()
	d.Email = " Rene\u0301e@B\u00fccher.Example "
	e, err := contact.NewEnquiry(newID(), d, now)
	if err != nil {
		t.Fatal(err)
	}
	if e.Email() != "ren\u00e9e@xn--bcher-kva.example" || e.EmailDomain() != "xn--bcher-kva.example" {
		t.Fatalf("email %q, domain %q", e.Email(), e.EmailDomain())
	}
	if ev := e.PullEvents(); len(ev) != 1 || ev[0].EmailDomain != "xn--bcher-kva.example" {
		t.Fatalf("events %+v", ev)
	}
}

func TestNewEnquiry_RefusesInvisibleAndBidiControlCharacters(t *testing.T) {
	hidden := []string{"\u202e", "\u202a", "\u2066", "\u2069", "\u200e", "\u200f", "\u061c", "\u200b", "\u200d", "\ufeff", "\u00ad", "\u3164"}
	fields := map[string]func(*contact.EnquiryDetails, string){
		"name":    func(d *contact.EnquiryDetails, v string) { d.Name = "Ada" + v + "Lovelace" },
		"email":   func(d *contact.EnquiryDetails, v string) { d.Email = "ada" + v + "@example.com" },
		"company": func(d *contact.EnquiryDetails, v string) { d.Company = "Acme" + v + "Ltd" },
	}
	for field, set := range fields {
		for _, h := range hidden {
			t.Run(fmt.Sprintf("%s/U+%04X", field, []rune(h)[0]), func(t *testing.T) {
				d := validDetails()
				set(&d, h)
				_, err := contact.NewEnquiry(newID(), d, now)
				f := fieldsOf(t, err)
				if len(f) != 1 || len(f[field]) != 1 || f[field][0] != shared.ReasonInvisibleText {
					t.Fatalf("field %s with U+%04X: got %v", field, []rune(h)[0], f)
				}
			})
		}
	}
}
