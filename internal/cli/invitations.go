package cli

import (
	"fmt"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

// invitationCmds are "rivetr teams invite|invitations|revoke-invite".
func invitationCmds(g *globals) []*cobra.Command {
	var ii service.InvitationInput
	inviteCmd := &cobra.Command{
		Use:   "invite TEAM EMAIL --role ROLE [--approver]",
		Short: "Invite someone by email; prints the link (valid 7 days), and mails it when SMTP is set up",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ii.Email = args[1]
			v, err := c.Invite(cmd.Context(), args[0], ii)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "invited %s to %s as %s; the link works until %s:\n%s\n", v.Email, v.Team, v.Role, v.ExpiresAt.Local().Format("2006-01-02 15:04"), v.Link)
			switch {
			case v.Mailed:
				fmt.Fprintln(out, "it was emailed to them")
			case v.MailError != "":
				fmt.Fprintf(out, "the email could not be sent (%s): send them the link yourself\n", v.MailError)
			default:
				fmt.Fprintln(out, "no SMTP server is configured (--smtp-addr): send them the link yourself")
			}
			if !v.SignsUp {
				fmt.Fprintf(out, "this link lets an existing account join; only the emailed link creates an account for %s (or an instance admin creates it)\n", v.Email)
			}
			return nil
		},
	}
	inviteCmd.Flags().StringVar((*string)(&ii.Role), "role", "developer", "viewer, developer, admin or owner")
	inviteCmd.Flags().BoolVar(&ii.Approver, "approver", false, "grant the approver permission")
	invitationsCmd := &cobra.Command{
		Use:   "invitations TEAM",
		Short: "List a team's open invitations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.ListInvitations(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if vs == nil {
					vs = []service.InvitationView{}
				}
				return printJSON(cmd.OutOrStdout(), vs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tINVITED BY\tEXPIRES")
			for _, v := range vs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, v.Email, v.Role, v.InvitedBy, v.ExpiresAt.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	revokeInviteCmd := &cobra.Command{
		Use:   "revoke-invite TEAM ID",
		Short: "Revoke an open invitation: its link stops working",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeInvitation(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "invitation %s revoked\n", args[1])
			return nil
		},
	}
	return []*cobra.Command{inviteCmd, invitationsCmd, revokeInviteCmd}
}
