package cli

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/rivetr/rivetr/internal/detect"
	"github.com/rivetr/rivetr/internal/humanize"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/term"
)

// appFlags binds the app settings flags; only flags the user gave end up in
// the AppInput, so an update changes just those.
type appFlags struct {
	git, branch, dockerfile, healthPath, gitToken, gitTokenFile, sshKeyFile, host, environment string
	domains, watchPaths                                                                        []string
	port, keepImages                                                                           int
	healthInterval, healthTimeout, healthDeadline, drainTimeout                                time.Duration
	memoryMB                                                                                   int64
	cpus                                                                                       float64
	requireApproval, allowSelfApproval, allowHTTP, hsts                                        bool
	approvals                                                                                  int
	approvalTTL                                                                                time.Duration
	previews                                                                                   bool
	previewEnv                                                                                 map[string]string
	previewMemoryMB                                                                            int64
	previewCPUs                                                                                float64
	previewTTL                                                                                 time.Duration
	providerURL, providerTokenFile                                                             string
	buildType, buildContext, buildTarget, staticDir, builder                                   string
	strategy, composeFile, stackService, composeInline                                         string
	buildArgs                                                                                  map[string]string
	profiles, routes                                                                           []string
}

func (f *appFlags) bind(fs *pflag.FlagSet) {
	fs.StringVar(&f.git, "git", "", "git repository URL (https://, ssh://, user@host:path, file:// or a path)")
	fs.StringVar(&f.branch, "branch", service.DefaultBranch, "branch to deploy")
	fs.StringSliceVar(&f.domains, "domain", nil, "domain the app answers on (repeat or comma-separate for several)")
	fs.IntVar(&f.port, "port", service.DefaultPort, "port the app listens on inside its container (also given to it as $PORT)")
	fs.StringVar(&f.healthPath, "health-path", service.DefaultHealthPath, "path the health check requests; 2xx or 3xx is healthy")
	fs.DurationVar(&f.healthInterval, "health-interval", service.DefaultHealthInterval, "time between health check requests")
	fs.DurationVar(&f.healthTimeout, "health-timeout", service.DefaultHealthTimeout, "timeout of one health check request")
	fs.DurationVar(&f.healthDeadline, "health-deadline", service.DefaultHealthDeadline, "how long a new version has to become healthy")
	fs.DurationVar(&f.drainTimeout, "drain-timeout", service.DefaultDrainTimeout, "how long in-flight requests to the old version may finish")
	fs.StringVar(&f.dockerfile, "dockerfile", service.DefaultDockerfile, "Dockerfile path inside the repository")
	fs.Int64Var(&f.memoryMB, "memory", 0, "memory limit in MiB (0: none)")
	fs.Float64Var(&f.cpus, "cpus", 0, "CPU limit in cores, e.g. 0.5 (0: none)")
	fs.IntVar(&f.keepImages, "keep-images", service.DefaultKeepImages, "how many successful deployments' images to keep for rollback")
	fs.StringVar(&f.composeFile, "compose-file", "", "build type compose: the compose file's path in the repository (default: compose.yaml, compose.yml, docker-compose.yaml or docker-compose.yml)")
	fs.StringVar(&f.composeInline, "compose", "", "build type compose without a repository: deploy this local compose file (its content is sent; services need an image:; \"\" goes back to the repository's)")
	fs.StringSliceVar(&f.profiles, "profile", nil, "build type compose: a compose profile to enable (repeat or comma-separate; replaces the list; \"\" clears)")
	fs.StringSliceVar(&f.routes, "route", nil, "build type compose: send a domain to another service, HOST=SERVICE:PORT[/HEALTH-PATH] (repeat; replaces the list; \"\" clears; the host is added to the domains)")
	fs.StringVar(&f.stackService, "service", "", "build type compose: the service the app's domains route to (on --port, health-checked on --health-path)")
	fs.StringVar(&f.strategy, "strategy", string(release.StartFirst), "how a release replaces the serving version: start-first (zero downtime; both versions run for a moment) or stop-first (for volumes that cannot take two writers; requests wait during the switch)")
	fs.BoolVar(&f.allowHTTP, "allow-http", false, "keep serving plain HTTP once the app has a certificate (default: HTTP redirects to HTTPS)")
	fs.BoolVar(&f.hsts, "hsts", false, "send Strict-Transport-Security over HTTPS (browsers then refuse plain HTTP for a year)")
	fs.StringVar(&f.gitToken, "git-token", "", "HTTPS token for a private repository (prefer --git-token-file; \"user:token\" sets the user)")
	fs.StringVar(&f.gitTokenFile, "git-token-file", "", "read the HTTPS token from this file")
	fs.StringVar(&f.sshKeyFile, "ssh-key-file", "", "SSH deploy key (PEM) for ssh:// or user@host:path URLs")
	fs.StringVar(&f.host, "host", "", "Docker host to run on: a `rivetr worker --host-name` (default: the server's own host)")
	fs.BoolVar(&f.requireApproval, "require-approval", false, "every deploy and rollback waits for approval (changing it on an existing app takes an admin)")
	fs.IntVar(&f.approvals, "approvals", 1, "how many approvers must approve")
	fs.BoolVar(&f.allowSelfApproval, "allow-self-approval", false, "the requester may approve their own deploy")
	fs.DurationVar(&f.approvalTTL, "approval-ttl", release.DefaultApprovalTTL, "how long a deploy waits for approval before it expires")
	fs.StringSliceVar(&f.watchPaths, "watch-path", nil, "deploy a push only if it changes a file matching this glob (repeat; api/**, **/*.go; \"\" clears)")
	fs.StringVar(&f.buildType, "build-type", "", "how to build: auto (detect at each build; the default for new apps), dockerfile, static, nixpacks, railpack, buildpacks, compose (a stack from the compose file)")
	fs.StringVar(&f.buildContext, "build-context", "", "directory inside the repository the build starts from (default: the root)")
	fs.StringToStringVar(&f.buildArgs, "build-arg", nil, "build argument KEY=VALUE (Docker --build-arg; env of the external builders; repeat; replaces the list)")
	fs.StringVar(&f.buildTarget, "build-target", "", "Dockerfile stage to build")
	fs.StringVar(&f.staticDir, "static-dir", "", "static builds: the site's directory in the build context (default: found: ., public, dist, build, …)")
	fs.StringVar(&f.builder, "builder", "", "buildpacks builds: the builder image (default "+detect.DefaultBuilder+")")
	fs.BoolVar(&f.previews, "previews", false, "a preview per pull request against the branch (needs the server's --preview-domain)")
	fs.StringToStringVar(&f.previewEnv, "preview-env", nil, "env vars previews get on top of the app's, KEY=VALUE (repeat; replaces the list)")
	fs.Int64Var(&f.previewMemoryMB, "preview-memory", 0, "previews' memory limit in MiB (0: 256)")
	fs.Float64Var(&f.previewCPUs, "preview-cpus", 0, "previews' CPU limit in cores (0: 0.5)")
	fs.DurationVar(&f.previewTTL, "preview-ttl", 0, "remove a preview after this long without a new commit (0: 72h)")
	fs.StringVar(&f.providerURL, "provider-url", "", "the git host's API for comments and commit statuses (default: https://api.github.com, https://gitlab.com; required for Gitea)")
	fs.StringVar(&f.providerTokenFile, "provider-token-file", "", "read the git host API token from this file (\"\": clear it)")
	fs.StringVar(&f.environment, "environment", "", "the team's environment the app is in (its policy and freezes apply; \"\" takes it out; changing it takes an admin)")
}

