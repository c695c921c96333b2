package cli

import (
	"context"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func newDomainsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "domains", Short: "List, add and remove an app's domains (they take effect at once, without a deploy)"}
	show := func(out io.Writer, app string, ds []service.DomainView) error {
		if g.output == "json" {
			if ds == nil {
				ds = []service.DomainView{}
			}
			return printJSON(out, ds)
		}
		for _, d := range ds {
			primary := ""
			if d.Primary {
				primary = "  (primary)"
			}
			fmt.Fprintf(out, "%s%s\n", d.URL, primary)
		}
		return nil
	}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's domains, the primary first",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.ListDomains(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return show(cmd.OutOrStdout(), args[0], ds)
		},
	}
	// change makes add and remove: call the API, say what happened.
	change := func(use, short string, call func(c *client.Client, ctx context.Context, app, host string) ([]service.DomainView, error), said string) *cobra.Command {
		return &cobra.Command{
			Use: use, Short: short, Args: cobra.ExactArgs(2),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := g.client()
				if err != nil {
					return err
				}
				ds, err := call(c, cmd.Context(), args[0], args[1])
				if err != nil {
					return err
				}
				if g.output != "json" {
					fmt.Fprintf(cmd.OutOrStdout(), said+"\n", args[0], release.NormalizeDomain(args[1]))
				}
				return show(cmd.OutOrStdout(), args[0], ds)
			},
		}
	}
	add := change("add APP HOST", "Add a domain (a full DNS name pointing at this server; a URL is taken as its host; *.example.com is a wildcard, quote it)",
		(*client.Client).AddDomain, "%s answers to %s now")
	remove := change("remove APP HOST", "Remove a domain (not the last one); the app stops answering to it at once",
		(*client.Client).RemoveDomain, "%s no longer answers to %s")
	cmd.AddCommand(list, add, remove)
	return cmd
}
