package cli

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/archive"
	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

func newDeployCmd(g *globals) *cobra.Command {
	var commit, at, in, zipPath string
	var wait bool
	cmd := &cobra.Command{
		Use:   "deploy NAME [--commit SHA | --zip FILE|DIR] [--wait] [--at TIME | --in DELAY]",
		Short: "Deploy an app from git (the branch head, or --commit) or from a ZIP archive",
		Long: `Deploy an app: fetch the commit, build its Dockerfile, start the new container,
health-check it, switch traffic to it and drain the old one. Without --commit
the head of the app's branch is resolved now. A deploy requested while another
runs is queued; a newer request supersedes a queued one.

With --wait the log streams to the terminal and the command exits 0 only if
the deployment succeeded.

--at 2026-12-01T03:00:00Z or --in 2h schedules the deploy: it waits in status
"scheduled" (durably: restarts do not lose it) and is queued at that time,
when its gates (approval) apply. "rivetr deployments reschedule ID" moves it,
"rivetr deployments cancel ID" drops it.

--zip FILE deploys a ZIP archive of the source instead of git (--zip DIR zips
the directory on the fly, leaving out .git). The server checks it (at most
100 MiB, 20,000 files, 1 GiB unpacked, no paths leaving it, no symlinks)
before anything is recorded; an app with build type auto is built the way
its contents say (see "rivetr build detect").`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if zipPath != "" {
				if commit != "" || at != "" || in != "" {
					return fmt.Errorf("--zip deploys now, from the archive: it takes no --commit, --at or --in")
				}
				r, err := zipSource(zipPath)
				if err != nil {
					return err
				}
				defer r.Close()
				d, err := c.DeployUpload(cmd.Context(), args[0], r, service.TriggerCLI)
				if err != nil {
					return err
				}
				return reportStarted(cmd, g, c, d, wait)
			}
			req := service.DeployRequest{Commit: commit, Trigger: service.TriggerCLI, In: in}
			if req.At, err = parseAt(at); err != nil {
				return err
			}
			d, err := c.Deploy(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			if d.Status == release.StatusScheduled && d.ScheduledFor != nil {
				if g.output == "json" {
					return printJSON(cmd.OutOrStdout(), d)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "deployment %s of %s (commit %s) is scheduled for %s (%s)\n", d.ID, d.AppName, short(d.CommitSHA),
					d.ScheduledFor.Local().Format(time.RFC3339), d.ScheduledFor.UTC().Format("15:04 MST"))
				return nil
			}
			return reportStarted(cmd, g, c, d, wait)
		},
	}
	cmd.Flags().StringVar(&commit, "commit", "", "commit SHA to deploy (default: the branch head)")
	cmd.Flags().BoolVar(&wait, "wait", false, "stream the log and exit non-zero unless the deployment succeeds")
	cmd.Flags().StringVar(&at, "at", "", "schedule the deploy for this time (RFC 3339, e.g. 2026-12-01T03:00:00Z)")
	cmd.Flags().StringVar(&in, "in", "", "schedule the deploy after this delay (e.g. 2h)")
	cmd.Flags().StringVar(&zipPath, "zip", "", "deploy this ZIP archive, or this directory zipped on the fly, instead of git")
	return cmd
}

// zipSource opens a ZIP file, or zips a directory into a pipe as it is
// read.
func zipSource(p string) (io.ReadCloser, error) {
	st, err := os.Stat(p)
	if err != nil {
		return nil, fmt.Errorf("--zip: %w", err)
	}
	if !st.IsDir() {
		return os.Open(p)
	}
	pr, pw := io.Pipe()
	go func() {
		_, err := archive.Zip(p, pw)
		pw.CloseWithError(err)
	}()
	return pr, nil
}

