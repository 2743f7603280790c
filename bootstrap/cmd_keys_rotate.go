package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/signal"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/secuird/authy/application/oauthapp"
	"github.com/secuird/authy/ports/oauthport"
)

func keysRotateCommand() *cobra.Command {
	var resealOnly bool
	cmd := &cobra.Command{
		Use:   "rotate",
		Short: "Rotate the OpenID Provider's keys and re-encrypt stored keys and TOTP secrets under the current ENCRYPTION_KEY",
		Long: "Re-encrypts every stored OpenID Provider key and TOTP secret under the current ENCRYPTION_KEY (step 3\n" +
			"of an ENCRYPTION_KEY rotation: afterwards the old key may leave\n" +
			"ENCRYPTION_KEYS_PREVIOUS), then creates a successor of the RS256 and ES256 signing\n" +
			"keys and of the HMAC secret of opaque tokens. A successor is published in the JWKS\n" +
			"at once and signs only after a lead of " + oauthapp.DefaultPublishLead.String() + ", so every instance\n" +
			"and relying party learns it first; the key it succeeds keeps verifying until\n" +
			"every token it signed has expired. A kind with a successor still pending is left\n" +
			"alone. Safe on several instances at once. --reseal-only re-encrypts and rotates\n" +
			"nothing. Keys also rotate by themselves every OIDC_KEY_ROTATION_DAYS.",
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
			return app.RotateKeys(ctx, cmd.OutOrStdout(), resealOnly)
		},
	}
	cmd.Flags().BoolVar(&resealOnly, "reseal-only", false, "only re-encrypt the stored keys under the current ENCRYPTION_KEY")
	return cmd
}

// RotateKeys reseals the stored OpenID Provider keys and, unless
// resealOnly, creates a successor of each rotating kind; it prints what it
// did and the keys afterwards.
func (a *App) RotateKeys(ctx context.Context, out io.Writer, resealOnly bool) error {
	if a.oauth == nil {
		return errors.New("keys rotate: the OpenID Provider is not wired")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	n, err := a.oauth.keys.Reseal(ctx)
	if err != nil {
		return fmt.Errorf("re-encrypt the keys: %w", err)
	}
	fmt.Fprintf(out, "re-encrypted %d key(s) under ENCRYPTION_KEY %s\n", n, a.keyring.KeyIDs().Current)
	if a.mfa != nil {
		m, err := a.mfa.ResealSecrets(ctx, a.keyring)
		if err != nil {
			return fmt.Errorf("re-encrypt the TOTP secrets: %w", err)
		}
		fmt.Fprintf(out, "re-encrypted %d TOTP secret(s) under ENCRYPTION_KEY %s\n", m, a.keyring.KeyIDs().Current)
	}
	if resealOnly {
		return nil
	}
	report, err := a.oauth.keys.Rotate(ctx)
	if err != nil {
		return err
	}
	return printKeyReport(out, report)
}

func printKeyReport(out io.Writer, r oauthport.KeyReport) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	for _, ch := range r.Changes {
		if ch.Action == "created" {
			fmt.Fprintf(w, "created\t%s\t%s\tsigns from %s\n", ch.Kind, ch.ID, ch.ActivatesAt.UTC().Format(time.RFC3339))
		} else {
			fmt.Fprintf(w, "%s\t%s\t%s\t\n", ch.Action, ch.Kind, ch.ID)
		}
	}
	if len(r.Changes) == 0 {
		fmt.Fprintln(w, "no key created: each kind has a successor pending or is not due")
	}
	fmt.Fprintln(w, "KIND\tKEY ID\tSTATE\tSIGNS FROM")
	for _, k := range r.Keys {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", k.Kind, k.ID, k.State, k.ActivatesAt.UTC().Format(time.RFC3339))
	}
	return w.Flush()
}
