package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// backupCmds are the backup commands of "rivetr databases".
func backupCmds(g *globals) []*cobra.Command {
	var wait, volume bool
	backupNow := &cobra.Command{
		Use:   "backup NAME [--wait] [--volume]",
		Short: "Back a database up now (to its policy's destinations, verified)",
		Long: `Back a database up now with its engine's dump tool, or with --volume as a
gzip'd tar of its data volume (the database is stopped while the files are
copied, then started again). Either is stored to the policy's destinations
and read back to check it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			b, err := c.BackupNow(cmd.Context(), args[0], wait, volume)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), b)
			}
			if b.Status == release.BackupSucceeded {
				fmt.Fprintf(cmd.OutOrStdout(), "backup %s of %s succeeded: %s, sha256 %s, in %s\n", b.ID, args[0], humanize.Bytes(uint64(b.Size)), short(b.SHA256), strings.Join(b.Locations, ", "))
				return nil
			}
			fmt.Fprintf(cmd.OutOrStdout(), "backup %s of %s is %s; see it with: rivetr databases backups %s\n", b.ID, args[0], b.Status, args[0])
			return nil
		},
	}
	backupNow.Flags().BoolVar(&wait, "wait", false, "wait until the backup is stored and verified")
	backupNow.Flags().BoolVar(&volume, "volume", false, "back up the data volume's files instead of a dump (stops the database meanwhile)")

	list := &cobra.Command{
		Use:   "backups NAME",
		Short: "List a database's backups, newest first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			bs, err := c.Backups(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printBackups(cmd.OutOrStdout(), g.output, bs)
		},
	}

	var to string
	var yes bool
	restore := &cobra.Command{
		Use:   "restore NAME BACKUP_ID [--to NEW_NAME] --yes",
		Short: "Restore a verified backup into the database (or into a new one with --to)",
		Long: `Restore a backup: its copy is checked against the SHA-256 recorded when it
was taken before anything is touched (a corrupt copy is refused); the
database is taken off its team's network while it is restored, so apps cannot
reach it half-restored, and comes back afterwards. The command waits and
says plainly whether it worked. --to restores into a new database of the
same engine instead, leaving NAME alone.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !yes && to == "" {
				if !isTerminal(os.Stdin) {
					return fmt.Errorf("restoring replaces the data of %s: confirm with --yes (or restore into a new database with --to)", args[0])
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Replace the data of %s with backup %s? Type its name to confirm: ", args[0], args[1])
				if !confirm(os.Stdin, args[0]) {
					return errors.New("not restored")
				}
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.Restore(cmd.Context(), args[0], args[1], to)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "restored backup %s into %s; it is %s\n", args[1], d.Name, d.Status)
			return nil
		},
	}
	restore.Flags().StringVar(&to, "to", "", "restore into a new database of this name")
	restore.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")

	var pf backupPolicyFlags
	policy := &cobra.Command{
		Use:   "backup-policy NAME [--cron EXPR --tz ZONE] [--keep-last N] [--keep-days D] [--local=false] [--s3-… ] [--notify URL]",
		Short: "Show or change where and when a database is backed up, and how long backups are kept",
		Long: `Without flags, show the policy. A database without one keeps its backups on
its host's disk (<data-dir>/backups), the newest 7. --cron (with --tz)
schedules backups as a Temporal Schedule (backups/NAME; overlapping runs are
skipped, runs missed while down are caught up within an hour); --cron ""
removes it. Retention keeps the newest --keep-last and those younger than
--keep-days (either rule keeps a backup; the newest good one is never
deleted). --s3-endpoint, --s3-bucket, --s3-region, --s3-prefix,
--s3-access-key and --s3-secret-key-file add an S3-compatible bucket
(--s3-path-style for most self-hosted servers); --s3-bucket "" removes it.
--notify URL posts failures as JSON (Slack's "text", Discord's "content").`,
		Args: cobra.ExactArgs(1),
		RunE: policyRunE(g, &pf, func(ctx context.Context, c *client.Client, args []string) (*service.PolicyView, error) {
			return c.BackupPolicy(ctx, args[0])
		}, func(ctx context.Context, c *client.Client, args []string, in service.PolicyInput) (*service.PolicyView, error) {
			return c.SetBackupPolicy(ctx, args[0], in)
		}),
	}
	pf.bind(policy.Flags(), "the database host's")
	return []*cobra.Command{backupNow, list, restore, policy}
}

// policyRunE shows a backup policy (get) or, with flags, changes it (set),
// for databases and volumes alike.
func policyRunE(g *globals, pf *backupPolicyFlags,
	get func(context.Context, *client.Client, []string) (*service.PolicyView, error),
	set func(context.Context, *client.Client, []string, service.PolicyInput) (*service.PolicyView, error),
) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		c, err := g.client()
		if err != nil {
			return err
		}
		in, change, err := pf.input(cmd.Flags())
		if err != nil {
			return err
		}
		var p *service.PolicyView
		if change {
			p, err = set(cmd.Context(), c, args, in)
		} else {
			p, err = get(cmd.Context(), c, args)
		}
		if err != nil {
			return err
		}
		if g.output == "json" {
			return printJSON(cmd.OutOrStdout(), p)
		}
		return printPolicy(cmd.OutOrStdout(), p)
	}
}

