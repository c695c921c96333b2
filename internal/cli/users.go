package cli

import (
	"cmp"
	"fmt"

	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
)

func newUsersCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "users", Short: "Create the owner, add users, reset passwords (instance admins)"}
	var in service.UserInput
	var stdin bool
	ownerCmd := &cobra.Command{
		Use:   "create-owner --email EMAIL [--name NAME]",
		Short: "Create the first user: an instance admin who owns the default team",
		Long: `Create the owner account on a server that has no user yet. It needs the admin
token (the CLI reads <data-dir>/admin-token, or pass --token), so only someone
with access to the server can claim it. The owner gets the "default" team, and
apps made before teams existed move into it.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if in.Password, err = readPassword(cmd, stdin, "Password for "+in.Email+": "); err != nil {
				return err
			}
			res, err := c.CreateOwner(cmd.Context(), in)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created owner %s; team %s (%s moved in). Sign in with: rivetr login --email %s\n",
				res.User.Email, res.Team.Name, humanize.Count(int(res.MovedApps), "existing app"), res.User.Email)
			return nil
		},
	}
	ownerCmd.Flags().StringVar(&in.Email, "email", "", "the owner's email")
	ownerCmd.Flags().StringVar(&in.Name, "name", "", "the owner's name")
	ownerCmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")

	var nu service.UserInput
	var nstdin bool
	createCmd := &cobra.Command{
		Use:   "create --email EMAIL [--name NAME] [--instance-admin]",
		Short: "Add a user with a password (then add them to teams with rivetr teams add)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if nu.Password, err = readPassword(cmd, nstdin, "Password for "+nu.Email+": "); err != nil {
				return err
			}
			u, err := c.CreateUser(cmd.Context(), nu)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created user %s (%s)\n", u.Email, u.ID)
			return nil
		},
	}
	createCmd.Flags().StringVar(&nu.Email, "email", "", "the user's email")
	createCmd.Flags().StringVar(&nu.Name, "name", "", "the user's name")
	createCmd.Flags().BoolVar(&nu.InstanceAdmin, "instance-admin", false, "make the user an instance admin")
	createCmd.Flags().BoolVar(&nstdin, "password-stdin", false, "read the password from standard input")

	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List users",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			us, err := c.ListUsers(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if us == nil {
					us = []service.User{}
				}
				return printJSON(cmd.OutOrStdout(), us)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "EMAIL\tNAME\tINSTANCE ADMIN\tCREATED")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", u.Email, cmp.Or(u.Name, "-"), u.InstanceAdmin, ago(u.CreatedAt))
			}
			return tw.Flush()
		},
	}

	var rstdin bool
	resetCmd := &cobra.Command{
		Use:   "reset-password EMAIL",
		Short: "Set a user's password and end their dashboard sessions",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			pw, err := readPassword(cmd, rstdin, "New password for "+args[0]+": ")
			if err != nil {
				return err
			}
			if err := c.ResetPassword(cmd.Context(), args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "password of %s changed; their dashboard sessions ended\n", args[0])
			return nil
		},
	}
	resetCmd.Flags().BoolVar(&rstdin, "password-stdin", false, "read the password from standard input")
	cmd.AddCommand(ownerCmd, createCmd, listCmd, resetCmd)
	return cmd
}

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "db", Short: "Data migrations (instance admins)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "migrate-teams",
		Short: "Move apps made before teams existed into the default team",
		Long: `Move every app without a team into the "default" team, owned by the first
owner (made with rivetr users create-owner); the team is created if missing.
Running it again changes nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.MigrateTeams(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s moved into team %s (owner %s)\n", humanize.Count(int(res.MovedApps), "app"), res.Team.Name, res.User.Email)
			return nil
		},
	})
	return cmd
}
