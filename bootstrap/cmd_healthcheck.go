package bootstrap

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/spf13/cobra"
)

// healthcheckCommand probes the local server's readiness, for container
// healthchecks on images that have no shell or curl.
func healthcheckCommand() *cobra.Command {
	var url string
	return &cobra.Command{
		Use:   "healthcheck",
		Short: "Exit 0 when the server on PORT answers /api/health/ready with 200",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if url == "" {
				cfg, err := LoadConfig()
				if err != nil {
					return err
				}
				url = "http://127.0.0.1:" + strconv.Itoa(cfg.Port) + "/api/health/ready"
			}
			client := &http.Client{Timeout: 3 * time.Second}
			res, err := client.Get(url)
			if err != nil {
				return fmt.Errorf("not healthy: %w", err)
			}
			defer res.Body.Close()
			if res.StatusCode != http.StatusOK {
				return fmt.Errorf("not healthy: %s answered %d", url, res.StatusCode)
			}
			fmt.Fprintln(cmd.OutOrStdout(), "healthy")
			return nil
		},
	}
}
