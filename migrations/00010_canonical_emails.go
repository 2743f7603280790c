package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"

	"github.com/pressly/goose/v3"

	"github.com/secuird/authy/domain/shared"
)

// Migration 00010 gives stored addresses the canonical form of
// shared.ParseEmail (NFC, lower case, IDNA ASCII domain). Accounts were
// keyed by the trimmed, lower-cased address, which the earlier rule let hold
// decomposed accents and Unicode domains; such an account would no longer be
// found by its own address, and a second account could take the canonical
// spelling. NFC and IDNA have no SQL form in SQLite (nor IDNA in
// PostgreSQL), so this one migration is Go and serves both dialects.
//
// It re-keys users.email_normalized (and users.email) and the email of
// organization_invitations wherever the canonical form differs, and leaves
// a row as it is when the current rule refuses its address (it stays
// readable; no look-up can produce its key, so it cannot sign in or be
// invited under it) or when its canonical form already belongs to another
// live account, or another invitation of the same organization: of two
// spellings of one address registered twice, the account that already
// holds the canonical key, else the older one, keeps the address. The ids of
// the rows left are logged, never their addresses. It applies today's rule:
// a later change of the rule needs a migration of its own.
//
// Down leaves the canonical keys: the earlier spellings are not kept.
func init() {
	goose.AddNamedMigrationContext("00010_canonical_emails.go", canonicalEmailsUp, canonicalEmailsDown)
}

// maxLoggedIDs bounds the ids one log line names.
const maxLoggedIDs = 100

type storedAddress struct {
	id, group, email, key string
	live                  bool
}

func canonicalEmailsUp(ctx context.Context, tx *sql.Tx) error {
	users, err := readAddresses(ctx, tx, `SELECT CAST(id AS TEXT), '', email, email_normalized,
		CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END FROM users ORDER BY created_at, id`)
	if err != nil {
		return fmt.Errorf("read users: %w", err)
	}
	rekeyed, kept, err := rekey(users, func(a storedAddress, canonical string) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET email = $1, email_normalized = $1 WHERE id = $2`, canonical, a.id)
		return err
	})
	if err != nil {
		return fmt.Errorf("re-key users: %w", err)
	}
	logLeft(ctx, "users", rekeyed, kept)

	// Every invitation counts as live here: whatever their status, two
	// invitations of one organization never share a spelling afterwards.
	invitations, err := readAddresses(ctx, tx, `SELECT CAST(id AS TEXT), CAST(organization_id AS TEXT), email, email, 1
		FROM organization_invitations ORDER BY created_at, id`)
	if err != nil {
		return fmt.Errorf("read invitations: %w", err)
	}
	rekeyed, kept, err = rekey(invitations, func(a storedAddress, canonical string) error {
		_, err := tx.ExecContext(ctx, `UPDATE organization_invitations SET email = $1 WHERE id = $2`, canonical, a.id)
		return err
	})
	if err != nil {
		return fmt.Errorf("re-key invitations: %w", err)
	}
	logLeft(ctx, "organization_invitations", rekeyed, kept)
	return nil
}

func canonicalEmailsDown(context.Context, *sql.Tx) error { return nil }

func readAddresses(ctx context.Context, tx *sql.Tx, query string) ([]storedAddress, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storedAddress
	for rows.Next() {
		var a storedAddress
		var live int
		if err := rows.Scan(&a.id, &a.group, &a.email, &a.key, &live); err != nil {
			return nil, err
		}
		a.live = live == 1
		out = append(out, a)
	}
	return out, rows.Err()
}

// rekey calls update for every address whose key is not its canonical form
// and whose canonical form is free among the live keys of its group, in the
// order given (oldest first). It returns how many it re-keyed and the ids of
// those it left.
func rekey(all []storedAddress, update func(storedAddress, string) error) (int, []string, error) {
	type slot struct{ group, key string }
	holder := map[slot]string{}
	for _, a := range all {
		if a.live {
			holder[slot{a.group, a.key}] = a.id
		}
	}
	rekeyed, kept := 0, []string(nil)
	for _, a := range all {
		e, reason := shared.ParseEmail(a.email)
		if reason != "" {
			// The display column may hold a spelling the key does not;
			// the key is what was compared, so try it too.
			if e, reason = shared.ParseEmail(a.key); reason != "" {
				kept = append(kept, a.id)
				continue
			}
		}
		canonical := e.String()
		if canonical == a.key {
			continue // only the display column differs, and loading canonicalizes it
		}
		if a.live {
			if h, taken := holder[slot{a.group, canonical}]; taken && h != a.id {
				kept = append(kept, a.id)
				continue
			}
		}
		if err := update(a, canonical); err != nil {
			return rekeyed, kept, err
		}
		if a.live {
			delete(holder, slot{a.group, a.key})
			holder[slot{a.group, canonical}] = a.id
		}
		rekeyed++
	}
	return rekeyed, kept, nil
}

func logLeft(ctx context.Context, table string, rekeyed int, kept []string) {
	if rekeyed == 0 && len(kept) == 0 {
		return
	}
	ids := kept
	if len(ids) > maxLoggedIDs {
		ids = ids[:maxLoggedIDs]
	}
	slog.WarnContext(ctx, "migration 00010: stored addresses given their canonical form", "table", table,
		"rekeyed", rekeyed, "left_as_they_were", len(kept), "left_ids", ids)
}
