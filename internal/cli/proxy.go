package cli

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/proxy"
)

func newProxyCmd(run RunFunc) *cobra.Command {
	cmd := processCmd(run, config.RoleProxy, "proxy", "Run the proxy that serves apps (HTTP, HTTPS and certificates) as its own process",
		`Run the edge of one Docker host: the reverse proxy on --proxy-addr, HTTPS with
automatic certificates on --https-addr, and the route table persisted in the data
dir. The server drives it through the control socket <data-dir>/proxy.sock, so
apps keep answering while "rivetr server" stops, restarts or is upgraded.

With --proxy-mode process (the default) the server starts this process itself
when none answers on the socket, and keeps it across its own restarts; its log
is <data-dir>/proxy.log. With --proxy-mode external run it yourself (the
systemd unit deployments/rivetr-proxy.service) with the same configuration
as the server. "rivetr proxy stop" stops it (apps stop answering);
"rivetr proxy status" shows what runs. SIGINT/SIGTERM stop it gracefully.`)
	cmd.AddCommand(proxyCtlCmd("status", "Show the running proxy: its PID, version, addresses and routes", func(ctx context.Context, p *proxy.Remote, cmd *cobra.Command) error {
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		out := cmd.OutOrStdout()
		fmt.Fprintf(out, "pid\t%d\nversion\t%s\nhttp\t%s\n", st.PID, st.Version, st.HTTPAddr)
		if st.HTTPSAddr != "" {
			fmt.Fprintf(out, "https\t%s\n", st.HTTPSAddr)
		}
		fmt.Fprintf(out, "routes\t%d\nup since\t%s\n", st.Routes, st.Started.Format(time.RFC3339))
		return nil
	}))
	cmd.AddCommand(proxyCtlCmd("stop", "Stop the running proxy (apps stop answering until it runs again)", func(ctx context.Context, p *proxy.Remote, cmd *cobra.Command) error {
		st, err := p.Status(ctx)
		if err != nil {
			return err
		}
		if err := p.Stop(ctx); err != nil {
			return err
		}
		for i := 0; i < 100; i++ {
			if _, err := p.Status(ctx); errors.Is(err, proxy.ErrProxyDown) {
				fmt.Fprintf(cmd.OutOrStdout(), "proxy %d stopped\n", st.PID)
				return nil
			}
			time.Sleep(100 * time.Millisecond)
		}
		return fmt.Errorf("proxy %d is still running after 10 s (it finishes in-flight requests first); kill %d to stop it now", st.PID, st.PID)
	}))
	return cmd
}

// proxyCtlCmd is a subcommand talking to the proxy of the data dir.
func proxyCtlCmd(use, short string, do func(ctx context.Context, p *proxy.Remote, cmd *cobra.Command) error) *cobra.Command {
	cfg := config.Default()
	c := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := config.Resolve(cmd.Flags(), &cfg); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), 15*time.Second)
			defer cancel()
			return do(ctx, proxy.NewRemote(cfg.ProxySocket()), cmd)
		},
	}
	c.Flags().StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data dir of the server whose proxy this is [RIVETR_DATA_DIR]")
	c.Flags().String("config", "", "config file (default: ./"+config.DefaultConfigFile+" or <data-dir>/"+config.DefaultConfigFile+" when present) [RIVETR_CONFIG]")
	return c
}
