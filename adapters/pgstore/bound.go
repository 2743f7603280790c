package pgstore

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
)

// defaultBound is how long a statement or transaction whose context has no
// deadline (background workers, jobs, operator commands) may take when
// Options.DefaultTimeout is not set.
const defaultBound = 30 * time.Second

const boundSetting = "pgstore:bound"

type boundState struct {
	parent context.Context
	cancel context.CancelFunc
}

// registerCallbacks makes every GORM statement (1) end by itself when its
// context carries no deadline, so a hung database cannot hold a background
// worker's connection for ever, and (2) fail with ErrUnavailable when the
// database did not serve it, so no driver error of an outage reaches a
// repository's caller untranslated.
func registerCallbacks(gdb *gorm.DB, bound time.Duration) error {
	start := func(db *gorm.DB) {
		ctx := db.Statement.Context
		if ctx == nil {
			ctx = context.Background()
		}
		if _, ok := ctx.Deadline(); ok {
			return
		}
		bctx, cancel := context.WithTimeout(ctx, bound)
		db.Statement.Settings.Store(boundSetting, boundState{parent: ctx, cancel: cancel})
		db.Statement.Context = bctx
	}
	// A chain may run several finishers on one Statement, so the caller's
	// context is put back once the statement is done.
	finish := func(db *gorm.DB) {
		if v, ok := db.Statement.Settings.LoadAndDelete(boundSetting); ok {
			b := v.(boundState)
			b.cancel()
			db.Statement.Context = b.parent
		}
		db.Error = AsUnavailable(db.Error)
	}
	// Rows of a Row/Rows/Scan statement are read after the callbacks return:
	// cancelling here would cut them off, so the bound context is left to
	// expire by its own timer.
	finishRows := func(db *gorm.DB) {
		if v, ok := db.Statement.Settings.LoadAndDelete(boundSetting); ok {
			db.Statement.Context = v.(boundState).parent
		}
		db.Error = AsUnavailable(db.Error)
	}
	cb := gdb.Callback()
	return errors.Join(
		cb.Create().Before("*").Register("pgstore:bound", start),
		cb.Create().After("*").Register("pgstore:settle", finish),
		cb.Query().Before("*").Register("pgstore:bound", start),
		cb.Query().After("*").Register("pgstore:settle", finish),
		cb.Update().Before("*").Register("pgstore:bound", start),
		cb.Update().After("*").Register("pgstore:settle", finish),
		cb.Delete().Before("*").Register("pgstore:bound", start),
		cb.Delete().After("*").Register("pgstore:settle", finish),
		cb.Raw().Before("*").Register("pgstore:bound", start),
		cb.Raw().After("*").Register("pgstore:settle", finish),
		cb.Row().Before("*").Register("pgstore:bound", start),
		cb.Row().After("*").Register("pgstore:settle", finishRows),
	)
}

// withBound returns ctx unchanged when it has a deadline, else ctx bounded by
// d; cancel must be called.
func withBound(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, d)
}