func newRollbackCmd(g *globals) *cobra.Command {
	var to string
	var wait, yes bool
	cmd := &cobra.Command{
		Use:   "rollback NAME [--to DEPLOYMENT_ID] [--wait] [--yes]",
		Short: "Roll back to an earlier successful deployment (default: the one before the serving one)",
		Long: `Roll back to an earlier successful deployment: by default the newest one
before the deployment serving now.

After a deployment that failed and never served, the serving version is the
one that kept serving through the failure: rolling back would replace it
with an older one. Then rollback says what serves and asks first (--yes
answers for a script; without a terminal and without --yes it refuses).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			req := service.RollbackRequest{To: to, Trigger: service.TriggerCLI, Confirm: yes}
			d, err := c.Rollback(cmd.Context(), args[0], req)
			var apiErr *client.Error
			if errors.As(err, &apiErr) && apiErr.Fields["confirm"] != "" {
				if !term.IsTerminal(int(os.Stdin.Fd())) {
					return errors.New(apiErr.Message)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s.\nRoll back anyway? [y/N] ", apiErr.Message)
				answer, _ := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
				if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
					fmt.Fprintln(cmd.ErrOrStderr(), "nothing changed: the serving version keeps serving")
					return exitError{1}
				}
				req.Confirm = true
				d, err = c.Rollback(cmd.Context(), args[0], req)
			}
			if err != nil {
				return err
			}
			return reportStarted(cmd, g, c, d, wait)
		},
	}
	cmd.Flags().StringVar(&to, "to", "", "deployment ID to return to")
	cmd.Flags().BoolVar(&wait, "wait", false, "stream the log and exit non-zero unless the rollback succeeds")
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "roll back even when the newest deployment failed and the serving version is the one that kept serving")
	return cmd
}

func reportStarted(cmd *cobra.Command, g *globals, c *client.Client, d *service.DeploymentView, wait bool) error {
	out := cmd.OutOrStdout()
	if !wait {
		if g.output == "json" {
			return printJSON(out, d)
		}
		fmt.Fprintf(out, "deployment %s queued (%s %s)\nfollow it with: rivetr logs %s --deployment %s\n", d.ID, d.Kind, short(d.CommitSHA), d.AppName, d.ID)
		if d.WorkflowURL != "" {
			fmt.Fprintf(out, "workflow: %s\n", d.WorkflowURL)
		}
		return nil
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "deployment %s of %s (%s %s)\n", d.ID, d.AppName, d.Kind, short(d.CommitSHA))
	final, err := c.StreamLogs(cmd.Context(), d.ID, func(l service.LogLine) { printLine(out, l) })
	if err != nil && cmd.Context().Err() != nil {
		// Ctrl-C stops the following, not the deployment: it is a
		// workflow on the server.
		fmt.Fprintf(cmd.ErrOrStderr(), "\nstopped following; deployment %s goes on on the server.\n  follow it again: rivetr logs %s --deployment %s\n  cancel it:       rivetr deployments cancel %s\n", d.ID, d.AppName, d.ID, d.ID)
		return exitError{130}
	}
	if err != nil {
		return err
	}
	if g.output == "json" {
		if err := printJSON(out, final); err != nil {
			return err
		}
	}
	took := ""
	if final.StartedAt != nil && final.FinishedAt != nil {
		took = " in " + final.FinishedAt.Sub(*final.StartedAt).Round(100*time.Millisecond).String()
	}
	if final.Status != release.StatusSucceeded {
		fmt.Fprintf(cmd.ErrOrStderr(), "deployment %s %s%s: %s\n", final.ID, final.Status, took, final.FailureReason)
		return exitError{1}
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "deployment %s succeeded%s\n", final.ID, took)
	return nil
}

func printLine(w io.Writer, l service.LogLine) {
	prefix := ""
	switch l.Stream {
	case "system":
		prefix = "==> "
	case "app":
		prefix = "app| "
	}
	fmt.Fprintf(w, "%s%s\n", prefix, l.Text)
}

func newDeploymentsCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "deployments NAME",
		Short: "List an app's deployments, newest first (see also: cancel, show)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.ListDeployments(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if ds == nil {
					ds = []service.DeploymentView{}
				}
				return printJSON(out, ds)
			}
			if len(ds) == 0 {
				fmt.Fprintf(out, "no deployments yet; start one with: rivetr deploy %s --wait\n", args[0])
				return nil
			}
			tw := table(out)
			fmt.Fprintln(tw, "ID\tKIND\tSTATUS\tCOMMIT\tMESSAGE\tTRIGGER\tDURATION\tCREATED\t")
			for _, d := range ds {
				dur := "-"
				if d.StartedAt != nil && d.FinishedAt != nil {
					dur = d.FinishedAt.Sub(*d.StartedAt).Round(100 * time.Millisecond).String()
				}
				serving := ""
				if d.Serving {
					serving = "← serving"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.Kind, humanize.Status(string(d.Status)), short(d.CommitSHA), firstLine(d.CommitMessage), d.Trigger, dur, ago(d.CreatedAt), serving)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many to list")

	cancel := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a queued or running deployment (the serving version keeps serving)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.CancelDeployment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			// Wait briefly for the cleanup to finish, so the answer is final.
			ctx, stop := context.WithTimeout(cmd.Context(), 2*time.Minute)
			defer stop()
			for !release.Terminal(d.Status) && ctx.Err() == nil {
				time.Sleep(300 * time.Millisecond)
				if d, err = c.GetDeployment(ctx, args[0]); err != nil {
					return err
				}
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployment %s %s\n", d.ID, d.Status)
			return nil
		},
	}
	show := &cobra.Command{
		Use:   "show ID",
		Short: "Show one deployment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.GetDeployment(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, d)
			}
			tw := table(out)
			row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
			row("id", d.ID)
			row("app", d.AppName)
			row("kind", d.Kind)
			row("status", string(d.Status)+" ("+string(d.Step)+")")
			row("commit", d.CommitSHA+" "+firstLine(d.CommitMessage))
			row("image", d.Image)
			row("trigger", d.Trigger)
			if d.RequestedBy != "" {
				row("requested by", d.RequestedBy)
			}
			row("created", d.CreatedAt.Local().Format(time.RFC3339))
			if d.ScheduledFor != nil && d.Status == release.StatusScheduled {
				row("scheduled for", d.ScheduledFor.Local().Format(time.RFC3339))
			}
			if d.WaitingUntil != nil {
				row("waiting until", d.WaitingUntil.Local().Format(time.RFC3339)+" (then it expires)")
			}
			for _, ap := range d.Approvals {
				v := ap.Approver + " " + ap.Decision + "d " + ago(ap.Time)
				if ap.Comment != "" {
					v += ": " + ap.Comment
				}
				row("decision", v)
			}
			if d.FailureReason != "" {
				row("reason", d.FailureReason)
			}
			if d.WorkflowURL != "" {
				row("workflow", d.WorkflowURL)
			}
			return tw.Flush()
		},
	}
	pending := &cobra.Command{
		Use:   "pending",
		Short: "List deployments waiting for approval, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.PendingApprovals(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if ds == nil {
					ds = []service.DeploymentView{}
				}
				return printJSON(out, ds)
			}
			if len(ds) == 0 {
				fmt.Fprintln(out, "no deployment is waiting for approval")
				return nil
			}
			tw := table(out)
			fmt.Fprintln(tw, "ID\tAPP\tKIND\tCOMMIT\tREQUESTED BY\tWAITING SINCE\tEXPIRES")
			for _, d := range ds {
				exp := "-"
				if d.WaitingUntil != nil {
					exp = d.WaitingUntil.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.AppName, d.Kind, short(d.CommitSHA), cmp.Or(d.RequestedBy, "-"), ago(d.CreatedAt), exp)
			}
			return tw.Flush()
		},
	}
	var rat, rin string
	reschedule := &cobra.Command{
		Use:   "reschedule ID (--at TIME | --in DELAY)",
		Short: "Move a scheduled deployment to another time",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			req := api.RescheduleRequest{In: rin}
			if req.At, err = parseAt(rat); err != nil {
				return err
			}
			d, err := c.Reschedule(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployment %s is now scheduled for %s\n", d.ID, d.ScheduledFor.Local().Format(time.RFC3339))
			return nil
		},
	}
	reschedule.Flags().StringVar(&rat, "at", "", "the new time (RFC 3339)")
	reschedule.Flags().StringVar(&rin, "in", "", "the new delay from now (e.g. 30m)")
	diff := &cobra.Command{
		Use:   "diff ID",
		Short: "Show what a deployment changes against the one serving: commits, env vars, settings, image",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.Diff(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, v)
			}
			if v.Base == "" {
				fmt.Fprintf(out, "deployment %s: nothing serves yet\n", v.Deployment)
			} else {
				fmt.Fprintf(out, "deployment %s against serving %s (%s → %s)\n", v.Deployment, v.Base, short(v.FromCommit), short(v.ToCommit))
			}
			if v.Note != "" {
				fmt.Fprintln(out, "note: "+v.Note)
			}
			what := "commits"
			if v.Reverted {
				what = "commits taken away (rollback)"
			}
			fmt.Fprintf(out, "\n%s:\n", what)
			for _, e := range v.Commits {
				fmt.Fprintf(out, "  %s %s (%s)\n", short(e.SHA), firstLine(e.Message), e.Author)
			}
			if v.MoreCommits {
				fmt.Fprintln(out, "  … and more")
			}
			if v.CommitsNote != "" {
				fmt.Fprintln(out, "  "+v.CommitsNote)
			} else if len(v.Commits) == 0 {
				fmt.Fprintln(out, "  none")
			}
			fmt.Fprintln(out, "\nenv vars:")
			for _, e := range v.Env {
				switch {
				case e.Secret:
					fmt.Fprintf(out, "  %s %s (secret)\n", e.Change, e.Key)
				case e.Change == "changed":
					fmt.Fprintf(out, "  changed %s: %q → %q\n", e.Key, e.Before, e.After)
				default:
					fmt.Fprintf(out, "  %s %s\n", e.Change, e.Key)
				}
			}
			if len(v.Env) == 0 {
				fmt.Fprintln(out, "  no change")
			}
			fmt.Fprintln(out, "\nsettings:")
			keys := make([]string, 0, len(v.Settings))
			for k := range v.Settings {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				fmt.Fprintf(out, "  %s: %v → %v\n", k, v.Settings[k].Before, v.Settings[k].After)
			}
			if len(keys) == 0 {
				fmt.Fprintln(out, "  no change")
			}
			if v.Image != nil {
				fmt.Fprintf(out, "\nimage: %v → %v\n", v.Image.Before, v.Image.After)
			}
			return nil
		},
	}
	cmd.AddCommand(cancel, show, pending, reschedule, diff)
	return cmd
}

// parseAt reads an --at flag: nil when empty.
func parseAt(at string) (*time.Time, error) {
	if at == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		return nil, fmt.Errorf("--at %q: want a time like 2026-12-01T03:00:00Z or 2026-12-01T04:00:00+01:00", at)
	}
	return &t, nil
}
