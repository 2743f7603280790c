// Package contactpg implements contactport's repositories with GORM on PostgreSQL and
// the embedded SQLite file: the contact_enquiries table, and the hand-over
// of the rows left in contact_mail_outbox by releases before the mail
// context. It imports GORM, adapters/pgstore, the contact domain and its
// ports, never application/ or another adapter family.
//
// Every query goes through pgstore.DB.Conn(ctx), so the repositories (and
// the mail outbox and audit recorder) join the unit of work of the caller. Times
// are stored in UTC, truncated to the microsecond: PostgreSQL keeps no
// more, and SQLite compares the stored text, which orders correctly only in
// one zone.
package contactpg

import (
	"context"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// Store is the GORM contactport.EnquiryRepository.
type Store struct {
	db *pgstore.DB
}

var _ contactport.EnquiryRepository = (*Store)(nil)

// New returns a store on db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

type enquiryRow struct {
	ID         string    `gorm:"column:id;primaryKey"`
	Type       string    `gorm:"column:type"`
	Name       string    `gorm:"column:name"`
	Email      string    `gorm:"column:email"`
	Company    string    `gorm:"column:company"`
	Phone      string    `gorm:"column:phone"`
	Message    string    `gorm:"column:message"`
	ReceivedAt time.Time `gorm:"column:received_at"`
}

func (enquiryRow) TableName() string { return "contact_enquiries" }

func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Add implements contactport.EnquiryRepository.
func (r *Store) Add(ctx context.Context, e *contact.Enquiry) error {
	row := enquiryRow{
		ID: e.ID().String(), Type: e.Type().String(), Name: e.Name(), Email: e.Email(),
		Company: e.Company(), Phone: e.Phone(), Message: e.Message(), ReceivedAt: stamp(e.ReceivedAt()),
	}
	if err := r.db.Conn(ctx).Create(&row).Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return contact.ErrEnquiryExists.WithCause(err)
		}
		return err
	}
	return nil
}

// Get implements contactport.EnquiryRepository.
func (r *Store) Get(ctx context.Context, id contact.EnquiryID) (*contact.Enquiry, error) {
	var row enquiryRow
	if err := r.db.Conn(ctx).Where("id = ?", id.String()).Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, contact.ErrEnquiryNotFound
		}
		return nil, err
	}
	typ, err := contact.ParseEnquiryType(row.Type)
	if err != nil {
		return nil, err
	}
	return contact.RehydrateEnquiry(id, typ, row.Name, row.Email, row.Company, row.Phone, row.Message, row.ReceivedAt), nil
}
