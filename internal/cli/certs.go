package cli

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/service"
)

func newCertsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "certs", Short: "Show the HTTPS certificates of app domains"}
	list := &cobra.Command{
		Use:   "list [APP]",
		Short: "List certificates: status, issuer, expiry, next renewal, last error (of one app, or of every app you may see)",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			app := ""
			if len(args) == 1 {
				app = args[0]
			}
			certs, err := c.ListCertificates(cmd.Context(), app)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if certs == nil {
					certs = []service.CertificateView{}
				}
				return printJSON(cmd.OutOrStdout(), certs)
			}
			when := func(t *time.Time) string {
				if t == nil {
					return "-"
				}
				return t.Local().Format("2006-01-02 15:04")
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "HOST\tAPP\tSTATUS\tISSUER\tEXPIRES\tRENEWS\tLAST ERROR")
			for _, x := range certs {
				issuer, lastErr := x.Issuer, x.LastError
				if issuer == "" {
					issuer = "-"
				}
				if lastErr == "" {
					lastErr = "-"
				} else if len(lastErr) > 120 {
					lastErr = lastErr[:120] + "…"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Host, x.App, x.Status, issuer, when(x.NotAfter), when(x.RenewAfter), lastErr)
			}
			return tw.Flush()
		},
	}
	renew := &cobra.Command{
		Use:   "renew HOST",
		Short: "Renew a domain's certificate now (the old one serves until the new one is in)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.RenewCertificate(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			until := "-"
			if v.NotAfter != nil {
				until = v.NotAfter.Local().Format("2006-01-02 15:04")
			}
			fmt.Fprintf(cmd.OutOrStdout(), "renewed the certificate of %s (%s, %s); valid until %s\n", v.Host, v.Status, v.Issuer, until)
			return nil
		},
	}
	cmd.AddCommand(list, renew)
	return cmd
}
