package pgstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/secuird/authy/domain/shared"
)

// ErrUnavailable is what a query, a transaction or a ping fails with when the
// database cannot be reached or does not answer in time. Every error that
// leaves a DB carries it (wrapping the driver's error for the log), so a
// database outage reaches clients as 503 SERVICE_UNAVAILABLE, never as 500.
var ErrUnavailable = shared.Unavailable("database.unavailable", "the service is temporarily unavailable; retry shortly")

// IsNotFound reports a lookup that matched no row.
func IsNotFound(err error) bool { return errors.Is(err, gorm.ErrRecordNotFound) }

// IsDuplicate reports a unique-constraint violation on either dialect.
// Repositories turn it into their context's conflict error; a driver error
// never crosses into application/.
func IsDuplicate(err error) bool {
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	return false
}

// IsForeignKeyViolation reports a reference to a row that does not exist.
func IsForeignKeyViolation(err error) bool {
	if errors.Is(err, gorm.ErrForeignKeyViolated) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23503"
	}
	return false
}

// IsUnavailable reports an error that says the database did not serve the
// statement (it could not be reached, did not answer in time, ran out of
// connections or resources, or is shutting down) as opposed to refusing it
// (a constraint, a syntax error: a bug or a conflict).
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	if shared.KindOf(err) == shared.KindUnavailable {
		return true
	}
	for _, target := range []error{
		context.DeadlineExceeded, context.Canceled, // a request deadline, a pool wait, a client gone
		driver.ErrBadConn, sql.ErrConnDone, net.ErrClosed, io.EOF, io.ErrUnexpectedEOF,
	} {
		if errors.Is(err, target) {
			return true
		}
	}
	var connectErr *pgconn.ConnectError
	if errors.As(err, &connectErr) || pgconn.Timeout(err) || pgconn.SafeToRetry(err) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return unavailableState(pgErr.Code)
	}
	// SQLite's error type (from the glebarez driver) is matched by its
	// method so this package does not import the driver's internals.
	var liteErr interface{ Code() int }
	if errors.As(err, &liteErr) {
		switch liteErr.Code() & 0xff { // primary result code
		case 5, 6, 9, 10, 13, 14: // BUSY, LOCKED, INTERRUPT, IOERR, FULL, CANTOPEN
			return true
		}
	}
	return false
}

// unavailableState reports the SQLSTATEs of a server that cannot serve the
// statement now: connection exceptions (08), insufficient resources (53),
// operator intervention such as shutdown or statement_timeout (57), system
// errors (58), a read-only server after a fail-over (25006), the lock and
// idle-in-transaction timeouts, and serialization failures and deadlocks
// that outlived the transaction's retries.
func unavailableState(code string) bool {
	for _, class := range []string{"08", "53", "57", "58"} {
		if strings.HasPrefix(code, class) {
			return true
		}
	}
	switch code {
	case "25006", "25P03", "55P03", "40001", "40P01":
		return true
	}
	return false
}

// AsUnavailable returns err as ErrUnavailable (wrapping err) when
// IsUnavailable says so, and err unchanged otherwise, including every error
// that already has a kind.
func AsUnavailable(err error) error {
	if err == nil || shared.KindOf(err) != shared.KindUnknown || !IsUnavailable(err) {
		return err
	}
	return ErrUnavailable.WithCause(err)
}
