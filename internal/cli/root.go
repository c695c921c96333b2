// Package cli is the rivetr command tree. main only calls Execute.
package cli

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/rivetr/rivetr/internal/buildinfo"
	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/config"
	"github.com/rivetr/rivetr/internal/humanize"
)

// exitError carries an exit code without printing anything more.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit %d", e.code) }

// RunFunc runs a server, worker or proxy process until ctx ends; main
// passes server.Runner. Taking it as a parameter keeps the Temporal server out of every
// binary but rivetr itself (the CLI's tests do not link it).
type RunFunc func(ctx context.Context, cfg config.Config, role config.Role, log *slog.Logger) error

// Execute runs the command line and returns the process exit code.
func Execute(run RunFunc) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRoot(run)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	printError(root.ErrOrStderr(), err)
	return 1
}

func printError(w io.Writer, err error) {
	var apiErr *client.Error
	if errors.As(err, &apiErr) && len(apiErr.Fields) > 0 {
		fmt.Fprintln(w, "error: invalid request")
		keys := make([]string, 0, len(apiErr.Fields))
		for k := range apiErr.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", k, apiErr.Fields[k])
		}
		return
	}
	fmt.Fprintln(w, "error:", err)
}

// strictWords makes every word the CLI does not know an error, never a
// help page with exit status 0 that a script would take for success: an
// unknown subcommand (with "did you mean" and the subcommands there are),
// missing or extra arguments and unknown flags, each with the usage line.
// A command group given no subcommand prints its help.
func strictWords(root *cobra.Command) {
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError(c, err.Error())
	})
	root.SuggestionsMinimumDistance = 2
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		switch {
		case c.HasSubCommands() && !c.Runnable():
			c.SuggestionsMinimumDistance = 2
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) == 0 {
					return c.Help()
				}
				msg := fmt.Sprintf("unknown command %q for %q", args[0], c.CommandPath())
				if s := c.SuggestionsFor(args[0]); len(s) > 0 {
					msg += "; did you mean " + strings.Join(s, " or ") + "?"
				}
				var names []string
				for _, sub := range c.Commands() {
					if sub.IsAvailableCommand() {
						names = append(names, sub.Name())
					}
				}
				return fmt.Errorf("%s\ncommands: %s\nusage: %s COMMAND\n(see %s --help)", msg, strings.Join(names, ", "), c.CommandPath(), c.CommandPath())
			}
		case c.Args != nil:
			check := c.Args
			c.Args = func(c *cobra.Command, args []string) error {
				if err := check(c, args); err != nil {
					return usageError(c, err.Error())
				}
				return nil
			}
		}
	}
	walk(root)
}

// usageError is msg with the command's usage line and where its help is.
func usageError(c *cobra.Command, msg string) error {
	return fmt.Errorf("%s\nusage: %s\n(see %s --help)", msg, c.UseLine(), c.CommandPath())
}

// globals are the flags every client command shares.
type globals struct {
	url     string
	token   string
	dataDir string
	output  string
	team    string
}

// teamName is --team, else RIVETR_TEAM.
func (g *globals) teamName() string { return cmp.Or(g.team, os.Getenv("RIVETR_TEAM")) }

