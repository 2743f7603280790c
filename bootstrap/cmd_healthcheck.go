package bootstrap

import (
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
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
				url = "http://" + net.JoinHostPort(probeHost(cfg.Host), strconv.Itoa(cfg.Port)) + "/api/health/ready"
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

// probeHost is where a probe on this machine reaches a server listening on
// HOST: loopback for the wildcard addresses, else HOST itself.
func probeHost(host string) string {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	switch host {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return host
}
