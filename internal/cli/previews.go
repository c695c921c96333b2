package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

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
