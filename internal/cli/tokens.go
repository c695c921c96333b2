package cli

import (
	"cmp"
	"fmt"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newTokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Create, list and revoke your API tokens"}
	var in service.TokenInput
	createCmd := &cobra.Command{
		Use:   "create NAME [--role ROLE] [--expires-in 720h]",
		Short: "Make an API token; its value is printed this once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			in.Name = args[0]
			t, err := c.CreateToken(cmd.Context(), in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), t)
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %q (%s) created; it is shown only this once\n", t.Name, t.ID)
			return nil
		},
	}
	createCmd.Flags().StringVar((*string)(&in.Role), "role", "", "cap the token at this role: viewer, developer, admin or owner (default: your roles)")
	createCmd.Flags().StringVar(&in.ExpiresIn, "expires-in", "", "expire after this long, e.g. 720h (default: never)")

	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List your tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ts, err := c.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ts == nil {
					ts = []service.APIToken{}
				}
				return printJSON(cmd.OutOrStdout(), ts)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tLAST USED")
			for _, t := range ts {
				exp, used := "never", "-"
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.Format("2006-01-02 15:04")
				}
				if t.LastUsedAt != nil {
					used = ago(*t.LastUsedAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, cmp.Or(string(t.Role), "(yours)"), ago(t.CreatedAt), exp, used)
			}
			return tw.Flush()
		},
	}
	revokeCmd := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke one of your tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(createCmd, listCmd, revokeCmd)
	return cmd
}
