package cli

import (
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/service"
)

func newVolumesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "volumes", Short: "List, add and remove an app's persistent volumes (kept across deploys, rollbacks and restarts)"}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's volumes with their mount paths and sizes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.ListVolumes(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if vs == nil {
					vs = []service.VolumeView{}
				}
				return printJSON(cmd.OutOrStdout(), vs)
			}
			if len(vs) == 0 {
				fmt.Fprintf(cmd.OutOrStdout(), "%s has no volumes: its containers keep nothing across deploys. Add one with: rivetr volumes add %s NAME --path /data\n", args[0], args[0])
				return nil
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tPATH\tSIZE\tDOCKER VOLUME")
			for _, v := range vs {
				size := "-"
				if v.Size != nil {
					size = humanize.Bytes(uint64(*v.Size))
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Path, size, v.Docker)
			}
			return tw.Flush()
		},
	}
	var path string
	add := &cobra.Command{
		Use:   "add APP NAME --path PATH",
		Short: "Give an app a named volume at PATH in its containers, mounted from its next deployment",
		Long: `Give an app a named volume mounted at --path in its containers from its next deployment on,
kept across deploys, rollbacks (which run the older image with today's data) and restarts:
  rivetr volumes add web data --path /data
  rivetr deploy web --wait
New versions start beside the old one on the same volume before traffic switches (no
downtime), so the app must cope with two of its versions using it for a moment.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.AddVolume(cmd.Context(), args[0], service.VolumeRequest{Name: args[1], Path: path})
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "volume %s at %s added to %s; it is mounted from the next deployment: rivetr deploy %s\n", v.Name, v.Path, args[0], args[0])
			return nil
		},
	}
	add.Flags().StringVar(&path, "path", "", "where the volume is mounted in the app's containers, such as /data (required)")
	_ = add.MarkFlagRequired("path")
	var yes bool
	remove := &cobra.Command{
		Use:   "remove APP NAME",
		Short: "Take a volume from an app: the next deployment no longer mounts it and deletes its data",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if !yes {
				if !isTerminal(os.Stdin) {
					return fmt.Errorf("removing volume %s deletes its data at the next deployment: confirm with --yes", args[1])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Remove volume %s of %s? Its data is deleted at the next deployment. Type its name to confirm: ", args[1], args[0])
				if !confirm(os.Stdin, args[1]) {
					return fmt.Errorf("not removed")
				}
			}
			if err := c.RemoveVolume(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "volume %s removed from %s; the next deployment no longer mounts it and deletes its data\n", args[1], args[0])
			return nil
		},
	}
	remove.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.AddCommand(list, add, remove)
	return cmd
}