// input builds the AppInput from the flags that were set.
func (f *appFlags) input(fs *pflag.FlagSet) (service.AppInput, error) {
	var in service.AppInput
	ch := fs.Changed
	if ch("git") {
		in.GitURL = &f.git
	}
	if ch("branch") {
		in.Branch = &f.branch
	}
	if ch("domain") {
		in.Domains = &f.domains
	}
	if ch("port") {
		in.Port = &f.port
	}
	if ch("health-path") {
		in.HealthPath = &f.healthPath
	}
	if ch("require-approval") {
		in.RequireApproval = &f.requireApproval
	}
	if ch("environment") {
		in.Environment = &f.environment
	}
	if ch("watch-path") {
		in.WatchPaths = &f.watchPaths
	}
	for name, dst := range map[string]**string{"build-type": &in.BuildType, "build-context": &in.BuildContext, "build-target": &in.BuildTarget,
		"static-dir": &in.StaticDir, "builder": &in.Builder} {
		if ch(name) {
			v, _ := fs.GetString(name)
			*dst = &v
		}
	}
	if ch("build-arg") {
		in.BuildArgs = &f.buildArgs
	}
	if ch("previews") {
		in.PreviewsEnabled = &f.previews
	}
	if ch("preview-env") {
		in.PreviewEnv = &f.previewEnv
	}
	if ch("preview-memory") {
		in.PreviewMemoryMB = &f.previewMemoryMB
	}
	if ch("preview-cpus") {
		in.PreviewCPUs = &f.previewCPUs
	}
	if ch("preview-ttl") {
		d := release.Duration(f.previewTTL)
		in.PreviewTTL = &d
	}
	if ch("provider-url") {
		in.ProviderURL = &f.providerURL
	}
	if ch("provider-token-file") {
		tok := ""
		if f.providerTokenFile != "" {
			b, err := os.ReadFile(f.providerTokenFile)
			if err != nil {
				return in, fmt.Errorf("--provider-token-file: %w", err)
			}
			tok = strings.TrimSpace(string(b))
		}
		in.ProviderToken = &tok
	}
	if ch("approvals") {
		in.ApprovalsNeeded = &f.approvals
	}
	if ch("allow-self-approval") {
		in.AllowSelfApproval = &f.allowSelfApproval
	}
	if ch("approval-ttl") {
		d := release.Duration(f.approvalTTL)
		in.ApprovalTTL = &d
	}
	dur := func(name string, v time.Duration) *release.Duration {
		if !ch(name) {
			return nil
		}
		d := release.Duration(v)
		return &d
	}
	in.HealthInterval = dur("health-interval", f.healthInterval)
	in.HealthTimeout = dur("health-timeout", f.healthTimeout)
	in.HealthDeadline = dur("health-deadline", f.healthDeadline)
	in.DrainTimeout = dur("drain-timeout", f.drainTimeout)
	if ch("dockerfile") {
		in.Dockerfile = &f.dockerfile
	}
	if ch("memory") {
		in.MemoryLimitMB = &f.memoryMB
	}
	if ch("cpus") {
		in.CPULimit = &f.cpus
	}
	if ch("host") {
		in.Host = &f.host
	}
	if ch("keep-images") {
		in.KeepImages = &f.keepImages
	}
	if ch("strategy") {
		in.Strategy = &f.strategy
	}
	if ch("compose-file") {
		in.ComposeFile = &f.composeFile
	}
	if ch("service") {
		in.StackService = &f.stackService
	}
	if ch("profile") {
		in.StackProfiles = &f.profiles
	}
	if ch("route") {
		routes := []release.StackRoute{}
		for _, r := range f.routes {
			if strings.TrimSpace(r) == "" {
				continue
			}
			sr, err := release.ParseStackRoute(r)
			if err != nil {
				return in, fmt.Errorf("--route: %w", err)
			}
			routes = append(routes, sr)
		}
		in.StackRoutes = &routes
	}
	if ch("compose") {
		var text string
		if f.composeInline != "" {
			b, err := os.ReadFile(f.composeInline)
			if err != nil {
				return in, fmt.Errorf("--compose: %w", err)
			}
			text = string(b)
			if !ch("build-type") {
				bt := detect.Compose
				in.BuildType = &bt
			}
		}
		in.ComposeInline = &text
	}
	if ch("allow-http") {
		in.AllowHTTP = &f.allowHTTP
	}
	if ch("hsts") {
		in.HSTS = &f.hsts
	}
	if ch("git-token") {
		in.GitToken = &f.gitToken
	}
	if ch("git-token-file") {
		b, err := os.ReadFile(f.gitTokenFile)
		if err != nil {
			return in, fmt.Errorf("--git-token-file: %w", err)
		}
		s := strings.TrimSpace(string(b))
		in.GitToken = &s
	}
	if ch("ssh-key-file") {
		b, err := os.ReadFile(f.sshKeyFile)
		if err != nil {
			return in, fmt.Errorf("--ssh-key-file: %w", err)
		}
		s := string(b)
		in.SSHKey = &s
	}
	return in, nil
}

func newAppsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "apps", Short: "Create, list, show, change and delete apps"}

	var create appFlags
	createCmd := &cobra.Command{
		Use:   "create NAME --git URL --domain HOST",
		Short: "Create an app from a git repository with a Dockerfile",
		Example: `  rivetr apps create web --git https://github.com/me/web.git --domain web.example.com
  rivetr apps create api --git git@github.com:me/api.git --ssh-key-file deploy_key --domain api.example.com --port 3000 --health-path /up`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			in, err := create.input(cmd.Flags())
			if err != nil {
				return err
			}
			in.Name = &args[0]
			if t := g.teamName(); t != "" {
				in.Team = &t
			}
			if in.GitURL == nil && in.ComposeInline == nil {
				return fmt.Errorf("--git (or --compose FILE) is required")
			}
			if in.Domains == nil {
				return fmt.Errorf("--domain is required")
			}
			app, err := c.CreateApp(cmd.Context(), in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), app)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "created app %s; deploy it with: rivetr deploy %s --wait\n", app.Name, app.Name)
			return nil
		},
	}
	create.bind(createCmd.Flags())

	var update appFlags
	updateCmd := &cobra.Command{
		Use:   "update NAME [flags]",
		Short: "Change an app's settings (they apply from its next deployment)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			in, err := update.input(cmd.Flags())
			if err != nil {
				return err
			}
			app, err := c.UpdateApp(cmd.Context(), args[0], in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), app)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "updated app %s; changes apply from the next deployment\n", app.Name)
			return nil
		},
	}
	update.bind(updateCmd.Flags())

	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List apps",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			apps, err := c.ListApps(cmd.Context(), g.teamName())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				if apps == nil {
					apps = []service.AppView{}
				}
				return printJSON(out, apps)
			}
			if len(apps) == 0 {
				fmt.Fprintln(out, "no apps yet; create one with: rivetr apps create NAME --git URL --domain HOST")
				return nil
			}
			tw := table(out)
			fmt.Fprintln(tw, "NAME\tTEAM\tDOMAINS\tCURRENT\tCOMMIT\tLATEST\tUPDATED")
			for _, a := range apps {
				cur, commit, latest, when := "-", "-", "-", "-"
				if a.Current != nil {
					cur, commit = a.Current.ID, short(a.Current.CommitSHA)
				}
				if a.Latest != nil {
					latest, when = string(a.Latest.Status), ago(a.Latest.UpdatedAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.Name, cmp.Or(a.Team, "-"), strings.Join(a.Domains, ","), cur, commit, latest, when)
			}
			return tw.Flush()
		},
	}

	showCmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an app's settings and current deployment",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			a, err := c.GetApp(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, a)
			}
			tw := table(out)
			row := func(k string, v any) { fmt.Fprintf(tw, "%s\t%v\n", k, v) }
			row("name", a.Name)
			row("url", a.URL)
			if a.ComposeInline != "" {
				src := "a pasted compose file (" + humanize.Bytes(uint64(len(a.ComposeInline))) + ")"
				if a.Template != "" {
					src = "template " + a.Template
				}
				row("source", src)
			} else {
				row("git", a.GitURL+" ("+a.Branch+")")
			}
			bt := cmp.Or(a.BuildType, "dockerfile")
			switch bt {
			case "dockerfile":
				bt += " " + a.Dockerfile
				if a.BuildTarget != "" {
					bt += ", stage " + a.BuildTarget
				}
			case "static":
				bt += " " + cmp.Or(a.StaticDir, "(found at build)")
			case "buildpacks":
				bt += " " + cmp.Or(a.Builder, detect.DefaultBuilder)
			case detect.Compose:
				bt += " " + cmp.Or(a.ComposeFile, "(compose.yaml, found at deploy)") + ", routing to service " + a.StackService
				if a.ComposeInline != "" {
					bt = "compose (pasted), routing to service " + a.StackService
				}
				if len(a.StackProfiles) > 0 {
					bt += ", profiles " + strings.Join(a.StackProfiles, ", ")
				}
				for _, r := range a.StackRoutes {
					bt += fmt.Sprintf("; %s to service %s (port %d, health %s)", r.Host, r.Service, r.Port, r.HealthPath)
				}
			}
			if a.BuildContext != "" && a.BuildContext != "." {
				bt += " in " + a.BuildContext
			}
			if len(a.BuildArgs) > 0 {
				bt += fmt.Sprintf(", %d build args", len(a.BuildArgs))
			}
			row("build", bt)
			row("domains", strings.Join(a.Domains, ", "))
			row("port", a.Port)
			row("health check", fmt.Sprintf("GET %s every %s, timeout %s, deadline %s", a.HealthPath, humanize.Duration(a.HealthInterval.D()), humanize.Duration(a.HealthTimeout.D()), humanize.Duration(a.HealthDeadline.D())))
			row("drain timeout", humanize.Duration(a.DrainTimeout.D()))
			row("limits", fmt.Sprintf("memory %s, cpus %s", orNone(a.MemoryLimitMB, "MiB"), orNoneF(a.CPULimit)))
			row("keep images", a.KeepImages)
			row("strategy", fmt.Sprintf("%s (downtime: %s)", a.Strategy.Or(), a.Strategy.Downtime()))
			row("https", map[bool]string{true: "plain HTTP served too", false: "HTTP redirects to HTTPS once a certificate exists"}[a.AllowHTTP]+map[bool]string{true: "; HSTS", false: ""}[a.HSTS])
			row("git token", yesNo(a.HasGitToken))
			row("ssh key", yesNo(a.HasSSHKey))
			row("host", a.Host)
			row("watch paths", cmp.Or(strings.Join(a.WatchPaths, ", "), "- (every push to the branch deploys)"))
			if a.PreviewsEnabled {
				row("previews", fmt.Sprintf("on: memory %s, cpus %s, removed after %s idle, env overrides %d",
					orNone(cmp.Or(a.PreviewMemoryMB, 256), "MiB"), orNoneF(cmp.Or(a.PreviewCPUs, 0.5)), cmp.Or(a.PreviewTTL.D(), 72*time.Hour), len(a.PreviewEnv)))
			} else {
				row("previews", "off")
			}
			row("git host API", fmt.Sprintf("%s (token %s)", cmp.Or(a.ProviderURL, "default"), map[bool]string{true: "set", false: "not set: no comments or statuses"}[a.HasProviderToken]))
			row("team", cmp.Or(a.Team, "-"))
			row("environment", cmp.Or(a.Environment, "-"))
			if p := a.Approval; p != nil && p.Required {
				own := "the app's"
				if !a.RequireApproval {
					own = "environment " + a.Environment + "'s"
				} else if a.Environment != "" {
					own = "the app's and environment " + a.Environment + "'s, the stricter"
				}
				row("approval", fmt.Sprintf("%s within %s, self-approval %s (%s policy)", humanize.Count(p.Needed, "approval"), humanize.Duration(p.TTL.D()), map[bool]string{true: "allowed", false: "not allowed"}[p.AllowSelf], own))
			} else {
				row("approval", "not required")
			}
			if a.Current != nil {
				row("serving", fmt.Sprintf("%s (%s %s, %s)", a.Current.ID, short(a.Current.CommitSHA), firstLine(a.Current.CommitMessage), ago(a.Current.UpdatedAt)))
			} else {
				row("serving", "nothing yet")
			}
			if a.Latest != nil && (a.Current == nil || a.Latest.ID != a.Current.ID) {
				row("latest", fmt.Sprintf("%s %s %s", a.Latest.ID, a.Latest.Status, a.Latest.FailureReason))
			}
			return tw.Flush()
		},
	}

	var yes bool
	deleteCmd := &cobra.Command{
		Use:   "delete NAME",
		Short: "Delete an app: its containers, route, images and records",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if !yes && isTerminal(os.Stdin) {
				fmt.Fprintf(cmd.OutOrStdout(), "Delete app %s with its containers, images and history? Type its name to confirm: ", args[0])
				if !confirm(os.Stdin, args[0]) {
					return fmt.Errorf("not deleted")
				}
			}
			if err := c.DeleteApp(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "deleted app %s\n", args[0])
			return nil
		},
	}
	deleteCmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")

	shareCmd := &cobra.Command{
		Use:   "share APP TEAM",
		Short: "Let another team see an app, read-only (admins of the app's team)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.ShareApp(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is shared with %s, read-only\n", args[0], args[1])
			return nil
		},
	}
	unshareCmd := &cobra.Command{
		Use:   "unshare APP TEAM",
		Short: "Stop sharing an app with a team",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.UnshareApp(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is no longer shared with %s\n", args[0], args[1])
			return nil
		},
	}
	cmd.AddCommand(createCmd, updateCmd, listCmd, showCmd, deleteCmd, shareCmd, unshareCmd, newAppsWebhookCmd(g), newDependCmd(g), newServicesCmd(g))
	return cmd
}

func yesNo(b bool) string {
	if b {
		return "set"
	}
	return "none"
}

func orNone(v int64, unit string) string {
	if v == 0 {
		return "none"
	}
	return fmt.Sprintf("%d %s", v, unit)
}

func orNoneF(v float64) string {
	if v == 0 {
		return "none"
	}
	return fmt.Sprint(v)
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func confirm(r io.Reader, want string) bool {
	line, _ := bufio.NewReader(r).ReadString('\n')
	return strings.TrimSpace(line) == want
}
