package bootstrap

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/pressly/goose/v3"
	"github.com/spf13/cobra"

	"github.com/secuird/authy/adapters/pgstore"
	"github.com/secuird/authy/migrations"
)

// Execute runs the command line and returns the process exit code.
func Execute() int {
	if err := NewRootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "error:", err)
		return 1
	}
	return 0
}

// NewRootCommand builds the `authy` command tree.
func NewRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "authy",
		Short:         "Authy: authentication and authorization API server",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCommand(), migrateCommand(), jobsCommand(), healthcheckCommand(), auditCommand(), cleanupSessionsCommand(), seedCommand(), keysCommand())
	return root
}

func serveCommand() *cobra.Command {
	var noMigrate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the HTTP API server (applies pending migrations first)",
		Long: "Run the HTTP API server on HOST:PORT. With DATABASE_URL and REDIS_URL it uses\n" +
			"PostgreSQL and Redis; without them a SQLite file (SQLITE_PATH) and in-process\n" +
			"adapters. SIGTERM or SIGINT drains in-flight requests and stops.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig()
			if err != nil {
				return err
			}
			if noMigrate {
				cfg.MigrateOnStart = false
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			app, err := New(ctx, cfg)
			if err != nil {
				return err
			}
			return app.Run(ctx)
		},
	}
	cmd.Flags().BoolVar(&noMigrate, "no-migrate", false, "do not apply pending migrations at start (same as MIGRATE_ON_START=false)")
	return cmd
}

func migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back, list or create database migrations",
	}
	var to int64 = -1
	up := &cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: withMigrator(func(ctx context.Context, cmd *cobra.Command, m *pgstore.Migrator) error {
			n, err := m.Up(ctx)
			if err != nil {
				return err
			}
			v, _ := m.Version(ctx)
			fmt.Fprintf(cmd.OutOrStdout(), "applied %d migration(s); version %d\n", n, v)
			return nil
		}),
	}
	down := &cobra.Command{
		Use:   "down",
		Short: "Roll back the latest migration (or all above --to VERSION)",
		Args:  cobra.NoArgs,
		RunE: withMigrator(func(ctx context.Context, cmd *cobra.Command, m *pgstore.Migrator) error {
			if to >= 0 {
				n, err := m.DownTo(ctx, to)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "rolled back %d migration(s); version %d\n", n, to)
				return nil
			}
			done, err := m.Down(ctx)
			if err != nil {
				return err
			}
			v, _ := m.Version(ctx)
			if !done {
				fmt.Fprintln(cmd.OutOrStdout(), "nothing to roll back")
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "rolled back 1 migration; version %d\n", v)
			return nil
		}),
	}
	down.Flags().Int64Var(&to, "to", -1, "roll back every migration above this version (0 = all)")
	status := &cobra.Command{
		Use:   "status",
		Short: "List migrations and whether each is applied",
		Args:  cobra.NoArgs,
		RunE: withMigrator(func(ctx context.Context, cmd *cobra.Command, m *pgstore.Migrator) error {
			list, err := m.Status(ctx)
			if err != nil {
				return err
			}
			for _, s := range list {
				state := "pending"
				if s.Applied {
					state = "applied"
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%05d  %-8s %s\n", s.Version, state, filepath.Base(s.Name))
			}
			return nil
		}),
	}
	var dir string
	create := &cobra.Command{
		Use:   "create NAME",
		Short: "Write a new numbered migration pair (postgres and sqlite) into the source tree",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			goose.SetSequential(true)
			for _, d := range []string{"postgres", "sqlite"} {
				if err := goose.Create(nil, filepath.Join(dir, d), args[0], "sql"); err != nil {
					return fmt.Errorf("create %s migration: %w", d, err)
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "edit both files, then run `authy migrate up`\n")
			return nil
		},
	}
	create.Flags().StringVar(&dir, "dir", "migrations", "the migrations source directory")
	cmd.AddCommand(up, down, status, create)
	return cmd
}

func withMigrator(fn func(ctx context.Context, cmd *cobra.Command, m *pgstore.Migrator) error) func(*cobra.Command, []string) error {
	return withDatabase(func(ctx context.Context, cmd *cobra.Command, db *pgstore.DB) error {
		m, err := pgstore.NewMigrator(db, migrations.FS)
		if err != nil {
			return err
		}
		return fn(ctx, cmd, m)
	})
}

// withDatabase runs an operator command on a small connection to the
// configured database, without building the whole server.
func withDatabase(fn func(ctx context.Context, cmd *cobra.Command, db *pgstore.DB) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, _ []string) error {
		cfg, err := LoadConfig()
		if err != nil {
			return err
		}
		db, err := pgstore.Open(pgstore.Options{URL: cfg.DatabaseURL, SQLitePath: cfg.SQLitePath, MaxOpenConns: 2})
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(cmd.Context(), cmd, db)
	}
}
