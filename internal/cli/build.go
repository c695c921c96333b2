package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/detect"
)

func newBuildCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "build", Short: "How Rivetr builds source trees"}
	var dockerfile string
	det := &cobra.Command{
		Use:   "detect DIR",
		Short: "Say which build type Rivetr would pick for a directory, and why",
		Long: `Look at DIR the way an app with build type auto is looked at on each build:
a Dockerfile wins (dockerfile); then a project manifest such as package.json,
requirements.txt or go.mod (built by nixpacks, railpack or pack, the first on
the PATH); then an index.html at the root or in public, dist, build, site,
www, out or _site (static, served by rivetr-static). Nothing is sent to a
server.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r, err := detect.Detect(args[0], dockerfile)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), r)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "build type: %s (%s)\n", r.Type, r.Reason)
			if r.StaticDir != "" {
				fmt.Fprintf(out, "site directory: %s\n", r.StaticDir)
			}
			if r.Missing != "" {
				fmt.Fprintf(out, "note: %s is not on this machine's PATH; the Docker host's worker needs it (%s)\n", r.Missing, detect.ToolURL(r.Type))
			}
			return nil
		},
	}
	det.Flags().StringVar(&dockerfile, "dockerfile", "Dockerfile", "the Dockerfile's path inside DIR")
	cmd.AddCommand(det)
	return cmd
}
