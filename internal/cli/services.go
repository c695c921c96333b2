package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/service"
)

// newServicesCmd is "rivetr apps services": a stack's containers.
func newServicesCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "services APP",
		Short: "List a stack's services: each container's image, state and health, and which deployment it is",
		Long: `List the containers of a stack (build type compose) by service: the serving
deployment's first, then an older deployment's still being retired. The
STATUS column is Docker's ("Up 3 minutes (healthy)"). A service's output:
rivetr logs APP --service NAME.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			svcs, err := c.Services(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if svcs == nil {
					svcs = []service.ServiceView{}
				}
				return printJSON(out, svcs)
			}
			if len(svcs) == 0 {
				fmt.Fprintf(out, "%s runs no containers (deploy it: rivetr deploy %s --wait)\n", args[0], args[0])
				return nil
			}
			tw := table(out)
			fmt.Fprintln(tw, "SERVICE\tSTATE\tSTATUS\tIMAGE\tDEPLOYMENT")
			for _, s := range svcs {
				name, dep := s.Service, s.Deployment
				if s.Routed {
					name += " (routed)"
				}
				if !s.Serving {
					dep += " (old)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, s.State, s.Status, s.Image, dep)
			}
			return tw.Flush()
		},
	}
}
