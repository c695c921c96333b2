package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/config"
)

func newServerCmd(run RunFunc) *cobra.Command {
	return processCmd(run, config.RoleServer, "server", "Run Rivetr: API, dashboard, embedded Temporal server and UI, worker and proxy",
		`Run everything in one process. By default Temporal runs embedded on a SQLite
file in the data dir (frontend `+config.DefaultTemporalListen+`, which answers only
callers with <data-dir>/temporal-token; UI `+config.DefaultTemporalUIAddr+`) and Rivetr's own data is a SQLite file there too. --temporal-address uses an
existing Temporal cluster instead; --database-url uses PostgreSQL.

Every flag can also be set with its RIVETR_* environment variable or a key in
rivetr.toml (./rivetr.toml, <data-dir>/rivetr.toml, or --config FILE).
SIGINT/SIGTERM shut down gracefully. The proxy runs as its own process
(--proxy-mode process, see "rivetr proxy --help"): apps keep answering while
the server stops, restarts or is upgraded.`)
}

func newWorkerCmd(run RunFunc) *cobra.Command {
	return processCmd(run, config.RoleWorker, "worker", "Run a Docker host's worker and proxy against an existing Temporal cluster",
		`Run the worker of one Docker host (agent mode): it polls the shared "rivetr"
task queue and its own "rivetr.host.<host-name>" queue, and serves the host's
apps through the proxy. It needs --temporal-address and the same
--database-url and secret key as the server, and for a server's embedded
Temporal its token (RIVETR_TEMPORAL_TOKEN=$(cat <data-dir>/temporal-token)).`)
}

// processCmd builds the command of a long-running process: the
// configuration flags, then run until SIGINT/SIGTERM.
func processCmd(run RunFunc, role config.Role, use, short, long string) *cobra.Command {
	cfg := config.Default()
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Resolve(cmd.Flags(), &cfg); err != nil {
				return err
			}
			log, err := newLogger(cfg.LogLevel)
			if err != nil {
				return err
			}
			return run(cmd.Context(), cfg, role, log)
		},
	}
	config.BindFlags(cmd.Flags(), &cfg)
	return cmd
}

func newConfigCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "config", Short: "Inspect configuration"}
	cfg := config.Default()
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration (flags, RIVETR_* env, rivetr.toml) and print what would be used",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Resolve(cmd.Flags(), &cfg); err != nil {
				return fmt.Errorf("configuration is invalid:\n%w", err)
			}
			cfg.Print(cmd.OutOrStdout())
			fmt.Fprintln(cmd.OutOrStdout(), "configuration is valid")
			return nil
		},
	}
	config.BindFlags(check.Flags(), &cfg)
	cmd.AddCommand(check)
	return cmd
}
