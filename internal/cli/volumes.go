package cli

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func newVolumesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "volumes", Short: "List, add, remove, back up and restore an app's persistent volumes (kept across deploys, rollbacks and restarts)"}
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
	cmd.AddCommand(volumeBackupCmds(g)...)
	return cmd
}

// volumeBackupCmds back volumes up and restore them, as "rivetr databases"
// does databases.
func volumeBackupCmds(g *globals) []*cobra.Command {
	var wait bool
	backupNow := &cobra.Command{
		Use:   "backup APP VOLUME [--wait]",
		Short: "Back a volume up now (to its policy's destinations, verified)",
		Long: `Back a volume's files up now, as a gzip'd tar read while the app runs, to
every destination of the volume's backup policy (by default its host's disk,
<data-dir>/backups), each copy read back and checked against its SHA-256.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			b, err := c.BackupVolume(cmd.Context(), args[0], args[1], wait)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), b)
			}
			if b.Status == release.BackupSucceeded {
				fmt.Fprintf(cmd.OutOrStdout(), "backup %s of %s/%s succeeded: %s, sha256 %s, in %s\n", b.ID, args[0], args[1], humanize.Bytes(uint64(b.Size)), short(b.SHA256), strings.Join(b.Locations, ", "))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup %s of %s/%s is %s; see it with: rivetr volumes backups %s %s\n", b.ID, args[0], args[1], b.Status, args[0], args[1])
			return nil
		},
	}
	backupNow.Flags().BoolVar(&wait, "wait", false, "wait until the backup is stored and verified")

	list := &cobra.Command{
		Use:   "backups APP VOLUME",
		Short: "List a volume's backups, newest first",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			bs, err := c.VolumeBackups(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			return printBackups(cmd.OutOrStdout(), g.output, bs)
		},
	}

	var yes bool
	restore := &cobra.Command{
		Use:   "restore APP VOLUME BACKUP_ID --yes",
		Short: "Replace a volume's files with a verified backup's",
		Long: `Restore a backup into its volume: the copy is checked against the SHA-256
recorded when it was taken before anything is touched (a corrupt copy is
refused); the app's container is stopped while the files are replaced, the
proxy holding its requests, and started again. The command waits and says
plainly whether it worked.`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes {
				if !isTerminal(os.Stdin) {
					return fmt.Errorf("restoring replaces the files of volume %s of %s: confirm with --yes", args[1], args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Replace the files of volume %s of %s with backup %s? Type the volume's name to confirm: ", args[1], args[0], args[2])
				if !confirm(os.Stdin, args[1]) {
					return fmt.Errorf("not restored")
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RestoreVolume(cmd.Context(), args[0], args[1], args[2]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored backup %s into volume %s of %s\n", args[2], args[1], args[0])
			return nil
		},
	}
	restore.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")

	var pf backupPolicyFlags
	policy := &cobra.Command{
		Use:   "backup-policy APP VOLUME [--cron EXPR --tz ZONE] [--keep-last N] [--keep-days D] [--local=false] [--s3-… ] [--notify URL]",
		Short: "Show or change where and when a volume is backed up, and how long backups are kept",
		Long: `Without flags, show the policy; the flags are those of
"rivetr databases backup-policy" (a schedule as backups/APP/VOLUME, retention,
local copies, an S3-compatible bucket, a failure notification URL).`,
		Args: cobra.ExactArgs(2),
		RunE: policyRunE(g, &pf, func(ctx context.Context, c *client.Client, args []string) (*service.PolicyView, error) {
			return c.VolumeBackupPolicy(ctx, args[0], args[1])
		}, func(ctx context.Context, c *client.Client, args []string, in service.PolicyInput) (*service.PolicyView, error) {
			return c.SetVolumeBackupPolicy(ctx, args[0], args[1], in)
		}),
	}
	pf.bind(policy.Flags(), "the app host's")
	return []*cobra.Command{backupNow, list, restore, policy}
}
