// Package mailpg implements mailport.Outbox with GORM on PostgreSQL and the
// embedded SQLite file: the mail_outbox table. It imports GORM,
// adapters/pgstore, the mail domain and its ports, never application/ or
// another adapter family.
//
// Every query goes through pgstore.DB.Conn(ctx), so Add joins the unit of
// work its caller opened. Claims lock rows with FOR UPDATE SKIP LOCKED on
// PostgreSQL; on SQLite the immediate write transaction already makes claims
// one at a time across processes, and the lease (locked_by/locked_until)
// keeps a claimed row from every other worker until it is settled or the
// lease runs out. Times are stored in UTC, truncated to the microsecond:
// PostgreSQL keeps no more, and SQLite compares the stored text, which
// orders correctly only in one zone.
package mailpg

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm/clause"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/domain/shared"
	"github.com/secuird/authy/ports/mailport"
)

// Outbox is the GORM mailport.Outbox.
type Outbox struct {
	db *pgstore.DB
}

var _ mailport.Outbox = (*Outbox)(nil)

// New returns the outbox on db.
func New(db *pgstore.DB) *Outbox { return &Outbox{db: db} }

type messageRow struct {
	ID            string     `gorm:"column:id;primaryKey"`
	DedupKey      *string    `gorm:"column:dedup_key"`
	Recipient     string     `gorm:"column:recipient"`
	Template      string     `gorm:"column:template"`
	Locale        string     `gorm:"column:locale"`
	Data          string     `gorm:"column:data"`
	Status        string     `gorm:"column:status"`
	CreatedAt     time.Time  `gorm:"column:created_at;autoCreateTime:false"`
	Attempts      int        `gorm:"column:attempts"`
	NextAttemptAt time.Time  `gorm:"column:next_attempt_at"`
	DiscardAfter  *time.Time `gorm:"column:discard_after"`
	LastError     string     `gorm:"column:last_error"`
	LockedBy      *string    `gorm:"column:locked_by"`
	LockedUntil   *time.Time `gorm:"column:locked_until"`
	SettledAt     *time.Time `gorm:"column:settled_at"`
	Channel       *string    `gorm:"column:channel"`
}

func (messageRow) TableName() string { return "mail_outbox" }

func toRow(m *mail.Message) messageRow {
	s := m.State()
	r := messageRow{
		ID: s.ID.String(), Recipient: s.To.String(), Template: s.Template.String(), Locale: s.Locale,
		Data: string(s.Data), Status: s.Status.String(), CreatedAt: stamp(s.CreatedAt), Attempts: s.Attempts,
		NextAttemptAt: stamp(s.NextAttemptAt), DiscardAfter: stampPtr(s.DiscardAfter), LastError: s.LastError,
		SettledAt: stampPtr(s.SettledAt),
	}
	if s.Key != "" {
		r.DedupKey = &s.Key
	}
	if !s.Channel.IsZero() {
		c := s.Channel.String()
		r.Channel = &c
	}
	return r
}

func (r messageRow) domain() (*mail.Message, error) {
	id, err := mail.ParseMessageID(r.ID)
	if err != nil {
		return nil, fmt.Errorf("stored mail id %q: %w", r.ID, err)
	}
	to, reason := shared.ParseEmail(r.Recipient)
	if reason != "" {
		return nil, fmt.Errorf("stored mail %s: recipient %s", r.ID, reason)
	}
	tpl, err := mail.ParseTemplate(r.Template)
	if err != nil {
		return nil, fmt.Errorf("stored mail %s: template %q %w", r.ID, r.Template, err)
	}
	status, err := mail.ParseStatus(r.Status)
	if err != nil {
		return nil, fmt.Errorf("stored mail %s: %w", r.ID, err)
	}
	s := mail.MessageState{
		ID: id, To: to, Template: tpl, Data: []byte(r.Data), Locale: r.Locale, Status: status,
		CreatedAt: r.CreatedAt, Attempts: r.Attempts, NextAttemptAt: r.NextAttemptAt, LastError: r.LastError,
	}
	if r.DedupKey != nil {
		s.Key = *r.DedupKey
	}
	if r.DiscardAfter != nil {
		s.DiscardAfter = *r.DiscardAfter
	}
	if r.SettledAt != nil {
		s.SettledAt = *r.SettledAt
	}
	if r.Channel != nil {
		c, err := mail.ParseChannel(*r.Channel)
		if err != nil {
			return nil, fmt.Errorf("stored mail %s: %w", r.ID, err)
		}
		s.Channel = c
	}
	return mail.RehydrateMessage(s), nil
}

