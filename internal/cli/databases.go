package cli

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
)

// waitDatabase polls a database until its operation settles.
func waitDatabase(ctx context.Context, c *client.Client, name string, want release.DBStatus) (*service.DatabaseView, error) {
	deadline := time.Now().Add(5 * time.Minute)
	for {
		d, err := c.GetDatabase(ctx, name, false)
		var ce *client.Error
		if want == "deleted" && errors.As(err, &ce) && ce.Status == 404 {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		switch {
		case d.Status == want:
			return d, nil
		case d.Status == release.DBFailed:
			return d, fmt.Errorf("database %s failed: %s", name, d.Error)
		case time.Now().After(deadline):
			return d, fmt.Errorf("database %s is still %s after 5 minutes", name, d.Status)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func newDatabasesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:     "databases",
		Aliases: []string{"database"},
		Short:   "Managed databases: PostgreSQL, MySQL, MariaDB, Redis and MongoDB containers",
		Long: `Databases run as containers Rivetr manages, each with a named volume, on
their team's network only (the team's apps reach them as rivetr-db-NAME) unless you publish
a port. Passwords are generated and sealed; "show --reveal" (admins) shows
them; "link" gives an app DATABASE_URL and friends.`,
	}
	var in service.DatabaseInput
	var wait bool
	create := &cobra.Command{
		Use:   "create NAME --engine postgres|mysql|mariadb|redis|mongo [--version V] [--image IMAGE] [--public-port P]",
		Short: "Create a database (default images: postgres:17, mysql:8.4, mariadb:11, redis:7, mongo:7)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			in.Name, in.Team = args[0], g.teamName()
			d, err := c.CreateDatabase(cmd.Context(), in)
			if err != nil {
				return err
			}
			if wait {
				if d, err = waitDatabase(cmd.Context(), c, d.Name, release.DBRunning); err != nil {
					return err
				}
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "database %s (%s, %s) is %s; apps reach it at %s\n", d.Name, d.Engine, d.Image, d.Status, d.URL)
			return nil
		},
	}
	create.Flags().StringVar(&in.Engine, "engine", "", "postgres, mysql, mariadb, redis or mongo")
	create.Flags().StringVar(&in.Version, "version", "", "the official image's tag (default: the engine's current major)")
	create.Flags().StringVar(&in.Image, "image", "", "another image honouring the official image's variables")
	create.Flags().IntVar(&in.PublicPort, "public-port", 0, "publish the server on this host port (default: its team's network only)")
	create.Flags().BoolVar(&wait, "wait", false, "wait until it takes connections")

	list := &cobra.Command{
		Use:   "list",
		Short: "List databases",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ds, err := c.ListDatabases(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ds == nil {
					ds = []service.DatabaseView{}
				}
				return printJSON(cmd.OutOrStdout(), ds)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "NAME\tENGINE\tIMAGE\tSTATUS\tTEAM\tADDRESS")
			for _, d := range ds {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s:%d\n", d.Name, d.Engine, d.Image, d.Status, cmp.Or(d.Team, "-"), d.Host, d.Port)
			}
			return tw.Flush()
		},
	}
	var reveal bool
	show := &cobra.Command{
		Use:   "show NAME [--reveal]",
		Short: "Show a database and its connection URL (password masked unless --reveal, admins only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			d, err := c.GetDatabase(cmd.Context(), args[0], reveal)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), d)
			}
			tw := table(cmd.OutOrStdout())
			row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
			row("name", d.Name)
			row("engine", d.Engine+" "+d.Version)
			row("image", d.Image)
			row("status", string(d.Status)+map[bool]string{true: ": " + d.Error, false: ""}[d.Error != ""])
			row("url", d.URL)
			row("volume", d.Volume)
			row("public port", map[bool]string{true: fmt.Sprint(d.PublicPort), false: "none (its team's network only)"}[d.PublicPort > 0])
			row("team", cmp.Or(d.Team, "-"))
			return tw.Flush()
		},
	}
	show.Flags().BoolVar(&reveal, "reveal", false, "show the password (admins; audited)")
	action := func(op, short string) *cobra.Command {
		var yes, purge, wait bool
		c := &cobra.Command{
			Use:   op + " NAME",
			Short: short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, err := g.client()
				if err != nil {
					return err
				}
				if op == "delete" && !yes {
					what := "its container; its data volume is kept (--purge removes it)"
					if purge {
						what = "its container AND its data volume"
					}
					if !isTerminal(os.Stdin) {
						return fmt.Errorf("deleting database %s removes %s: confirm with --yes", args[0], what)
					}
					fmt.Fprintf(cmd.OutOrStdout(), "Delete database %s (%s)? Type its name to confirm: ", args[0], what)
					if !confirm(os.Stdin, args[0]) {
						return errors.New("not deleted")
					}
				}
				d, err := c.DatabaseAction(cmd.Context(), args[0], op, purge)
				if err != nil {
					return err
				}
				want := map[string]release.DBStatus{"start": release.DBRunning, "stop": release.DBStopped, "delete": "deleted"}[op]
				if wait {
					if d, err = waitDatabase(cmd.Context(), c, args[0], want); err != nil {
						return err
					}
				}
				if d == nil {
					fmt.Fprintf(cmd.OutOrStdout(), "database %s deleted\n", args[0])
					return nil
				}
				fmt.Fprintf(cmd.OutOrStdout(), "database %s: %s requested (now %s)\n", d.Name, op, d.Status)
				return nil
			},
		}
		c.Flags().BoolVar(&wait, "wait", false, "wait until it is done")
		if op == "delete" {
			c.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
			c.Flags().BoolVar(&purge, "purge", false, "remove the data volume too (its data is lost)")
		}
		return c
	}
	var prefix string
	link := &cobra.Command{
		Use:   "link NAME APP [--prefix DATABASE]",
		Short: "Give an app the database's PREFIX_URL, _HOST, _PORT, _USER, _PASSWORD, _NAME as secret env vars",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			keys, err := c.LinkDatabase(cmd.Context(), args[0], args[1], prefix)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s now has %s (secret); they apply from its next deployment\n", args[1], strings.Join(slices.Sorted(slices.Values(keys)), ", "))
			return nil
		},
	}
	link.Flags().StringVar(&prefix, "prefix", "DATABASE", "env var name prefix")
	cmd.AddCommand(create, list, show, action("start", "Start a stopped database"), action("stop", "Stop a database (its data stays)"),
		action("delete", "Delete a database (its volume stays unless --purge)"), link)
	cmd.AddCommand(backupCmds(g)...)
	return cmd
}
