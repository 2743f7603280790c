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
// to the server log only, never to a client.
type gormLogger struct {
	log  *slog.Logger
	slow time.Duration
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
