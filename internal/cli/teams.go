package cli

import (
	"fmt"

	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newTeamsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "teams", Short: "List and create teams, manage members"}
	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List your teams and your role in each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ts, err := c.ListTeams(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ts == nil {
					ts = []service.TeamView{}
				}
				return printJSON(cmd.OutOrStdout(), ts)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TEAM\tYOUR ROLE\tCREATED")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Role, ago(t.CreatedAt))
			}
			return tw.Flush()
		},
	}
	createCmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a team; you become its owner",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.CreateTeam(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created team %s; you are its owner\n", t.Name)
			return nil
		},
	}
	deleteCmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete a team that owns no apps (owners)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.DeleteTeam(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted team %s\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(listCmd, createCmd, deleteCmd)
	cmd.AddCommand(memberCmds(g)...)
	cmd.AddCommand(invitationCmds(g)...)
	return cmd
}
