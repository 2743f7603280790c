package bootstrap

import (
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/secuird/authy/ports/platformport"
)

// keysCommand groups the operator commands for the server's keys.
func keysCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "Inspect the signing and encryption keys",
	}
	cmd.AddCommand(keysCheckCommand())
	cmd.AddCommand(keysRotateCommand())
	return cmd
}

func keysCheckCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the key configuration and print the id of every configured key",
		Long: "Reads SECRET_KEY, ENCRYPTION_KEY, CA_ENCRYPTION_KEY and their *_PREVIOUS lists\n" +
			"like `serve` does, and prints each key's id: 16 hex digits derived from the key,\n" +
			"never the key. Run it on every instance during a rotation: all must print the\n" +
			"same ids, and the new key must be current with the old one retired. Values\n" +
			"sealed by ENCRYPTION_KEY begin with v1:<key id>:, so a stored value shows which\n" +
			"key it needs. Needs no database.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := LoadConfig()
			if err != nil {
				return err
			}
			ks, err := buildKeys(cfg)
			if err != nil {
				return err
			}
			return printKeys(cmd.OutOrStdout(), cfg, ks)
		},
	}
}

func printKeys(out io.Writer, cfg Config, ks keySet) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	row := func(variable, state, id, note string) {
		if note == "" {
			fmt.Fprintf(w, "%s\t%s\t%s\n", variable, state, id)
			return
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", variable, state, id, note)
	}
	ring := func(current, previous string, ids platformport.KeyIDs) {
		note := ""
		if slices.Contains(ks.development, current) {
			note = "development key (not set; insecure, refused in production)"
		}
		row(current, "current", ids.Current, note)
		for _, id := range ids.Retired {
			row(previous, "retired", id, "")
		}
	}
	fmt.Fprintf(w, "APP_ENV=%s\n", cfg.AppEnv)
	row("VARIABLE", "STATE", "KEY ID", "")
	ring("SECRET_KEY", "SECRET_KEYS_PREVIOUS", ks.signer.KeyIDs())
	ring("ENCRYPTION_KEY", "ENCRYPTION_KEYS_PREVIOUS", ks.encryption.KeyIDs())
	if ks.ca != nil {
		ring("CA_ENCRYPTION_KEY", "CA_ENCRYPTION_KEYS_PREVIOUS", ks.ca.KeyIDs())
	} else {
		row("CA_ENCRYPTION_KEY", "not set", "-", "no certificate feature uses it yet")
	}
	return w.Flush()
}
