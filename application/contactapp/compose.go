package contactapp

import (
	"strings"
	"time"

	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// compose writes the notification for e. The enquiry's single-line fields
// were checked free of line breaks by the domain; the mail adapter still
// encodes every header value itself.
func compose(e *contact.Enquiry, to string) contactport.Mail {
	subject := "[Contact] " + e.Type().Label() + " from " + e.Name()
	if e.Company() != "" {
		subject += " (" + e.Company() + ")"
	}
	var b strings.Builder
	b.WriteString("A new enquiry arrived through the contact form.\n\n")
	line := func(label, value string) {
		if value == "" {
			value = "-"
		}
		b.WriteString(label)
		b.WriteString(strings.Repeat(" ", 10-len(label)))
		b.WriteString(value)
		b.WriteString("\n")
	}
	line("Type:", e.Type().Label()+" ("+e.Type().String()+")")
	line("Name:", e.Name())
	line("Email:", e.Email())
	line("Company:", e.Company())
	line("Phone:", e.Phone())
	line("Received:", e.ReceivedAt().Format(time.RFC3339))
	line("Enquiry:", e.ID().String())
	b.WriteString("\nMessage:\n\n")
	b.WriteString(e.Message())
	b.WriteString("\n\n-- \nReplying to this mail answers ")
	b.WriteString(e.Name())
	b.WriteString(" at ")
	b.WriteString(e.Email())
	b.WriteString(".\n")
	return contactport.Mail{
		To:             to,
		ReplyToName:    e.Name(),
		ReplyToAddress: e.Email(),
		Subject:        subject,
		Body:           b.String(),
		MessageID:      "enquiry-" + e.ID().String() + "@authy.contact",
		Date:           e.ReceivedAt(),
	}
}
