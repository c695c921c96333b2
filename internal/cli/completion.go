package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/release"
)

// Shell completion (`rivetr completion bash|zsh|fish`) of what a command
// names: apps, deployments (for the commands taking a deployment ID),
// databases, and the values of enum flags. Names come from the server the
// CLI would talk to, within two seconds; a server that does not answer
// completes nothing.

// enumFlags are the flags with a fixed set of values.
var enumFlags = map[string][]string{
	"build-type": {"auto", "dockerfile", "static", "nixpacks", "railpack", "buildpacks"},
	"engine":     {"postgres", "mysql", "mariadb", "redis", "mongo"},
	"policy":     {"wait", "reject"},
	"output":     {"table", "json"},
	"role":       {string(release.RoleViewer), string(release.RoleDeveloper), string(release.RoleAdmin), string(release.RoleOwner)},
}

// deploymentCommands take a deployment ID as their first argument.
var deploymentCommands = map[string]bool{
	"deployments cancel": true, "deployments show": true, "deployments reschedule": true, "deployments diff": true,
	"approve": true, "reject": true,
}

func addCompletions(root *cobra.Command, g *globals) {
	_ = root.RegisterFlagCompletionFunc("output", fixed(enumFlags["output"]))
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		for name, values := range enumFlags {
			if name != "output" && c.Flags().Lookup(name) != nil && c.LocalFlags().Lookup(name) != nil {
				_ = c.RegisterFlagCompletionFunc(name, fixed(values))
			}
		}
		if c.Flags().Lookup("to") != nil && c.Name() == "rollback" {
			_ = c.RegisterFlagCompletionFunc("to", func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
				if len(args) == 0 {
					return nil, cobra.ShellCompDirectiveNoFileComp
				}
				return names(g, func(ctx context.Context) ([]string, error) { return deploymentIDs(ctx, g, args[0]) })
			})
		}
		if c.ValidArgsFunction != nil || !c.Runnable() {
			return
		}
		fields := strings.Fields(c.Use)
		if len(fields) < 2 || c.Name() == "create" {
			return
		}
		arg := strings.Trim(fields[1], "[]")
		path := strings.TrimPrefix(c.CommandPath(), root.Name()+" ")
		parent := c.Parent().Name()
		var list func(ctx context.Context) ([]string, error)
		switch {
		case deploymentCommands[path]:
			list = func(ctx context.Context) ([]string, error) { return deploymentIDs(ctx, g, "") }
		case (parent == "databases" || parent == "db") && arg == "NAME":
			list = func(ctx context.Context) ([]string, error) { return databaseNames(ctx, g) }
		case arg == "NAME" && parent != "teams" && parent != "users" && parent != "tokens" && parent != "environments" || arg == "APP":
			list = func(ctx context.Context) ([]string, error) { return appNames(ctx, g) }
		default:
			return
		}
		c.ValidArgsFunction = func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return names(g, list)
		}
	}
	walk(root)
}

func fixed(values []string) func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return values, cobra.ShellCompDirectiveNoFileComp
	}
}

// names runs list against the server with a short deadline.
func names(g *globals, list func(ctx context.Context) ([]string, error)) ([]string, cobra.ShellCompDirective) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	out, err := list(ctx)
	if err != nil {
		return nil, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveError
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

func appNames(ctx context.Context, g *globals) ([]string, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	apps, err := c.ListApps(ctx, g.teamName())
	if err != nil {
		return nil, err
	}
	var out []string
	for _, a := range apps {
		out = append(out, a.Name)
	}
	return out, nil
}

func databaseNames(ctx context.Context, g *globals) ([]string, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	dbs, err := c.ListDatabases(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range dbs {
		out = append(out, d.Name)
	}
	return out, nil
}

// deploymentIDs are the newest deployments' IDs (of app, or of every app
// visible), each with its app, status and commit as the description.
func deploymentIDs(ctx context.Context, g *globals, app string) ([]string, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	ds, err := c.ListDeployments(ctx, app, 50)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range ds {
		out = append(out, d.ID+"\t"+d.AppName+" "+string(d.Status)+" "+short(d.CommitSHA))
	}
	return out, nil
}
