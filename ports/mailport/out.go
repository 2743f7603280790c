package mailport

import (
	"context"
	"time"

	"github.com/secuird/authy/domain/mail"
	"github.com/secuird/authy/ports/platformport"
)

// ClaimRequest asks for up to Limit messages due at Now, leased to Owner
// until Now+Lease.
type ClaimRequest struct {
	Owner string
	Now   time.Time
	Lease time.Duration
	Limit int
}

// Backlog describes the pending mail at one moment.
type Backlog struct {
	// Pending counts messages not yet sent or given up.
	Pending int
	// OldestCreatedAt is when the oldest pending message was enqueued
	// (zero when nothing is pending).
	OldestCreatedAt time.Time
}

// Outbox is the queue of every mail Authy sends.
//
// Contract (checked by mailporttest.OutboxContract on every backend):
//   - Add stores a pending message, joining the transaction carried by ctx
//     (it commits or rolls back with it). A message whose key is already
//     stored is not stored again: Add answers the stored message's id and
//     added=false, without failing the caller's transaction. A second
//     message with the same id is mail.ErrMessageExists.
//   - Claim returns pending messages with NextAttemptAt <= Now whose lease
//     is free or expired, oldest due first, at most Limit, and leases them
//     to Owner in its own short transaction. While the lease runs no other
//     Claim returns them; concurrent Claims never return the same message
//     (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: its single writer). A
//     message whose lease expired is claimable again, with its attempts.
//   - Settle saves the message's new state (sent, rescheduled or given up)
//     and frees the lease, but only while Owner still holds it and the
//     stored message is still pending: otherwise mail.ErrLeaseLost and
//     nothing changes.
//   - Get returns a message as stored, or mail.ErrMessageNotFound.
//   - Backlog counts pending messages and dates the oldest.
type Outbox interface {
	Add(ctx context.Context, m *mail.Message) (id mail.MessageID, added bool, err error)
	Claim(ctx context.Context, req ClaimRequest) ([]*mail.Message, error)
	Settle(ctx context.Context, owner string, m *mail.Message) error
	Get(ctx context.Context, id mail.MessageID) (*mail.Message, error)
	Backlog(ctx context.Context) (Backlog, error)
}

// Rendered is a message's content in one language.
type Rendered struct {
	Subject string // one line
	Text    string // the text/plain part
	HTML    string // the text/html part
}

// Renderer turns template data into a subject and bodies.
//
// Contract: Render returns a one-line subject, a text body and an HTML body
// for every TemplateData; every value from data is escaped for HTML in the
// HTML body; a locale the catalogue lacks (or lacks a string of) falls back
// to the default language; links carrying a token are built from the
// configured public URL only. It does no I/O.
type Renderer interface {
	Render(locale string, data TemplateData) (Rendered, error)
}

// Outgoing is one rendered mail ready for a Sender.
type Outgoing struct {
	To             string // one canonical address
	ReplyToName    string
	ReplyToAddress string
	Subject        string
	Text           string
	HTML           string
	// MessageID is stable per message (without angle brackets), so a mail
	// sent twice after a crash can be recognised as the same message.
	MessageID string
	Date      time.Time
}

// Sender hands a mail to its channel.
//
// Contract: Send returns nil only once the channel accepted the mail (an
// SMTP server's 250 after DATA); any error means "not known to be
// delivered" and the caller retries later. No field of Outgoing can add a
// header: senders treat every value as untrusted.
type Sender interface {
	Send(ctx context.Context, m Outgoing) error
	Channel() mail.Channel
}

// Clock tells the time (the platform clock).
type Clock = platformport.Clock

// Sealer seals template data at rest and opens it for delivery (the
// ENCRYPTION_KEY keyring).
type Sealer = platformport.Sealer
