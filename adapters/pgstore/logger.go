package pgstore

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// gormLogger sends GORM's slow-query and error reports to slog. SQL text goes
// to the server log only, never to a client, and only with its placeholders:
// the bound values (password hashes, emails, names, tokens) are never
// written, not even when the database is slow.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
}

// Scan renders its statement through GORM's recorder, which asks this
// package-level filter instead of the session's logger. GORM uses the
// recorder's text for the log line only.
func init() {
	logger.RecorderParamsFilter = func(_ context.Context, sql string, _ ...any) (string, []any) {
		return sql, nil
	}
}

func newGormLogger(log *slog.Logger, slow time.Duration) logger.Interface {
	if log == nil {
		log = slog.Default()
	}
	if slow <= 0 {
		slow = 200 * time.Millisecond
	}
	return &gormLogger{log: log, slow: slow}
}

func (l *gormLogger) LogMode(logger.LogLevel) logger.Interface { return l }

// ParamsFilter implements gorm.ParamsFilter: GORM calls it before it renders
// a statement for Trace, and without values it renders the statement as it
// was sent, with its placeholders ($1 or ?).
func (l *gormLogger) ParamsFilter(_ context.Context, sql string, _ ...any) (string, []any) {
	return sql, nil
}

func (l *gormLogger) Info(ctx context.Context, msg string, args ...any) {
	l.log.DebugContext(ctx, msg, "args", args)
}

func (l *gormLogger) Warn(ctx context.Context, msg string, args ...any) {
	l.log.WarnContext(ctx, msg, "args", args)
}

func (l *gormLogger) Error(ctx context.Context, msg string, args ...any) {
	l.log.ErrorContext(ctx, msg, "args", args)
}

func (l *gormLogger) Trace(ctx context.Context, begin time.Time, fc func() (string, int64), err error) {
	elapsed := time.Since(begin)
	switch {
	case err != nil && !errors.Is(err, gorm.ErrRecordNotFound) && !errors.Is(err, context.Canceled):
		sql, rows := fc()
		l.log.DebugContext(ctx, "query failed", "error", err.Error(), "sql", sql, "rows", rows, "elapsed_ms", elapsed.Milliseconds())
	case elapsed > l.slow:
		sql, rows := fc()
		l.log.WarnContext(ctx, "slow query", "sql", sql, "rows", rows, "elapsed_ms", elapsed.Milliseconds())
	}
}
