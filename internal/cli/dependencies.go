package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// newDependCmd is "rivetr apps depend": what an app needs.
func newDependCmd(g *globals) *cobra.Command {
	var remove bool
	cmd := &cobra.Command{
		Use:   "depend APP [database:NAME|app:NAME ...] [--remove]",
		Short: "Show, add or remove what an app needs (its deploys wait for it; it cannot be deleted meanwhile)",
		Long: `Without targets, list what APP needs and whether each is ready. With
targets (database:NAME or app:NAME, of APP's team), APP needs them from
now on: each deploy waits (up to 5 minutes) for its databases to run and
its apps to serve before the new container starts, and they cannot be
deleted while APP needs them. --remove takes them away. Linking a database
(rivetr databases link) adds it too.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			app, out := args[0], cmd.OutOrStdout()
			for _, t := range args[1:] {
				kind, name, err := release.ParseDependency(t)
				if err != nil {
					return err
				}
				if remove {
					if err := c.RemoveDependency(cmd.Context(), app, kind, name); err != nil {
						return err
					}
					fmt.Fprintf(out, "%s no longer needs %s %s\n", app, kind, name)
					continue
				}
				d, err := c.AddDependency(cmd.Context(), app, kind, name)
				if err != nil {
					return err
				}
				fmt.Fprintf(out, "%s needs %s %s (%s); its deploys wait for it\n", app, d.Kind, d.Name, d.Status)
			}
			if len(args) > 1 {
				return nil
			}
			if remove {
				return fmt.Errorf("say what to remove: rivetr apps depend %s --remove database:NAME|app:NAME", app)
			}
			deps, err := c.Dependencies(cmd.Context(), app)
			if err != nil {
				return err
			}
			if g.output == "json" {
				if deps == nil {
					deps = []service.DependencyView{}
				}
				return printJSON(out, deps)
			}
			if len(deps) == 0 {
				fmt.Fprintf(out, "%s needs nothing (add with: rivetr apps depend %s database:NAME)\n", app, app)
				return nil
			}
			tw := table(out)
			fmt.Fprintln(tw, "KIND\tNAME\tSTATE")
			for _, d := range deps {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", d.Kind, d.Name, d.Status)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&remove, "remove", false, "remove the dependencies named")
	return cmd
}

func newGraphCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "graph",
		Short: "Show your team's dependency graph: its apps and databases, and what needs what",
		Long: `Print the team's (--team, or your only team's) apps and databases with their
state, each app followed by what it needs; -o json for the graph's nodes
and edges. The dashboard draws the same graph at /graph.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			gr, err := c.Graph(cmd.Context(), g.team)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, gr)
			}
			return printGraph(out, gr)
		},
	}
}

// printGraph prints a graph as text: each node, then what it needs.
func printGraph(out interface{ Write([]byte) (int, error) }, gr *service.GraphView) error {
	nodes := map[string]service.GraphNode{}
	for _, n := range gr.Nodes {
		nodes[n.ID] = n
	}
	needs := map[string][]string{}
	needed := map[string]bool{}
	for _, e := range gr.Edges {
		needs[e.From] = append(needs[e.From], e.To)
		needed[e.To] = true
	}
	team := "team " + gr.Team
	if gr.Team == "" {
		team = "in no team"
	}
	fmt.Fprintf(out, "%s: %d apps and databases, %d dependencies\n", team, len(gr.Nodes), len(gr.Edges))
	ids := make([]string, 0, len(nodes))
	for id := range nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	label := func(id string) string { n := nodes[id]; return fmt.Sprintf("%s %s (%s)", n.Kind, n.Name, n.Status) }
	for _, id := range ids {
		line := "  " + label(id)
		if ds := needs[id]; len(ds) > 0 {
			sort.Strings(ds)
			parts := make([]string, len(ds))
			for i, d := range ds {
				parts[i] = label(d)
			}
			line += " → needs " + strings.Join(parts, ", ")
		} else if !needed[id] {
			line += " — nothing needs it, it needs nothing"
		}
		fmt.Fprintln(out, line)
	}
	return nil
}
