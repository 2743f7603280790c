package bootstrap

import (
	"errors"

	"github.com/spf13/cobra"
)

func seedCommand() *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "seed",
		Short: "Load demo data (idempotent): Acme Corp, bob@acme-corp.com / UserPass123! and colleagues",
		Long: "Creates, through the normal use cases (validated and audited), the organization\n" +
			"\"Acme Corp\" (slug acme-corp) owned by alice@acme-corp.com / OwnerPass123!, with\n" +
			"bob@acme-corp.com / UserPass123! and dave@acme-corp.com / DavePass123! as members,\n" +
			"carol@acme-corp.com / AdminPass123! as admin, and a pending invitation for\n" +
			"erin@acme-corp.com. Running it again changes nothing. Refused when\n" +
			"APP_ENV=production unless --force.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig()
			if err != nil {
				return err
			}
			if cfg.Production() && !force {
				return errors.New("refusing to load demo accounts with known passwords into a production deployment (use --force if you mean it)")
			}
			app, err := New(cmd.Context(), cfg)
			if err != nil {
				return err
			}
			defer app.Close()
			return app.Seed(cmd.Context(), cmd.OutOrStdout())
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "seed even when APP_ENV=production")
	return cmd
}
