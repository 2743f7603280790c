// Package contactpg implements contactport.Store with GORM on PostgreSQL and
// the embedded SQLite file: the contact_enquiries table and the
// contact_mail_outbox it feeds. It imports GORM, adapters/pgstore, the
// contact domain and its ports, never application/ or another adapter
// family.
//
// Every query goes through pgstore.DB.Conn(ctx), so the repositories (and
// the audit recorder) join the unit of work Do opens. Claims lock rows with
// FOR UPDATE SKIP LOCKED on PostgreSQL; on SQLite the immediate write
// transaction already makes claims one at a time across processes. Times are
// stored in UTC, truncated to the microsecond: PostgreSQL keeps no more, and
// SQLite compares the stored text, which orders correctly only in one zone.
package contactpg

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// Store is the GORM contactport.Store.
type Store struct {
	db *pgstore.DB
}

var _ contactport.Store = (*Store)(nil)

// New returns a store on db.
func New(db *pgstore.DB) *Store { return &Store{db: db} }

// Do implements contactport.Store with pgstore's transaction in ctx.
func (s *Store) Do(ctx context.Context, fn func(ctx context.Context, r contactport.TxRepos) error) error {
	return s.db.Transaction(ctx, func(ctx context.Context) error {
		return fn(ctx, contactport.TxRepos{Enquiries: s.Enquiries(), Outbox: s.Outbox()})
	})
}

// Enquiries implements contactport.Store.
func (s *Store) Enquiries() contactport.EnquiryRepository { return enquiries{s.db} }

// Outbox implements contactport.Store.
func (s *Store) Outbox() contactport.Outbox { return outbox{s.db} }

// Queued counts the deliveries not sent yet, due or waiting for a retry
// (the health report of a server that delivers no mail).
func (s *Store) Queued(ctx context.Context) (int, error) {
	var n int64
	if err := s.db.Conn(ctx).Model(&deliveryRow{}).Where("sent_at IS NULL").Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count queued deliveries: %w", err)
	}
	return int(n), nil
}

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

func stampPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

type enquiries struct{ db *pgstore.DB }

func (r enquiries) Add(ctx context.Context, e *contact.Enquiry) error {
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

func (r enquiries) Get(ctx context.Context, id contact.EnquiryID) (*contact.Enquiry, error) {
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
