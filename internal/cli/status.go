package cli

import (
	"fmt"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/spf13/cobra"
)

func newStatusCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "status",
		Short: "Show the server's health (database, Temporal, Docker) and counts (of one team with --team)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			st, err := c.Status(cmd.Context(), g.teamName())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, st)
			}
			tw := table(out)
			fmt.Fprintf(tw, "database\t%s\ntemporal\t%s\ndocker\t%s\n", st.Database, st.Temporal, st.Docker)
			if st.Team != "" {
				fmt.Fprintf(tw, "team\t%s\n", st.Team)
			}
			fmt.Fprintf(tw, "apps\t%d\n", st.Apps)
			for _, s := range []release.Status{release.StatusQueued, release.StatusBuilding, release.StatusDeploying, release.StatusSucceeded, release.StatusFailed, release.StatusCancelled} {
				fmt.Fprintf(tw, "deployments %s\t%d\n", s, st.Deployments[s])
			}
			if st.TemporalUI != "" {
				fmt.Fprintf(tw, "temporal ui\t%s\n", st.TemporalUI)
			}
			tw.Flush()
			if !st.OK {
				return exitError{1}
			}
			return nil
		},
	}
}
