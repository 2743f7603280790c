package contactpg

import (
	"context"
	"fmt"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/contact"
	"github.com/secuird/authy/ports/contactport"
)

type deliveryRow struct {
	ID            string     `gorm:"column:id;primaryKey"`
	EnquiryID     string     `gorm:"column:enquiry_id"`
	CreatedAt     time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at"`
	LastError     string     `gorm:"column:last_error"`
	LockedBy      *string    `gorm:"column:locked_by"`
	LockedUntil   *time.Time `gorm:"column:locked_until"`
	SentAt        *time.Time `gorm:"column:sent_at"`
	Channel       *string    `gorm:"column:channel"`
}

func (deliveryRow) TableName() string { return "contact_mail_outbox" }

func (r deliveryRow) domain() (*contact.Delivery, error) {
	id, err := contact.ParseDeliveryID(r.ID)
	if err != nil {
		return nil, fmt.Errorf("stored delivery id %q: %w", r.ID, err)
	}
	eid, err := contact.ParseEnquiryID(r.EnquiryID)
	if err != nil {
		return nil, fmt.Errorf("stored enquiry id %q: %w", r.EnquiryID, err)
	}
	s := contact.DeliveryState{
		ID: id, EnquiryID: eid, CreatedAt: r.CreatedAt, Attempts: r.Attempts,
		NextAttemptAt: r.NextAttemptAt, LastError: r.LastError,
	}
	if r.SentAt != nil {
		s.SentAt = *r.SentAt
	}
	if r.Channel != nil {
		s.Channel = *r.Channel
	}
	return contact.RehydrateDelivery(s), nil
}

type outbox struct{ db *pgstore.DB }

func (o outbox) Enqueue(ctx context.Context, d *contact.Delivery) error {
	s := d.State()
	row := deliveryRow{
		ID: s.ID.String(), EnquiryID: s.EnquiryID.String(), CreatedAt: stamp(s.CreatedAt),
		Attempts: s.Attempts, NextAttemptAt: stamp(s.NextAttemptAt), LastError: s.LastError,
		SentAt: stampPtr(s.SentAt),
	}
	if s.Channel != "" {
		row.Channel = &s.Channel
	}
	if err := o.db.Conn(ctx).Create(&row).Error; err != nil {
		switch {
		case pgstore.IsDuplicate(err):
			return contact.ErrDeliveryExists.WithCause(err)
		case pgstore.IsForeignKeyViolation(err):
			return contact.ErrEnquiryNotFound.WithCause(err)
		}
		return err
	}
	return nil
}

func (o outbox) Claim(ctx context.Context, req contactport.ClaimRequest) ([]*contact.Delivery, error) {
	now := stamp(req.Now)
	limit := req.Limit
	if limit <= 0 {
		limit = 1
	}
	const due = "sent_at IS NULL AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)"
	// Workers poll every second or so: an idle poll is one indexed read and
	// never takes SQLite's write lock or a PostgreSQL transaction.
	var probe []string
	if err := o.db.Conn(ctx).Model(&deliveryRow{}).Where(due, now, now).Limit(1).Pluck("id", &probe).Error; err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	if len(probe) == 0 {
		return nil, nil
	}
	var rows []deliveryRow
	// A short transaction of its own: select due rows, skipping any another
	// worker is claiming right now, and lease them. The mail is sent after
	// this commits, so no row lock is held during network I/O.
	err := o.db.Transaction(ctx, func(ctx context.Context) error {
		q := o.db.Conn(ctx).
			Where(due, now, now).
			Order("next_attempt_at, id").
			Limit(limit)
		if err := o.db.SkipLocked(q).Find(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]string, len(rows))
		for i, r := range rows {
			ids[i] = r.ID
		}
		return o.db.Conn(ctx).Model(&deliveryRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"locked_by": req.Owner, "locked_until": stamp(now.Add(req.Lease))}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries: %w", err)
	}
	out := make([]*contact.Delivery, 0, len(rows))
	for _, r := range rows {
		d, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, nil
}

func (o outbox) Settle(ctx context.Context, owner string, d *contact.Delivery) error {
	s := d.State()
	var channel *string
	if s.Channel != "" {
		channel = &s.Channel
	}
	res := o.db.Conn(ctx).Model(&deliveryRow{}).
		Where("id = ? AND locked_by = ? AND sent_at IS NULL", s.ID.String(), owner).
		Updates(map[string]any{
			"attempts":        s.Attempts,
			"next_attempt_at": stamp(s.NextAttemptAt),
			"last_error":      s.LastError,
			"sent_at":         stampPtr(s.SentAt),
			"channel":         channel,
			"locked_by":       nil,
			"locked_until":    nil,
		})
	if res.Error != nil {
		return fmt.Errorf("settle delivery: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return contact.ErrLeaseLost
	}
	return nil
}

func (o outbox) ByEnquiry(ctx context.Context, id contact.EnquiryID) (*contact.Delivery, error) {
	var row deliveryRow
	if err := o.db.Conn(ctx).Where("enquiry_id = ?", id.String()).Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, contact.ErrEnquiryNotFound
		}
		return nil, err
	}
	return row.domain()
}