// Add implements mailport.Outbox. A key already stored is skipped with ON
// CONFLICT DO NOTHING rather than caught as a unique violation: on
// PostgreSQL a failed statement would abort the caller's whole transaction.
func (o *Outbox) Add(ctx context.Context, m *mail.Message) (mail.MessageID, bool, error) {
	row := toRow(m)
	res := o.db.Conn(ctx).Clauses(clause.OnConflict{
		Columns:   []clause.Column{{Name: "dedup_key"}},
		DoNothing: true,
	}).Create(&row)
	if err := res.Error; err != nil {
		if pgstore.IsDuplicate(err) {
			return mail.MessageID{}, false, mail.ErrMessageExists.WithCause(err)
		}
		return mail.MessageID{}, false, fmt.Errorf("add mail: %w", err)
	}
	if res.RowsAffected == 1 {
		return m.ID(), true, nil
	}
	var ids []string
	if err := o.db.Conn(ctx).Model(&messageRow{}).Where("dedup_key = ?", m.Key()).Limit(1).Pluck("id", &ids).Error; err != nil {
		return mail.MessageID{}, false, fmt.Errorf("add mail: %w", err)
	}
	if len(ids) == 0 {
		return mail.MessageID{}, false, fmt.Errorf("add mail: key %q neither stored nor found", m.Key())
	}
	id, err := mail.ParseMessageID(ids[0])
	if err != nil {
		return mail.MessageID{}, false, fmt.Errorf("stored mail id %q: %w", ids[0], err)
	}
	return id, false, nil
}

const due = "status = 'pending' AND next_attempt_at <= ? AND (locked_until IS NULL OR locked_until <= ?)"

// Claim implements mailport.Outbox.
func (o *Outbox) Claim(ctx context.Context, req mailport.ClaimRequest) ([]*mail.Message, error) {
	now := stamp(req.Now)
	limit := req.Limit
	if limit <= 0 {
		limit = 1
	}
	// Workers poll every second or so: an idle poll is one indexed read and
	// never takes SQLite's write lock or a PostgreSQL transaction.
	var probe []string
	if err := o.db.Conn(ctx).Model(&messageRow{}).Where(due, now, now).Limit(1).Pluck("id", &probe).Error; err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	if len(probe) == 0 {
		return nil, nil
	}
	var rows []messageRow
	// A short transaction of its own: select due rows, skipping any another
	// worker is claiming right now, and lease them. The mail is sent after
	// this commits, so no row lock is held during network I/O.
	err := o.db.Transaction(ctx, func(ctx context.Context) error {
		rows = nil
		q := o.db.Conn(ctx).Where(due, now, now).Order("next_attempt_at, id").Limit(limit)
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
		return o.db.Conn(ctx).Model(&messageRow{}).Where("id IN ?", ids).
			Updates(map[string]any{"locked_by": req.Owner, "locked_until": stamp(now.Add(req.Lease))}).Error
	})
	if err != nil {
		return nil, fmt.Errorf("claim mail: %w", err)
	}
	out := make([]*mail.Message, 0, len(rows))
	for _, r := range rows {
		m, err := r.domain()
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Settle implements mailport.Outbox.
func (o *Outbox) Settle(ctx context.Context, owner string, m *mail.Message) error {
	r := toRow(m)
	res := o.db.Conn(ctx).Model(&messageRow{}).
		Where("id = ? AND locked_by = ? AND status = 'pending'", r.ID, owner).
		Updates(map[string]any{
			"status":          r.Status,
			"data":            r.Data,
			"attempts":        r.Attempts,
			"next_attempt_at": r.NextAttemptAt,
			"last_error":      r.LastError,
			"settled_at":      r.SettledAt,
			"channel":         r.Channel,
			"locked_by":       nil,
			"locked_until":    nil,
		})
	if res.Error != nil {
		return fmt.Errorf("settle mail: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return mail.ErrLeaseLost
	}
	return nil
}

// Get implements mailport.Outbox.
func (o *Outbox) Get(ctx context.Context, id mail.MessageID) (*mail.Message, error) {
	var row messageRow
	if err := o.db.Conn(ctx).Where("id = ?", id.String()).Take(&row).Error; err != nil {
		if pgstore.IsNotFound(err) {
			return nil, mail.ErrMessageNotFound
		}
		return nil, fmt.Errorf("get mail: %w", err)
	}
	return row.domain()
}

// Backlog implements mailport.Outbox.
func (o *Outbox) Backlog(ctx context.Context) (mailport.Backlog, error) {
	var n int64
	pending := o.db.Conn(ctx).Model(&messageRow{}).Where("status = 'pending'")
	if err := pending.Count(&n).Error; err != nil {
		return mailport.Backlog{}, fmt.Errorf("mail backlog: %w", err)
	}
	b := mailport.Backlog{Pending: int(n)}
	if n == 0 {
		return b, nil
	}
	var oldest []messageRow
	if err := o.db.Conn(ctx).Select("id", "created_at").Where("status = 'pending'").
		Order("created_at").Limit(1).Find(&oldest).Error; err != nil {
		return mailport.Backlog{}, fmt.Errorf("mail backlog: %w", err)
	}
	if len(oldest) == 1 {
		b.OldestCreatedAt = oldest[0].CreatedAt.UTC()
	}
	return b, nil
}

func stamp(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func stampPtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}
