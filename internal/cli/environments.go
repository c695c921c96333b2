package cli

import (
	"cmp"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// teamClient is an API client and the team a command acts on: --team (or
// RIVETR_TEAM), else the caller's only team.
func (g *globals) teamClient(ctx context.Context) (*client.Client, string, error) {
	c, err := g.client()
	if err != nil {
		return nil, "", err
	}
	if t := g.teamName(); t != "" {
		return c, t, nil
	}
	ts, err := c.ListTeams(ctx)
	if err != nil {
		return nil, "", err
	}
	if len(ts) != 1 {
		return nil, "", fmt.Errorf("you are in %d teams: say which with --team (or RIVETR_TEAM)", len(ts))
	}
	return c, ts[0].Name, nil
}

type policyFlags struct {
	require, allowSelf bool
	approvals          int
	ttl                time.Duration
}

func (p *policyFlags) add(fs *pflag.FlagSet) {
	fs.BoolVar(&p.require, "require-approval", false, "every deploy and rollback of its apps waits for approval")
	fs.IntVar(&p.approvals, "approvals", 1, "how many approvers must approve")
	fs.BoolVar(&p.allowSelf, "allow-self-approval", false, "the requester may approve their own deploy")
	fs.DurationVar(&p.ttl, "approval-ttl", release.DefaultApprovalTTL, "how long a deploy waits for approval before it expires")
}

func (p *policyFlags) input(fs *pflag.FlagSet) service.EnvironmentInput {
	var in service.EnvironmentInput
	if fs.Changed("require-approval") {
		in.RequireApproval = &p.require
	}
	if fs.Changed("approvals") {
		in.ApprovalsNeeded = &p.approvals
	}
	if fs.Changed("allow-self-approval") {
		in.AllowSelfApproval = &p.allowSelf
	}
	if fs.Changed("approval-ttl") {
		d := release.Duration(p.ttl)
		in.ApprovalTTL = &d
	}
	return in
}

func describePolicy(e service.Environment) string {
	if !e.RequireApproval {
		return "no approval"
	}
	s := humanize.Count(e.ApprovalsNeeded, "approval") + " within " + humanize.Duration(e.ApprovalTTL.D())
	if e.AllowSelfApproval {
		s += ", self-approval allowed"
	}
	return s
}

func newEnvironmentsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "environments",
		Aliases: []string{"environment"},
		Short:   "A team's environments (production, staging, …) and their release policies",
		Long: `Environments group a team's apps by stage. An environment's approval policy
applies to every app in it, on top of the app's own (the stricter wins: the
most approvals, self-approval only if both allow it, the shorter wait), and
freeze windows can target it: rivetr freeze create --environment production.
Put an app in one with: rivetr apps update APP --environment production.`,
	}
	var pf policyFlags
	put := func(use, short string, create bool) *cobra.Command {
		c := &cobra.Command{
			Use:   use + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, team, err := g.teamClient(cmd.Context())
				if err != nil {
					return err
				}
				if !create {
					vs, err := c.ListEnvironments(cmd.Context(), team)
					if err != nil {
						return err
					}
					found := false
					for _, v := range vs {
						found = found || v.Name == args[0]
					}
					if !found {
						return fmt.Errorf("team %s has no environment %s (create it with: rivetr environments create %s)", team, args[0], args[0])
					}
				}
				v, err := c.PutEnvironment(cmd.Context(), team, args[0], pf.input(cmd.Flags()))
				if err != nil {
					return err
				}
				if g.output == "json" {
					return printJSON(cmd.OutOrStdout(), v)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "environment %s of team %s: %s\n", v.Name, v.Team, describePolicy(v.Environment))
				return nil
			},
		}
		pf.add(c.Flags())
		return c
	}
	create := put("create", "Create an environment (or change it, if it exists)", true)
	update := put("update", "Change an environment's approval policy (admins)", false)
	list := &cobra.Command{
		Use:   "list",
		Short: "List a team's environments, their policies and apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, team, err := g.teamClient(cmd.Context())
			if err != nil {
				return err
			}
			vs, err := c.ListEnvironments(cmd.Context(), team)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if vs == nil {
					vs = []service.EnvironmentView{}
				}
				return printJSON(cmd.OutOrStdout(), vs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tTEAM\tPOLICY\tAPPS")
			for _, v := range vs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", v.Name, v.Team, describePolicy(v.Environment), cmp.Or(strings.Join(v.Apps, ","), "-"))
			}
			return tw.Flush()
		},
	}
	del := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an environment no app is in (its freeze windows go too)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, team, err := g.teamClient(cmd.Context())
			if err != nil {
				return err
			}
			if err := c.DeleteEnvironment(cmd.Context(), team, args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "environment %s of team %s deleted\n", args[0], team)
			return nil
		},
	}
	cmd.AddCommand(create, update, list, del)
	return cmd
}
