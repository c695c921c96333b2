package cli

import (
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

// freezeScope names what a window freezes: an app, "environment
// TEAM/ENV", or "instance".
func freezeScope(v service.FreezeView) string {
	switch v.Scope {
	case "app":
		return v.App
	case "environment":
		return "environment " + v.Team + "/" + v.Environment
	}
	return "instance"
}

func newFreezeCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "freeze", Short: "Freeze windows: times when deploys wait (or are refused)"}
	var in service.FreezeInput
	var from, until string
	var dur time.Duration
	create := &cobra.Command{
		Use:   "create --reason R (--from T --until T | --cron EXPR --duration D [--tz ZONE]) [--app APP | --environment ENV] [--policy wait|reject]",
		Short: "Add a freeze window for an app, an environment or (instance admins) the whole instance",
		Long: `Add a freeze window. During it a deploy waits in status "frozen" until it ends
(--policy wait, the default) or is refused at once (--policy reject); an
approver can override a waiting deploy with "rivetr override ID --reason R".
Rollbacks may run during freezes unless --block-rollbacks.

One-off: --from 2026-12-24T00:00:00Z --until 2026-12-27T00:00:00Z.
Recurring: --cron "0 18 * * FRI" --duration 62h --tz Europe/Berlin (every
Friday 18:00 Berlin time, for the weekend).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			for _, p := range []struct {
				s   string
				dst **time.Time
				f   string
			}{{from, &in.From, "--from"}, {until, &in.Until, "--until"}} {
				if p.s == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, p.s)
				if err != nil {
					return fmt.Errorf("%s %q: want a time like 2026-12-24T00:00:00Z", p.f, p.s)
				}
				*p.dst = &t
			}
			if cmd.Flags().Changed("duration") {
				d := release.Duration(dur)
				in.Duration = &d
			}
			in.Team = g.teamName()
			v, err := c.CreateFreeze(cmd.Context(), in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "freeze window %s created", v.ID)
			if v.NextStart != nil {
				fmt.Fprintf(cmd.OutOrStdout(), "; next %s – %s", v.NextStart.Local().Format(time.RFC3339), v.NextEnd.Local().Format(time.RFC3339))
			}
			fmt.Fprintln(cmd.OutOrStdout())
			return nil
		},
	}
	f := create.Flags()
	f.StringVar(&in.App, "app", "", "freeze only this app (default: the whole instance, instance admins only)")
	f.StringVar(&in.Environment, "environment", "", "freeze every app in this environment of --team (or your only team)")
	f.StringVar(&from, "from", "", "start of a one-off window (RFC 3339)")
	f.StringVar(&until, "until", "", "end of a one-off window (RFC 3339)")
	f.StringVar(&in.Cron, "cron", "", "recurring: when each window starts (cron: minute hour day month weekday)")
	f.DurationVar(&dur, "duration", 0, "recurring: how long each window lasts")
	f.StringVar(&in.TZ, "tz", "UTC", "recurring: the time zone of the cron expression")
	f.StringVar(&in.Reason, "reason", "", "why (shown to whoever meets the freeze)")
	f.StringVar((*string)(&in.Policy), "policy", "wait", "wait (deploys wait for the end) or reject (refused at once)")
	f.BoolVar(&in.BlockRollbacks, "block-rollbacks", false, "make rollbacks wait too")

	list := &cobra.Command{
		Use:   "list",
		Short: "List freeze windows with their next (or current) time",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.ListFreezes(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if vs == nil {
					vs = []service.FreezeView{}
				}
				return printJSON(cmd.OutOrStdout(), vs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tSCOPE\tWHEN\tNEXT\tPOLICY\tREASON")
			for _, v := range vs {
				when := "once"
				if v.Cron != "" {
					when = fmt.Sprintf("%s (%s) for %s", v.Cron, v.TZ, humanize.Duration(v.Duration.D()))
				}
				next := "-"
				if v.Active {
					next = "now, until " + v.NextEnd.Local().Format("2006-01-02 15:04")
				} else if v.NextStart != nil {
					next = v.NextStart.Local().Format("2006-01-02 15:04") + " – " + v.NextEnd.Local().Format("2006-01-02 15:04")
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", v.ID, freezeScope(v), when, next, v.Policy, v.Reason)
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete ID",
		Short: "Remove a freeze window",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteFreeze(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "freeze window %s removed\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}

func newOverrideCmd(g *globals) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "override ID --reason R",
		Short: "Run a frozen deployment now (approvers; audited)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.Override(cmd.Context(), args[0], reason)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deployment %s of %s goes ahead despite the freeze\n", d.ID, d.AppName)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the freeze is overridden (required; audited)")
	return cmd
}