// printPolicy prints a backup policy as rows.
func printPolicy(out io.Writer, p *service.PolicyView) error {
	tw := table(out)
	row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
	sched := "on demand only"
	if p.Cron != "" {
		sched = p.Cron + " (" + p.TZ + ")"
		if p.NextRun != nil {
			sched += ", next " + p.NextRun.Local().Format(time.DateTime)
		}
	}
	row("schedule", sched)
	row("keep", fmt.Sprintf("newest %d, and those younger than %d days (0: rule off)", p.KeepLast, p.KeepDays))
	row("local copies", yesNo(p.Local))
	if p.S3Bucket != "" {
		row("s3", fmt.Sprintf("%s bucket %s prefix %q (secret key %s)", p.S3Endpoint, p.S3Bucket, p.S3Prefix, map[bool]string{true: "set", false: "missing"}[p.HasS3SecretKey]))
	} else {
		row("s3", "-")
	}
	row("notify", cmp.Or(p.NotifyURL, "-"))
	return tw.Flush()
}

// printBackups prints backups as a table (or JSON).
func printBackups(out io.Writer, output string, bs []service.Backup) error {
	if output == "json" {
		if bs == nil {
			bs = []service.Backup{}
		}
		return printJSON(out, bs)
	}
	tw := table(out)
	fmt.Fprintln(tw, "ID\tSTARTED\tKIND\tTRIGGER\tSTATUS\tSIZE\tSHA256\tTOOK\tWHERE / ERROR")
	for _, b := range bs {
		took := "-"
		if b.FinishedAt != nil {
			took = b.FinishedAt.Sub(b.StartedAt).Round(100 * time.Millisecond).String()
		}
		where := strings.Join(b.Locations, ", ")
		if b.Error != "" {
			where = b.Error
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", b.ID, b.StartedAt.Local().Format(time.DateTime), cmp.Or(string(b.Kind), "dump"), b.Trigger, b.Status,
			humanize.Bytes(uint64(b.Size)), cmp.Or(short(b.SHA256), "-"), took, cmp.Or(where, "-"))
	}
	return tw.Flush()
}

// backupPolicyFlags are a backup policy's flags.
type backupPolicyFlags struct{ secretFile string }

func (pf *backupPolicyFlags) bind(f *pflag.FlagSet, host string) {
	f.String("cron", "", "when to back up (cron: minute hour day month weekday); \"\" removes the schedule")
	f.String("tz", "", "time zone of --cron (default UTC)")
	f.Int("keep-last", 7, "keep the newest N backups")
	f.Int("keep-days", 0, "keep backups younger than D days")
	f.Bool("local", true, "keep a copy on "+host+" disk")
	f.String("s3-endpoint", "", "S3-compatible endpoint, e.g. https://s3.eu-central-1.amazonaws.com")
	f.String("s3-region", "", "S3 region (default us-east-1)")
	f.String("s3-bucket", "", "S3 bucket (\"\" removes the S3 destination)")
	f.String("s3-prefix", "", "key prefix in the bucket")
	f.String("s3-access-key", "", "S3 access key")
	f.StringVar(&pf.secretFile, "s3-secret-key-file", "", "read the S3 secret key from this file")
	f.Bool("s3-path-style", false, "address the bucket in the path (most self-hosted S3 servers)")
	f.String("notify", "", "URL to POST failures to (Slack/Discord-compatible JSON)")
}

// input is the change the flags given ask for; change is false when none
// was given (show the policy).
func (pf *backupPolicyFlags) input(fs *pflag.FlagSet) (in service.PolicyInput, change bool, err error) {
	set := func(name string, dst **string) {
		if fs.Changed(name) {
			v, _ := fs.GetString(name)
			*dst = &v
		}
	}
	set("cron", &in.Cron)
	set("tz", &in.TZ)
	set("s3-endpoint", &in.S3Endpoint)
	set("s3-region", &in.S3Region)
	set("s3-bucket", &in.S3Bucket)
	set("s3-prefix", &in.S3Prefix)
	set("s3-access-key", &in.S3AccessKey)
	set("notify", &in.NotifyURL)
	for name, dst := range map[string]**int{"keep-last": &in.KeepLast, "keep-days": &in.KeepDays} {
		if fs.Changed(name) {
			v, _ := fs.GetInt(name)
			*dst = &v
		}
	}
	for name, dst := range map[string]**bool{"local": &in.Local, "s3-path-style": &in.S3PathStyle} {
		if fs.Changed(name) {
			v, _ := fs.GetBool(name)
			*dst = &v
		}
	}
	if pf.secretFile != "" {
		b, err := os.ReadFile(pf.secretFile)
		if err != nil {
			return in, false, fmt.Errorf("--s3-secret-key-file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		in.S3SecretKey = &v
	}
	return in, !(fs.NFlag() == 0 || (fs.NFlag() == 1 && fs.Changed("output"))), nil
}
