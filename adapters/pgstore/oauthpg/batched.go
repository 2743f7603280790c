package oauthpg

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/secuird/authy/adapters/pgstore"
)

// On PostgreSQL the two statements of the busiest endpoints, the INSERT
// of a client_credentials access token and the read of an access token at
// introspection, run combined when they do not join a transaction: the
// requests that arrive while the statements before them are in flight go
// to the server as one statement (one round trip, one commit for the
// inserts) instead of one each. Nothing is cached: every read is a
// database read begun after its request arrived, so a revocation committed
// on any instance is seen by the next introspection anywhere, as before.
const (
	// combinerSlots is how many combined statements of one kind may be in
	// flight at once (a fraction of the pool: the rest stays for
	// everything else).
	combinerSlots = 4
	// combinerBatch is the most rows one combined statement carries.
	combinerBatch = 64
	// combinerBound is the deadline of a combined statement none of whose
	// requests has one.
	combinerBound = 10 * time.Second
)

const insertBatchSQL = `INSERT INTO oauth_tokens
	(kind, signature, request_id, client_id, subject, active, requested_at, expires_at, data)
	SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::boolean[],
		$7::timestamptz[], $8::timestamptz[], $9::text[])`

// insertBatch writes rows with one statement. When it is refused (a row's
// client was deleted meanwhile, a duplicate signature), each row is written
// on its own, so only the rows at fault fail.
func (s *Tokens) insertBatch(ctx context.Context, rows []tokenRow) ([]struct{}, []error) {
	outs, errs := make([]struct{}, len(rows)), make([]error, len(rows))
	var err error
	if len(rows) == 1 {
		err = s.insertOne(ctx, rows[0])
		errs[0] = err
		return outs, errs
	}
	n := len(rows)
	kinds, sigs, reqs, clients, subjects, datas := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	actives, requested, expires := make([]bool, n), make([]time.Time, n), make([]time.Time, n)
	for i, r := range rows {
		kinds[i], sigs[i], reqs[i], clients[i], subjects[i], datas[i] = r.Kind, r.Signature, r.RequestID, r.ClientID, r.Subject, r.Data
		actives[i], requested[i], expires[i] = r.Active, r.RequestedAt, r.ExpiresAt
	}
	db, err := s.sqlDB()
	if err == nil {
		_, err = db.ExecContext(ctx, insertBatchSQL, kinds, sigs, reqs, clients, subjects, actives, requested, expires, datas)
	}
	switch {
	case err == nil:
		return outs, errs
	case pgstore.IsUnavailable(err):
		err = pgstore.AsUnavailable(fmt.Errorf("store access tokens: %w", err))
		for i := range errs {
			errs[i] = err
		}
		return outs, errs
	}
	for i, r := range rows {
		errs[i] = s.insertOne(ctx, r)
	}
	return outs, errs
}

// accessRead is what introspection needs of an access token's row.
type accessRead struct {
	found, active bool
	data          string
}

const readAccessBatchSQL = `SELECT signature, active, data FROM oauth_tokens
	WHERE kind = 'access_token' AND signature = ANY($1::text[])`

// readAccessBatch reads the access tokens of signatures with one statement.
func (s *Tokens) readAccessBatch(ctx context.Context, signatures []string) ([]accessRead, []error) {
	outs, errs := make([]accessRead, len(signatures)), make([]error, len(signatures))
	fail := func(err error) ([]accessRead, []error) {
		err = pgstore.AsUnavailable(fmt.Errorf("read %s: %w", kindAccess, err))
		for i := range errs {
			errs[i] = err
		}
		return outs, errs
	}
	db, err := s.sqlDB()
	if err != nil {
		return fail(err)
	}
	rows, err := db.QueryContext(ctx, readAccessBatchSQL, signatures)
	if err != nil {
		return fail(err)
	}
	defer func() { _ = rows.Close() }()
	found := make(map[string]accessRead, len(signatures))
	for rows.Next() {
		var (
			sig string
			r   = accessRead{found: true}
		)
		if err := rows.Scan(&sig, &r.active, &r.data); err != nil {
			return fail(err)
		}
		found[sig] = r
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	for i, sig := range signatures {
		outs[i] = found[sig]
	}
	return outs, errs
}

func (s *Tokens) sqlDB() (*sql.DB, error) { return s.db.Gorm().DB() }
