package cli

import (
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newLogsCmd(g *globals) *cobra.Command {
	var follow bool
	var deployment, svc string
	var tail int
	cmd := &cobra.Command{
		Use:   "logs NAME [-f] [--service NAME] [--deployment ID]",
		Short: "Show an app's runtime output, or a deployment's build and deploy log",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if deployment == "" {
				return c.AppLogs(cmd.Context(), args[0], svc, tail, follow, out)
			}
			if follow {
				_, err := c.StreamLogs(cmd.Context(), deployment, func(l service.LogLine) { printLine(out, l) })
				return err
			}
			var after uint64
			for {
				lines, err := c.DeploymentLogs(cmd.Context(), deployment, after)
				if err != nil {
					return err
				}
				for _, l := range lines {
					printLine(out, l)
					after = l.ID
				}
				if len(lines) < 5000 {
					return nil
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing new output")
	cmd.Flags().StringVar(&deployment, "deployment", "", "show this deployment's build and deploy log instead")
	cmd.Flags().IntVar(&tail, "tail", 100, "runtime lines to show from the end (0: all)")
	cmd.Flags().StringVar(&svc, "service", "", "a stack's service to show (default: the one its domains route to; rivetr apps services lists them)")
	return cmd
}
