package cli

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

func newDomainsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "domains", Short: "List, add, remove, redirect and verify an app's domains (they take effect at once, without a deploy)"}
	show := func(out io.Writer, app string, ds []service.DomainView) error {
		if g.output == "json" {
			if ds == nil {
				ds = []service.DomainView{}
			}
			return printJSON(out, ds)
		}
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "HOST\tPRIMARY\tREDIRECTS TO\tOWNERSHIP\tURL")
		var unproven []service.DomainView
		for _, d := range ds {
			primary, to, owner := "-", "-", "not proven"
			if d.Primary {
				primary = "primary"
			}
			if d.RedirectTo != "" {
				to = d.RedirectTo
			}
			if d.Verified {
				owner = "proven (" + d.VerifiedBy + ")"
			} else {
				unproven = append(unproven, d)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", d.Host, primary, to, owner, d.URL)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		for _, d := range unproven {
			if d.Problem != "" {
				fmt.Fprintf(out, "\n%s: %s\n", d.Host, d.Problem)
				continue
			}
			fmt.Fprintf(out, "\n%s gets no certificate until proven this server's: point it here, or add the TXT record %s = %q; then `rivetr domains verify %s %s`\n",
				d.Host, d.TXTName, d.TXTValue, app, d.Host)
		}
		return nil
	}
	list := &cobra.Command{
		Use:   "list APP",
		Short: "List an app's domains, the primary first, with their redirects and ownership",
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
	var redirectTo string
	add := &cobra.Command{
		Use:   "add APP HOST [--redirect-to DOMAIN]",
		Short: "Add a domain (a full DNS name pointing at this server; a URL is taken as its host; *.example.com is a wildcard, quote it)",
		Long: `Add a domain: the running app answers to it at once, without a deploy. Its ownership is
checked at once (it resolves to this server, or its TXT record _rivetr-challenge.HOST holds its
token); over HTTPS the CA is asked for its certificate only once it is proven.
--redirect-to sends its visitors to another of the app's domains instead (308, path kept):
  rivetr domains add web www.example.com --redirect-to example.com`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.AddDomain(cmd.Context(), args[0], service.DomainRequest{Host: args[1], RedirectTo: redirectTo})
			if err != nil {
				return err
			}
			if g.output != "json" {
				host := release.NormalizeDomain(args[1])
				if redirectTo != "" {
					fmt.Fprintf(cmd.OutOrStdout(), "%s redirects to %s now\n", host, release.NormalizeDomain(redirectTo))
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%s answers to %s now\n", args[0], host)
				}
			}
			return show(cmd.OutOrStdout(), args[0], ds)
		},
	}
	add.Flags().StringVar(&redirectTo, "redirect-to", "", "another of the app's domains this one redirects to (www → apex)")
	remove := &cobra.Command{
		Use:   "remove APP HOST",
		Short: "Remove a domain (not the last one); the app stops answering to it at once",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.RemoveDomain(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.output != "json" {
				fmt.Fprintf(cmd.OutOrStdout(), "%s no longer answers to %s\n", args[0], release.NormalizeDomain(args[1]))
			}
			return show(cmd.OutOrStdout(), args[0], ds)
		},
	}
	var off bool
	redirect := &cobra.Command{
		Use:   "redirect APP HOST (DOMAIN | --off)",
		Short: "Make a domain redirect to another of the app's domains (308, path and query kept), or serve the app again (--off)",
		Args:  cobra.RangeArgs(2, 3),
		RunE: func(cmd *cobra.Command, args []string) error {
			target := ""
			switch {
			case len(args) == 3 && off:
				return fmt.Errorf("give DOMAIN or --off, not both")
			case len(args) == 3:
				target = args[2]
			case !off:
				return fmt.Errorf("give the domain %s redirects to (rivetr domains redirect %s %s DOMAIN), or --off to serve the app", args[1], args[0], args[1])
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.SetDomainRedirect(cmd.Context(), args[0], args[1], target)
			if err != nil {
				return err
			}
			if g.output != "json" {
				if target == "" {
					fmt.Fprintf(cmd.OutOrStdout(), "%s serves %s again\n", release.NormalizeDomain(args[1]), args[0])
				} else {
					fmt.Fprintf(cmd.OutOrStdout(), "%s redirects to %s now\n", release.NormalizeDomain(args[1]), release.NormalizeDomain(target))
				}
			}
			return show(cmd.OutOrStdout(), args[0], ds)
		},
	}
	redirect.Flags().BoolVar(&off, "off", false, "stop redirecting: the domain serves the app")
	verify := &cobra.Command{
		Use:   "verify APP HOST",
		Short: "Prove a domain this server's now (it resolves here, or its TXT record holds its token): the CA is asked for certificates of proven domains only",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.VerifyDomain(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			how := map[string]string{release.VerifiedByDNS: "it resolves to this server", release.VerifiedByTXT: "its TXT record " + d.TXTName, release.VerifiedByZone: "it is in a DNS zone of this server's"}[d.VerifiedBy]
			fmt.Fprintf(cmd.OutOrStdout(), "%s is proven this server's (%s); its certificate is asked for at its first HTTPS request\n", d.Host, how)
			return nil
		},
	}
	cmd.AddCommand(list, add, remove, redirect, verify)
	return cmd
}
