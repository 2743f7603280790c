package bootstrap

import (
	"context"
	"fmt"
	"os/signal"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
)

// Job is a named unit of background work that `authy jobs run NAME` runs
// once or on an interval. RunOnce must be safe to run concurrently on
// several instances. Refusal, when set, is why the job must not run with
// this configuration: RunJob returns it at once instead of running.
type Job struct {
	Name        string
	Description string
	RunOnce     func(ctx context.Context) error
	Refusal     error
}

func (a *App) addJob(j Job) {
	if a.jobs == nil {
		a.jobs = map[string]Job{}
	}
	a.jobs[j.Name] = j
}

// Job returns a registered job by name.
func (a *App) Job(name string) (Job, bool) {
	j, ok := a.jobs[name]
	return j, ok
}

// JobNames lists the registered jobs.
func (a *App) JobNames() []string {
	names := make([]string, 0, len(a.jobs))
	for n := range a.jobs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// RunJob runs job name once, or every interval until ctx ends when interval
// is positive. A failed run is logged and retried at the next tick.
func (a *App) RunJob(ctx context.Context, name string, interval time.Duration) error {
	j, ok := a.jobs[name]
	if !ok {
		return fmt.Errorf("unknown job %q (known: %s)", name, strings.Join(a.JobNames(), ", "))
	}
	if j.Refusal != nil {
		return fmt.Errorf("job %s refused: %w", name, j.Refusal)
	}
	if interval <= 0 {
		return j.RunOnce(ctx)
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		if err := j.RunOnce(ctx); err != nil && ctx.Err() == nil {
			a.log.Error("job failed", "job", name, "error", err.Error())
		}
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
		}
	}
}

func jobsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "jobs", Short: "Run background jobs"}
	var interval time.Duration
	run := &cobra.Command{
		Use:   "run [NAME]",
		Short: "Run a job once, or every --interval (NAME and interval also from JOB_NAME / JOB_INTERVAL_SECONDS)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := LoadConfig()
			if err != nil {
				return err
			}
			name := cfg.JobName
			if len(args) == 1 {
				name = args[0]
			}
			if name == "" {
				return fmt.Errorf("name a job: authy jobs run NAME (or set JOB_NAME)")
			}
			every := interval
			if !cmd.Flags().Changed("interval") && cfg.JobName != "" && len(args) == 0 {
				every = time.Duration(cfg.JobIntervalSeconds) * time.Second
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGTERM, syscall.SIGINT)
			defer stop()
			app, err := New(ctx, cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.RunJob(ctx, name, every)
		},
	}
	run.Flags().DurationVar(&interval, "interval", 0, "repeat every interval (e.g. 300s); 0 runs once")
	cmd.AddCommand(run)
	return cmd
}
