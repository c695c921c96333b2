package cli

import (
	"cmp"
	"fmt"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

// newAppsWebhookCmd is "rivetr apps webhook NAME [--rotate]".
func newAppsWebhookCmd(g *globals) *cobra.Command {
	var rotate bool
	cmd := &cobra.Command{
		Use:   "webhook NAME [--rotate]",
		Short: "Show the webhook addresses and secret to paste into GitHub, GitLab or Gitea",
		Long: `Show where a git host sends an app's webhooks, and the secret it signs them
with. GitHub: Settings → Webhooks → Payload URL, content type application/json,
Secret; events "push" (and "pull requests" for previews). GitLab: Settings →
Webhooks → URL, Secret token; "Push events". Gitea: Settings → Webhooks →
Gitea, Target URL, Secret, content type application/json.

A push to the app's branch deploys exactly the pushed commit; see what came
of each delivery with "rivetr webhooks NAME". --rotate makes a new secret:
deliveries signed with the old one are refused (401) from then on.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.Webhook(cmd.Context(), args[0], rotate)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			tw := table(cmd.OutOrStdout())
			for _, p := range []string{"github", "gitlab", "gitea"} {
				fmt.Fprintf(tw, "%s\t%s\n", p, v.URLs[p])
			}
			fmt.Fprintf(tw, "secret\t%s\n", v.Secret)
			fmt.Fprintf(tw, "deploys\tpushes to %s", v.Branch)
			if len(v.WatchPaths) > 0 {
				fmt.Fprintf(tw, " changing %s", strings.Join(v.WatchPaths, ", "))
			}
			fmt.Fprintln(tw)
			if err := tw.Flush(); err != nil {
				return err
			}
			if v.Warning != "" {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", v.Warning)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&rotate, "rotate", false, "replace the secret (the old one stops working)")
	return cmd
}

func newWebhooksCmd(g *globals) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "webhooks NAME",
		Short: "List an app's webhook deliveries: when, which event, what came of it and why",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.Deliveries(cmd.Context(), args[0], limit)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ds == nil {
					ds = []service.WebhookDelivery{}
				}
				return printJSON(cmd.OutOrStdout(), ds)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "WHEN\tPROVIDER\tEVENT\tREF\tCOMMIT\tRESULT\tDEPLOYMENT\tREASON")
			for _, d := range ds {
				ref := d.Ref
				if d.PR > 0 {
					ref = fmt.Sprintf("#%d", d.PR)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ReceivedAt.Local().Format(time.DateTime), d.Provider, cmp.Or(d.Event, "-"),
					cmp.Or(ref, "-"), cmp.Or(short(d.Commit), "-"), d.Result, cmp.Or(d.DeploymentID, "-"), d.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many deliveries to show (newest first)")
	return cmd
}
