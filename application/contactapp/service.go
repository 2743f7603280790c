package contactapp

import (
	"errors"
	"time"

	"github.com/google/uuid"

	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/auditport"
	"github.com/secuird/authy/ports/contactport"
	"github.com/secuird/authy/ports/mailport"
	"github.com/secuird/authy/ports/platformport"
)

// DefaultLimit is the contact form's rate limit per client IP.
var DefaultLimit = platformport.Limit{Max: 5, Window: time.Hour}

// Errors returned by Submit besides the domain's validation errors.
var (
	// ErrRateLimited refuses a client over the limit; it carries the delay.
	ErrRateLimited = shared.RateLimited("contact.rate_limited", "too many enquiries from this address; try again later", 0)
	// ErrUnavailable is returned when the rate limiter does not answer.
	ErrUnavailable = shared.Unavailable("contact.unavailable", "the contact form is temporarily unavailable")
)

// Deps are the ports the Service uses.
type Deps struct {
	// UnitOfWork runs an enquiry, its mail and its audit record in one
	// transaction.
	UnitOfWork platformport.UnitOfWork
	Enquiries  contactport.EnquiryRepository
	// Legacy is the old contact outbox whose rows are handed over.
	Legacy  contactport.LegacyMail
	Mail    mailport.Enqueuer
	Audit   auditport.Recorder
	Limiter platformport.RateLimiter
	Clock   platformport.Clock
	Meter   platformport.Meter
	// Team are the addresses every enquiry is mailed to (CONTACT_EMAIL_TO).
	Team []shared.Email
	// Limit defaults to DefaultLimit.
	Limit platformport.Limit
	// NewID generates ids; defaults to random UUIDs.
	NewID func() uuid.UUID
}

// Service implements contactport.Service.
type Service struct {
	d Deps
}

var _ contactport.Service = (*Service)(nil)

// NewService checks that every required port is present.
func NewService(d Deps) (*Service, error) {
	if d.UnitOfWork == nil || d.Enquiries == nil || d.Legacy == nil || d.Mail == nil || d.Audit == nil || d.Limiter == nil || d.Clock == nil {
		return nil, errors.New("contactapp: UnitOfWork, Enquiries, Legacy, Mail, Audit, Limiter and Clock are required")
	}
	if len(d.Team) == 0 {
		return nil, errors.New("contactapp: at least one team address is required")
	}
	for _, e := range d.Team {
		if e.IsZero() {
			return nil, errors.New("contactapp: a team address is empty")
		}
	}
	if d.Meter == nil {
		d.Meter = platformport.NopMeter{}
	}
	if d.Limit.Max <= 0 || d.Limit.Window <= 0 {
		d.Limit = DefaultLimit
	}
	if d.NewID == nil {
		d.NewID = uuid.New
	}
	return &Service{d: d}, nil
}
