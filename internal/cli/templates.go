package cli

import (
	"cmp"
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/service"
)

func newTemplatesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "templates",
		Short: "Deploy well-known services (Grafana, Gitea, n8n, …) from Rivetr's templates",
		Long: `Service templates are compose files for well-known self-hosted services,
shipped inside Rivetr with pinned image tags. "templates deploy" makes an
app of build type compose from one (its file pasted in: no repository)
and deploys it: passwords and secrets it needs are generated, shown once
and kept as the app's secret env vars.`,
	}
	cmd.AddCommand(newTemplatesListCmd(g), newTemplatesShowCmd(g), newTemplatesDeployCmd(g), newTemplatesUpgradeCmd(g))
	return cmd
}

func newTemplatesListCmd(g *globals) *cobra.Command {
	var category string
	cmd := &cobra.Command{
		Use:   "list [--category NAME]",
		Short: "List the service templates",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ts, err := c.Templates(cmd.Context(), category)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, ts)
			}
			tw := table(out)
			fmt.Fprintln(tw, "NAME\tCATEGORY\tIMAGES\tDESCRIPTION")
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Category, strings.Join(t.Images, ", "), t.Description)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVar(&category, "category", "", "only this category's templates (monitoring, development, cms, …)")
	return cmd
}

func newTemplatesShowCmd(g *globals) *cobra.Command {
	var compose bool
	cmd := &cobra.Command{
		Use:   "show NAME [--compose]",
		Short: "Show a template: what it runs, where it is routed, its variables",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			t, err := c.Template(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, t)
			}
			if compose {
				_, err := fmt.Fprint(out, t.Compose)
				return err
			}
			tw := table(out)
			row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
			row("name", t.Name+" (version "+fmt.Sprint(t.Version)+")")
			row("title", t.Title)
			row("category", t.Category)
			row("about", t.Description)
			row("website", t.Website)
			row("images", strings.Join(t.Images, ", "))
			row("routed", fmt.Sprintf("service %s, port %d, health check GET %s", t.Service, t.Port, t.Health))
			if t.Notes != "" {
				row("notes", t.Notes)
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(t.Variables) > 0 {
				fmt.Fprintln(out, "\nvariables (--set NAME=VALUE):")
				tw = table(out)
				for _, v := range t.Variables {
					how := "default " + fmt.Sprintf("%q", v.Default)
					switch {
					case v.Required:
						how = "required"
					case v.Generate != "":
						how = "generated (" + v.Generate + ")"
					}
					fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.Name, how, v.Description)
				}
				return tw.Flush()
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&compose, "compose", false, "print the template's compose file")
	return cmd
}

func newTemplatesDeployCmd(g *globals) *cobra.Command {
	var (
		name, host    string
		domains       []string
		set           map[string]string
		wait, noStart bool
	)
	cmd := &cobra.Command{
		Use:   "deploy TEMPLATE --domain DOMAIN [--name APP] [--set KEY=VALUE ...] [--wait]",
		Short: "Make an app from a template and deploy it",
		Long: `Make an app (named --name, default the template's) of build type compose from
TEMPLATE, answering on --domain, and deploy it. Variables are given with
--set (repeat); those not given are generated (passwords, secrets: printed
once, here, and kept as the app's secret env), defaulted, or — when
required — refused, listing them. The app is then like any other: change
its env with "rivetr env", redeploy, roll back; its compose file is in its
settings. With --wait the deploy's log streams to the terminal.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if len(domains) == 0 {
				return fmt.Errorf("--domain is required (the proxy routes it to the template's service)")
			}
			req := service.TemplateDeployRequest{Name: name, Team: g.teamName(), Domains: domains, Set: set, Host: host, NoDeploy: noStart, Trigger: service.TriggerCLI}
			res, err := c.DeployTemplate(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return reportTemplate(cmd, g, c, res, wait)
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "name", "", "the app's name (default: the template's)")
	f.StringSliceVar(&domains, "domain", nil, "domain the app answers on (repeat or comma-separate)")
	f.StringToStringVar(&set, "set", nil, "a variable's value, KEY=VALUE (repeat)")
	f.StringVar(&host, "host", "", "Docker host to run on: a `rivetr worker --host-name` (default: the server's own host)")
	f.BoolVar(&wait, "wait", false, "stream the deploy's log and exit non-zero unless it succeeds")
	f.BoolVar(&noStart, "no-deploy", false, "make the app without deploying it")
	return cmd
}

// reportTemplate prints what a template's deploy or upgrade made: the
// generated values (once), the notes, the deployment.
func reportTemplate(cmd *cobra.Command, g *globals, c *client.Client, res *service.TemplateDeployed, wait bool) error {
	out := cmd.OutOrStdout()
	if g.output == "json" && !wait {
		return printJSON(out, res)
	}
	fmt.Fprintf(out, "app %s runs template %s, answering on %s\n", res.App.Name, res.App.Template, cmp.Or(res.App.URL, strings.Join(res.App.Domains, ", ")))
	if len(res.Generated) > 0 {
		keys := make([]string, 0, len(res.Generated))
		for k := range res.Generated {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fmt.Fprintln(out, "generated (shown this once; kept as the app's secret env):")
		for _, k := range keys {
			fmt.Fprintf(out, "  %s=%s\n", k, res.Generated[k])
		}
	}
	if res.Notes != "" {
		fmt.Fprintln(out, "next: "+res.Notes)
	}
	if res.DeployError != "" {
		return fmt.Errorf("the deploy could not start: %s; deploy it with: rivetr deploy %s", res.DeployError, res.App.Name)
	}
	if res.Deployment == nil {
		fmt.Fprintf(out, "not deployed (--no-deploy); deploy it with: rivetr deploy %s --wait\n", res.App.Name)
		return nil
	}
	return reportStarted(cmd, g, c, res.Deployment, wait)
}

func newTemplatesUpgradeCmd(g *globals) *cobra.Command {
	var (
		set           map[string]string
		wait, noStart bool
	)
	cmd := &cobra.Command{
		Use:   "upgrade APP [--set KEY=VALUE ...] [--wait]",
		Short: "Give an app made from a template the catalog's current version and deploy it",
		Long: `Replace the compose file of APP (made with "templates deploy") with the
current version of its template in this Rivetr (its new image tags), give
the variables the app does not have yet their values (--set, generated or
defaulted; generated ones are printed once), and deploy it through the
app's gates. Changes made to the app's compose file since are replaced
too; a rollback brings the previous file back.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			res, err := c.UpgradeTemplate(cmd.Context(), args[0], service.TemplateUpgradeRequest{Set: set, NoDeploy: noStart, Trigger: service.TriggerCLI})
			if err != nil {
				return err
			}
			return reportTemplate(cmd, g, c, res, wait)
		},
	}
	f := cmd.Flags()
	f.StringToStringVar(&set, "set", nil, "a variable's value, KEY=VALUE (repeat)")
	f.BoolVar(&wait, "wait", false, "stream the deploy's log and exit non-zero unless it succeeds")
	f.BoolVar(&noStart, "no-deploy", false, "change the app without deploying it")
	return cmd
}
