package cli

import (
	"fmt"
	"time"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newSchedulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "schedules", Short: "Recurring deploys: deploy an app's branch head on a schedule"}
	var in service.RecurringInput
	var every time.Duration
	create := &cobra.Command{
		Use:   "create APP (--cron EXPR [--tz ZONE] | --every DURATION)",
		Short: "Deploy APP's branch head on a schedule (a Temporal Schedule)",
		Long: `Deploy an app's branch head on a schedule, e.g. nightly:
  rivetr schedules create web --cron "0 3 * * *" --tz Europe/Berlin
Each run is a normal deploy (trigger "schedule"): it meets the app's queue
and gates (approval, freezes). A run is skipped while the previous one is
still starting.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("every") {
				d := release.Duration(every)
				in.Every = &d
			}
			r, err := c.CreateRecurring(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), r)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recurring deploy %s of %s created\n", r.ID, args[0])
			return nil
		},
	}
	create.Flags().StringVar(&in.Cron, "cron", "", "when to deploy (cron: minute hour day month weekday)")
	create.Flags().StringVar(&in.TZ, "tz", "UTC", "the time zone of --cron")
	create.Flags().DurationVar(&every, "every", 0, "deploy at this interval instead (at least 1m)")
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's recurring deploys",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			rs, err := c.ListRecurring(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if rs == nil {
					rs = []service.RecurringDeploy{}
				}
				return printJSON(cmd.OutOrStdout(), rs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tWHEN\tCREATED BY\tCREATED")
			for _, r := range rs {
				when := "every " + r.Every.D().String()
				if r.Cron != "" {
					when = r.Cron + " (" + r.TZ + ")"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, when, r.CreatedBy, ago(r.CreatedAt))
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete APP ID",
		Short: "Stop a recurring deploy",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteRecurring(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "recurring deploy %s stopped\n", args[1])
			return nil
		},
	}
	cmd.AddCommand(create, list, del)
	return cmd
}