func newRoot(run RunFunc) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "rivetr",
		Short: "Rivetr deploys git apps to Docker with zero downtime, as durable Temporal workflows",
		Long: `Rivetr is a self-hosted deployment engine. "rivetr server" runs everything in one
process: the API and dashboard, an embedded Temporal server and UI, a worker and
the reverse proxy. The other commands talk to a server's API.

The CLI finds the server at RIVETR_URL (default ` + client.DefaultURL + `) and
authenticates with RIVETR_TOKEN, else with the token "rivetr login" saved,
else with the admin token the server wrote to <data-dir>/admin-token: the data
dir is --data-dir, else RIVETR_DATA_DIR, else ./.rivetr when it exists (where
"make run" keeps it), else the default.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       buildinfo.Read().String(),
	}
	root.SetVersionTemplate("{{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&g.url, "url", "", "API address [RIVETR_URL] (default "+client.DefaultURL+")")
	pf.StringVar(&g.token, "token", "", "API token [RIVETR_TOKEN] (default: read <data-dir>/admin-token)")
	pf.StringVarP(&g.output, "output", "o", "table", "output format of listings: table or json")
	pf.StringVar(&g.team, "team", "", "team to list or create apps (and environments) in [RIVETR_TEAM] (default: every team you are in; the only one, for create)")

	root.AddCommand(
		newServerCmd(run), newWorkerCmd(run), newProxyCmd(run), newConfigCmd(),
		newStatusCmd(g), newAppsCmd(g), newDomainsCmd(g), newVolumesCmd(g), newCertsCmd(g), newEnvCmd(g),
		newDeployCmd(g), newDeploymentsCmd(g), newRollbackCmd(g), newLogsCmd(g),
		newLoginCmd(g), newLogoutCmd(g), newWhoamiCmd(g), newUsersCmd(g), newTokensCmd(g), newTeamsCmd(g), newDBCmd(g), newSecretsCmd(g), newAuditCmd(g),
		newDecisionCmd(g, true), newDecisionCmd(g, false), newFreezeCmd(g), newOverrideCmd(g), newSchedulesCmd(g), newEnvironmentsCmd(g), newWebhooksCmd(g), newPreviewsCmd(g), newBuildCmd(g), newDatabasesCmd(g),
		newGraphCmd(g), newTemplatesCmd(g), newVersionCmd(g),
	)
	strictWords(root)
	addCompletions(root, g)
	// Client commands take --data-dir to find the admin token; server and
	// worker define it themselves as part of their configuration.
	for _, c := range root.Commands() {
		switch c.Name() {
		case "server", "worker", "proxy", "config", "help", "completion", "version":
		default:
			c.PersistentFlags().StringVar(&g.dataDir, "data-dir", "", "data dir of a local server, to read its admin token [RIVETR_DATA_DIR]")
		}
	}
	return root
}

// client builds an API client from flags, env, the credentials "rivetr
// login" saved, and the admin token file, in that order.
func (g *globals) client() (*client.Client, error) {
	url := cmp.Or(g.url, os.Getenv("RIVETR_URL"))
	token := cmp.Or(g.token, os.Getenv("RIVETR_TOKEN"))
	if token == "" {
		if cr, err := loadCredentials(); err == nil && (url == "" || sameURL(url, cr.URL)) {
			url, token = cr.URL, cr.Token
		}
	}
	url = cmp.Or(url, client.DefaultURL)
	var tried []string
	if token == "" {
		for _, path := range adminTokenPaths(g.dataDir) {
			if b, err := os.ReadFile(path); err == nil {
				token = strings.TrimSpace(string(b))
				break
			}
			tried = append(tried, path)
		}
	}
	if g.output != "table" && g.output != "json" {
		return nil, fmt.Errorf("-o %q: want table or json", g.output)
	}
	c := newClient(url, token)
	if token == "" {
		c.Unauthorized = "no token was sent: RIVETR_TOKEN is unset, there is no saved login for " + url + " (rivetr login), and no admin token at " + strings.Join(tried, " or ") +
			"; pass --data-dir of the server (make run keeps it in ./.rivetr of the checkout), or rivetr login"
	}
	return c, nil
}

// adminTokenPaths are where the CLI looks for a local server's admin
// token, in order: --data-dir, else RIVETR_DATA_DIR, else ./.rivetr (what
// `make run` uses, for a CLI run in the checkout) and the default data
// dir.
func adminTokenPaths(dataDir string) []string {
	if d := cmp.Or(dataDir, os.Getenv("RIVETR_DATA_DIR")); d != "" {
		return []string{filepath.Join(d, "admin-token")}
	}
	var out []string
	if abs, err := filepath.Abs(".rivetr"); err == nil {
		if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
			out = append(out, filepath.Join(abs, "admin-token"))
		}
	}
	return append(out, filepath.Join(config.DefaultDataDir(), "admin-token"))
}

// printJSON writes v as indented JSON.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0) }

func short(sha string) string {
	if sha == "" {
		return "-"
	}
	return humanize.SHA(sha)
}

func ago(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return humanize.Ago(t)
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return s
}

// newLogger builds the process logger from --log-level.
func newLogger(level string) (*slog.Logger, error) {
	l, err := config.ParseLevel(level)
	if err != nil {
		return nil, err
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), nil
}

// newClient is an API client that names itself rivetr-cli/<version>.
func newClient(url, token string) *client.Client {
	c := client.New(url, token)
	c.UserAgent = "rivetr-cli/" + buildinfo.Version
	return c
}

// Command returns the command tree, as the binary runs it (for generated
// docs: the CLI reference).
func Command(run RunFunc) *cobra.Command { return newRoot(run) }
