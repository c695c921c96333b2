package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/service"
)

func newCertsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "certs", Short: "Show, renew and upload the HTTPS certificates of app domains"}
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
			fmt.Fprintln(tw, "HOST\tAPP\tSTATUS\tSOURCE\tISSUER\tEXPIRES\tRENEWS\tLAST ERROR")
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
				renews := when(x.RenewAfter)
				if x.Source == service.CertFromUploaded {
					renews = "by you"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", x.Host, x.App, x.Status, x.Source, issuer, when(x.NotAfter), renews, lastErr)
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
	var certFile, keyFile string
	upload := &cobra.Command{
		Use:   "upload HOST --cert FILE --key FILE",
		Short: "Serve your own certificate for a domain instead of one from the CA (you renew it: upload its successor before it expires)",
		Long: `Serve your own certificate for one of an app's domains (a wildcard domain's covers its names).
--cert is the certificate and its chain as PEM, the leaf first (fullchain.pem); --key its private key.
Refused, with the reason, when the key does not match the certificate, it has expired or is not
valid yet, it does not name HOST, it is self-signed, or its chain does not reach a root. Every proxy
serves it within seconds; Rivetr never renews it: "certs list" shows it "expiring" two weeks before.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if certFile == "" || keyFile == "" {
				return errors.New("give both --cert FILE (the certificate and its chain, PEM) and --key FILE (its private key, PEM)")
			}
			certPEM, err := readLimited(certFile, "--cert")
			if err != nil {
				return err
			}
			keyPEM, err := readLimited(keyFile, "--key")
			if err != nil {
				return err
			}
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.UploadCertificate(cmd.Context(), args[0], service.CertificateUpload{Cert: string(certPEM), Key: string(keyPEM)})
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
			fmt.Fprintf(cmd.OutOrStdout(), "%s now serves the uploaded certificate (%s, valid until %s); renew it yourself before then\n", v.Host, v.Issuer, until)
			return nil
		},
	}
	upload.Flags().StringVar(&certFile, "cert", "", "PEM file: the certificate, then its chain")
	upload.Flags().StringVar(&keyFile, "key", "", "PEM file: its private key")
	remove := &cobra.Command{
		Use:   "remove HOST",
		Short: "Drop a domain's uploaded certificate: it gets one from the CA again",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			v, err := c.RemoveCertificate(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "removed the uploaded certificate of %s; it gets one from the CA at its next HTTPS request\n", v.Host)
			return nil
		},
	}
	cmd.AddCommand(list, renew, upload, remove)
	return cmd
}

// readLimited reads a PEM file given by flag, refusing one over 1 MiB
// (the server takes far less).
func readLimited(path, flag string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 1<<20+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", flag, err)
	}
	if len(b) > 1<<20 {
		return nil, fmt.Errorf("%s: %s is over 1 MiB: give the PEM certificate or key file", flag, path)
	}
	return b, nil
}
