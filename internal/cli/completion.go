package cli

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// Shell completion (`rivetr completion bash|zsh|fish`) of what a command
// names: apps, deployments (for the commands taking a deployment ID),
// databases, and the values of enum flags. Names come from the server the
// CLI would talk to, within two seconds; a server that does not answer
// completes nothing.

// enumFlags are the flags with a fixed set of values.
var enumFlags = map[string][]string{
	"build-type": {"auto", "dockerfile", "static", "nixpacks", "railpack", "buildpacks", "compose"},
	"engine":     {"postgres", "mysql", "mariadb", "redis", "mongo"},
	"policy":     {"wait", "reject"},
	"output":     {"table", "json"},
	"role":       {string(release.RoleViewer), string(release.RoleDeveloper), string(release.RoleAdmin), string(release.RoleOwner)},
	"strategy":   {string(release.StartFirst), string(release.StopFirst)},
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

// namesOf is what list gives through the CLI's client, each said by name.
func namesOf[T any](ctx context.Context, g *globals, list func(context.Context, *client.Client) ([]T, error), name func(T) string) ([]string, error) {
	c, err := g.client()
	if err != nil {
		return nil, err
	}
	vs, err := list(ctx, c)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		out = append(out, name(v))
	}
	return out, nil
}

func appNames(ctx context.Context, g *globals) ([]string, error) {
	return namesOf(ctx, g, func(ctx context.Context, c *client.Client) ([]service.AppView, error) {
		return c.ListApps(ctx, g.teamName())
	},
		func(a service.AppView) string { return a.Name })
}

func databaseNames(ctx context.Context, g *globals) ([]string, error) {
	return namesOf(ctx, g, func(ctx context.Context, c *client.Client) ([]service.DatabaseView, error) {
		return c.ListDatabases(ctx)
	},
		func(d service.DatabaseView) string { return d.Name })
}

// deploymentIDs are the newest deployments' IDs (of app, or of every app
// visible), each with its app, status and commit as the description.
func deploymentIDs(ctx context.Context, g *globals, app string) ([]string, error) {
	return namesOf(ctx, g, func(ctx context.Context, c *client.Client) ([]service.DeploymentView, error) {
		return c.ListDeployments(ctx, app, 50)
	},
		func(d service.DeploymentView) string {
			return d.ID + "\t" + d.AppName + " " + string(d.Status) + " " + short(d.CommitSHA)
		})
}
