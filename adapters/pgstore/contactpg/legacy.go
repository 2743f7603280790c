package contactpg

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

// LegacyMail reads contact_mail_outbox, the contact context's own outbox
// before the mail context, to hand its pending rows over.
type LegacyMail struct{ db *pgstore.DB }

var _ contactport.LegacyMail = (*LegacyMail)(nil)

// NewLegacyMail returns the old outbox on db.
func NewLegacyMail(db *pgstore.DB) *LegacyMail { return &LegacyMail{db: db} }

type legacyRow struct {
	ID        string `gorm:"column:id;primaryKey"`
	EnquiryID string `gorm:"column:enquiry_id"`
}

func (legacyRow) TableName() string { return "contact_mail_outbox" }

// Take implements contactport.LegacyMail. A row still leased by a worker of
// an older release (during a rolling upgrade) is left to that worker.
func (l *LegacyMail) Take(ctx context.Context, now time.Time, limit int) ([]contact.EnquiryID, error) {
	now = stamp(now)
	if limit <= 0 {
		limit = 1
	}
	var rows []legacyRow
	q := l.db.Conn(ctx).Select("id", "enquiry_id").
		Where("sent_at IS NULL AND (locked_until IS NULL OR locked_until <= ?)", now).
		Order("next_attempt_at, id").Limit(limit)
	if err := l.db.SkipLocked(q).Find(&rows).Error; err != nil {
		return nil, fmt.Errorf("take legacy contact mail: %w", err)
	}
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	out := make([]contact.EnquiryID, len(rows))
	for i, r := range rows {
		id, err := contact.ParseEnquiryID(r.EnquiryID)
		if err != nil {
			return nil, fmt.Errorf("stored enquiry id %q: %w", r.EnquiryID, err)
		}
		ids[i], out[i] = r.ID, id
	}
	if err := l.db.Conn(ctx).Where("id IN ?", ids).Delete(&legacyRow{}).Error; err != nil {
		return nil, fmt.Errorf("take legacy contact mail: %w", err)
	}
	return out, nil
}
