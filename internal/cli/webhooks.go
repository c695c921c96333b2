package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
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
			return tw.Flush()
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
					ds = []schema.WebhookDelivery{}
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
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ReceivedAt.Local().Format(time.DateTime), d.Provider, firstNonEmpty(d.Event, "-"),
					firstNonEmpty(ref, "-"), firstNonEmpty(short(d.Commit), "-"), d.Result, firstNonEmpty(d.DeploymentID, "-"), d.Reason)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "how many deliveries to show (newest first)")
	return cmd
}

func newPreviewsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "previews",
		Short: "Pull request previews: one app per open pull request, at pr-N.APP.PREVIEW-DOMAIN",
		Long: `Previews are opt-in per app (rivetr apps update APP --previews) and need the
server's --preview-domain. A pull request against the app's branch, opened
or reopened, gets a preview built from its head; every new commit redeploys
it; closing or merging the request removes it (containers, route, images,
records), as does --preview-ttl without a new commit. Previews of forks wait
for an approver before they run.`,
	}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's previews",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ps, err := c.Previews(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ps == nil {
					ps = []service.PreviewView{}
				}
				return printJSON(cmd.OutOrStdout(), ps)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "PR\tAPP\tURL\tREF\tLATEST")
			for _, p := range ps {
				latest := "-"
				if p.Latest != nil {
					latest = fmt.Sprintf("%s %s (%s)", p.Latest.ID, p.Latest.Status, short(p.Latest.CommitSHA))
				}
				fmt.Fprintf(tw, "#%d\t%s\t%s\t%s\t%s\n", p.PR, p.App, p.URL, p.Branch, latest)
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete APP PR",
		Short: "Remove a pull request's preview now (as if the request had closed)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			pr, err := strconv.Atoi(strings.TrimPrefix(args[1], "#"))
			if err != nil || pr <= 0 {
				return fmt.Errorf("PR %q: want the pull request's number", args[1])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeletePreview(cmd.Context(), args[0], pr); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removing the preview of pull request #%d of %s\n", pr, args[0])
			return nil
		},
	}
	cmd.AddCommand(list, del)
	return cmd
}
