package pgstore

import (
	"context"
	"errors"

	"gorm.io/gorm"
)

// began is a transaction opened by Begin: whether this Begin owns it (an
// inner Begin joins the outer one and leaves commit and rollback to it),
// the after-commit hooks and the bound's cancel.
type began struct {
	owner  bool
	done   bool
	queue  *afterCommitQueue
	cancel context.CancelFunc
}

type beganKey struct{ db *DB }

// ErrNoTransaction is Commit or Rollback given a context Begin did not return.
var ErrNoTransaction = errors.New("pgstore: the context carries no transaction opened by Begin")

// Begin opens a transaction carried by the returned context, for a library
// that demands begin, commit and rollback as separate calls (the OAuth
// library's storage.Transactional) instead of a closure. Prefer
// Transaction: Begin does not retry a serialization failure, and the caller
// must end it with Commit or Rollback on the context Begin returned. When
// ctx already carries a transaction, Begin joins it: Commit and Rollback of
// the inner context do nothing, and the outermost caller decides.
func (d *DB) Begin(ctx context.Context) (context.Context, error) {
	if d.InTx(ctx) {
		return context.WithValue(ctx, beganKey{d}, &began{}), nil
	}
	bctx, cancel := withBound(ctx, d.bound)
	tx := d.gorm.WithContext(bctx).Begin()
	if tx.Error != nil {
		cancel()
		return ctx, settleTx(bctx, tx.Error)
	}
	b := &began{owner: true, queue: &afterCommitQueue{}, cancel: cancel}
	txCtx := context.WithValue(context.WithValue(context.WithValue(bctx, txKey{d}, tx), afterCommitKey{d}, b.queue), beganKey{d}, b)
	return txCtx, nil
}

// Commit commits the transaction Begin opened in ctx and then runs its
// after-commit hooks; for a joined transaction it does nothing.
func (d *DB) Commit(ctx context.Context) error {
	b, tx, err := d.begun(ctx)
	if err != nil || !b.owner || b.done {
		return err
	}
	b.done = true
	defer b.cancel()
	if err := tx.Commit().Error; err != nil {
		return settleTx(ctx, err)
	}
	for _, f := range b.queue.fns {
		f(context.WithoutCancel(ctx))
	}
	return nil
}

// Rollback rolls back the transaction Begin opened in ctx; for a joined
// transaction, or one already ended, it does nothing.
func (d *DB) Rollback(ctx context.Context) error {
	b, tx, err := d.begun(ctx)
	if err != nil || !b.owner || b.done {
		return err
	}
	b.done = true
	defer b.cancel()
	if err := tx.Rollback().Error; err != nil {
		return settleTx(ctx, err)
	}
	return nil
}

func (d *DB) begun(ctx context.Context) (*began, *gorm.DB, error) {
	b, ok := ctx.Value(beganKey{d}).(*began)
	if !ok {
		return nil, nil, ErrNoTransaction
	}
	if !b.owner {
		return b, nil, nil
	}
	tx, ok := ctx.Value(txKey{d}).(*gorm.DB)
	if !ok {
		return nil, nil, ErrNoTransaction
	}
	return b, tx, nil
}
