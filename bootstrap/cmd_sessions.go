package bootstrap

import (
	"context"
	"fmt"
	"io"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// cleanupSessionsCommand marks every session past its expiry as EXPIRED
// once, in batches; `authy jobs run cleanup_sessions --interval 300s` does
// the same on a schedule.
func cleanupSessionsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "cleanup-sessions",
		Short: "Mark expired sessions EXPIRED, in batches of 500 (once; see `jobs run cleanup_sessions` to repeat)",
		Long: "Soft-marks every session whose expiry has passed as EXPIRED, 500 per short\n" +
			"transaction (FOR UPDATE SKIP LOCKED on PostgreSQL, so several runners and the\n" +
			"live server never wait on each other), with one sessions.expired audit record\n" +
			"per batch. Safe to run on several machines at once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig()
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			app, err := New(ctx, cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.RunJob(context.WithValue(ctx, cleanupOutput{}, cmd.OutOrStdout()), jobCleanupSessions, 0)
		},
	}
}

// cleanupOutput carries the writer the command reports its count to.
type cleanupOutput struct{}

func reportCleanup(ctx context.Context, n int) {
	if w, ok := ctx.Value(cleanupOutput{}).(io.Writer); ok {
		fmt.Fprintf(w, "marked %d expired session(s)\n", n)
	}
}
