package cli

import (
	"cmp"
	"fmt"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

// memberCmds are "rivetr teams members|add|remove": a team's members.
func memberCmds(g *globals) []*cobra.Command {
	membersCmd := &cobra.Command{
		Use:   "members TEAM",
		Short: "List a team's members",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ms, err := c.ListMembers(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ms == nil {
					ms = []service.Member{}
				}
				return printJSON(cmd.OutOrStdout(), ms)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tAPPROVER")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", m.Email, cmp.Or(m.Name, "-"), m.Role, m.Approver || m.Role == release.RoleOwner || m.Role == release.RoleAdmin)
			}
			return tw.Flush()
		},
	}
	var mi service.MemberInput
	var approver bool
	addCmd := &cobra.Command{
		Use:   "add TEAM EMAIL --role ROLE [--approver]",
		Short: "Add a user to a team, or change their role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("approver") {
				mi.Approver = &approver
			}
			m, err := c.PutMember(cmd.Context(), args[0], args[1], mi)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is %s in %s\n", m.Email, m.Role, args[0])
			return nil
		},
	}
	addCmd.Flags().StringVar((*string)(&mi.Role), "role", "developer", "viewer, developer, admin or owner")
	addCmd.Flags().BoolVar(&approver, "approver", false, "grant (or with =false, take away) the approver permission")
	removeCmd := &cobra.Command{
		Use:   "remove TEAM EMAIL",
		Short: "Take a user out of a team (anyone may leave)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RemoveMember(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s removed from %s\n", args[1], args[0])
			return nil
		},
	}
	return []*cobra.Command{membersCmd, addCmd, removeCmd}
}
