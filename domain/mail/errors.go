package mail

import "github.com/secuird/authy/domain/shared"

// Errors of the mail context. Their codes are public API.
var (
	// ErrInvalidMessage is returned with per-field reasons when a message
	// to enqueue breaks a rule.
	ErrInvalidMessage = shared.Invalid("mail.invalid_message", "the mail to send has invalid fields", nil)
	// ErrMessageNotFound is returned when no message has the id.
	ErrMessageNotFound = shared.NotFound("mail.message_not_found", "mail message not found")
	// ErrMessageExists is returned when a message with the same id is
	// already stored.
	ErrMessageExists = shared.Conflict("mail.message_exists", "a mail message with this id already exists")
	// ErrSettled is returned when a message that was sent or given up is
	// changed again, so a late worker cannot reopen it.
	ErrSettled = shared.Conflict("mail.message_settled", "the mail message was already sent or given up")
	// ErrNotExpired is returned when a message is given up before its
	// deadline.
	ErrNotExpired = shared.Conflict("mail.message_not_expired", "the mail message is still worth sending")
	// ErrLeaseLost is returned when a worker settles a message whose claim
	// it no longer holds (its lease expired and another worker took it).
	ErrLeaseLost = shared.Conflict("mail.message_lease_lost", "the mail message is no longer claimed by this worker")
)
