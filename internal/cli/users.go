package cli

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/client"
	"github.com/rivetr/rivetr/internal/release"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// credentials is what "rivetr login" saves: a server and a token for it.
type credentials struct {
	URL   string `json:"url"`
	Token string `json:"token"`
	Email string `json:"email"`
}

// credentialsPath is $RIVETR_CREDENTIALS, else
// $XDG_CONFIG_HOME/rivetr/credentials.json (~/.config/... by default).
func credentialsPath() (string, error) {
	if p := os.Getenv("RIVETR_CREDENTIALS"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "rivetr", "credentials.json"), nil
}

func loadCredentials() (*credentials, error) {
	p, err := credentialsPath()
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	var cr credentials
	if err := json.Unmarshal(b, &cr); err != nil || cr.Token == "" {
		return nil, fmt.Errorf("%s is not a credentials file (delete it and run rivetr login)", p)
	}
	return &cr, nil
}

func saveCredentials(cr credentials) (string, error) {
	p, err := credentialsPath()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return "", err
	}
	b, _ := json.MarshalIndent(cr, "", "  ")
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return "", err
	}
	return p, os.Rename(tmp, p)
}

func sameURL(a, b string) bool {
	return strings.TrimRight(a, "/") == strings.TrimRight(b, "/")
}

// readPassword reads a password from stdin (--password-stdin) or, on a
// terminal, asks for it without echo.
func readPassword(cmd *cobra.Command, fromStdin bool, prompt string) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", err
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return "", errors.New("no terminal to ask for the password on; pipe it in with --password-stdin")
	}
	fmt.Fprint(cmd.ErrOrStderr(), prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(cmd.ErrOrStderr())
	return string(b), err
}

func newLoginCmd(g *globals) *cobra.Command {
	var email string
	var stdin bool
	cmd := &cobra.Command{
		Use:   "login --email EMAIL",
		Short: "Sign in and save a token for the CLI",
		Long: `Sign in with your email and password. The server makes an API token named
after this machine; the CLI saves it with the server's URL in
~/.config/rivetr/credentials.json (mode 0600, or $RIVETR_CREDENTIALS) and uses it
from then on. "rivetr logout" revokes it and deletes the file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if email == "" {
				return errors.New("--email is required")
			}
			pw, err := readPassword(cmd, stdin, "Password: ")
			if err != nil {
				return err
			}
			url := firstNonEmpty(g.url, os.Getenv("RIVETR_URL"), client.DefaultURL)
			host, _ := os.Hostname()
			tok, err := newClient(url, "").Login(cmd.Context(), api.LoginRequest{Email: email, Password: pw, TokenName: "cli on " + firstNonEmpty(host, "unknown host")})
			if err != nil {
				return err
			}
			p, err := saveCredentials(credentials{URL: url, Token: tok.Token, Email: email})
			if err != nil {
				return fmt.Errorf("signed in, but could not save the token: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed in to %s as %s; token %q saved in %s\n", url, strings.ToLower(email), tok.Name, p)
			return nil
		},
	}
	cmd.Flags().StringVar(&email, "email", "", "your email address")
	cmd.Flags().BoolVar(&stdin, "password-stdin", false, "read the password from standard input")
	return cmd
}

func newLogoutCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "logout",
		Short: "Revoke the saved CLI token and forget it",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cr, err := loadCredentials()
			if err != nil {
				return errors.New("not signed in (no saved credentials)")
			}
			err = newClient(cr.URL, cr.Token).RevokeCurrentToken(cmd.Context())
			var ce *client.Error
			if err != nil && !(errors.As(err, &ce) && ce.Status == 401) {
				return fmt.Errorf("could not revoke the token (the credentials file is kept): %w", err)
			}
			p, _ := credentialsPath()
			if err := os.Remove(p); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "signed out of %s; the token is revoked\n", cr.URL)
			return nil
		},
	}
}

func newWhoamiCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "whoami",
		Short: "Show who the CLI acts as, and their teams and roles",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			me, err := c.Me(cmd.Context())
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, me)
			}
			who := me.Email
			if who == "" {
				who = "the admin token (instance admin, no user)"
			} else if me.InstanceAdmin {
				who += " (instance admin)"
			}
			fmt.Fprintln(out, who)
			tw := table(out)
			fmt.Fprintln(tw, "TEAM\tROLE")
			for _, t := range me.Teams {
				role := t.Role
				if t.Approver {
					role += ", approver"
				}
				fmt.Fprintf(tw, "%s\t%s\n", t.Team, role)
			}
			return tw.Flush()
		},
	}
}

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
			fmt.Fprintf(cmd.OutOrStdout(), "created owner %s; team %s (%d existing apps moved in). Sign in with: rivetr login --email %s\n",
				res.User.Email, res.Team.Name, res.MovedApps, res.User.Email)
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
					us = []schema.User{}
				}
				return printJSON(cmd.OutOrStdout(), us)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "EMAIL\tNAME\tINSTANCE ADMIN\tCREATED")
			for _, u := range us {
				fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", u.Email, firstNonEmpty(u.Name, "-"), u.InstanceAdmin, ago(u.CreatedAt))
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

func newTokensCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "tokens", Short: "Create, list and revoke your API tokens"}
	var in service.TokenInput
	createCmd := &cobra.Command{
		Use:   "create NAME [--role ROLE] [--expires-in 720h]",
		Short: "Make an API token; its value is printed this once",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			in.Name = args[0]
			t, err := c.CreateToken(cmd.Context(), in)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), t)
			}
			fmt.Fprintln(cmd.OutOrStdout(), t.Token)
			fmt.Fprintf(cmd.ErrOrStderr(), "token %q (%s) created; it is shown only this once\n", t.Name, t.ID)
			return nil
		},
	}
	createCmd.Flags().StringVar((*string)(&in.Role), "role", "", "cap the token at this role: viewer, developer, admin or owner (default: your roles)")
	createCmd.Flags().StringVar(&in.ExpiresIn, "expires-in", "", "expire after this long, e.g. 720h (default: never)")

	listCmd := &cobra.Command{
		Use:   "list",
		Short: "List your tokens (never their values)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ts, err := c.ListTokens(cmd.Context())
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ts == nil {
					ts = []schema.APIToken{}
				}
				return printJSON(cmd.OutOrStdout(), ts)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tEXPIRES\tLAST USED")
			for _, t := range ts {
				exp, used := "never", "-"
				if t.ExpiresAt != nil {
					exp = t.ExpiresAt.Format("2006-01-02 15:04")
				}
				if t.LastUsedAt != nil {
					used = ago(*t.LastUsedAt)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, firstNonEmpty(string(t.Role), "(yours)"), ago(t.CreatedAt), exp, used)
			}
			return tw.Flush()
		},
	}
	revokeCmd := &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke one of your tokens",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeToken(cmd.Context(), args[0]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "token %s revoked\n", args[0])
			return nil
		},
	}
	cmd.AddCommand(createCmd, listCmd, revokeCmd)
	return cmd
}

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
	membersCmd := &cobra.Command{
		Use:   "members TEAM",
		Short: "List a team's members",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ms, err := c.ListMembers(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if ms == nil {
					ms = []schema.Member{}
				}
				return printJSON(cmd.OutOrStdout(), ms)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tAPPROVER")
			for _, m := range ms {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%v\n", m.Email, firstNonEmpty(m.Name, "-"), m.Role, m.Approver || m.Role == release.RoleOwner || m.Role == release.RoleAdmin)
			}
			return tw.Flush()
		},
	}
	var mi service.MemberInput
	var approver bool
	addCmd := &cobra.Command{
		Use:   "add TEAM EMAIL --role ROLE [--approver]",
		Short: "Add a user to a team, or change their role",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if cmd.Flags().Changed("approver") {
				mi.Approver = &approver
			}
			m, err := c.PutMember(cmd.Context(), args[0], args[1], mi)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is %s in %s\n", m.Email, m.Role, args[0])
			return nil
		},
	}
	addCmd.Flags().StringVar((*string)(&mi.Role), "role", "developer", "viewer, developer, admin or owner")
	addCmd.Flags().BoolVar(&approver, "approver", false, "grant (or with =false, take away) the approver permission")
	removeCmd := &cobra.Command{
		Use:   "remove TEAM EMAIL",
		Short: "Take a user out of a team (anyone may leave)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RemoveMember(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s removed from %s\n", args[1], args[0])
			return nil
		},
	}
	var ii service.InvitationInput
	inviteCmd := &cobra.Command{
		Use:   "invite TEAM EMAIL --role ROLE [--approver]",
		Short: "Invite someone by email; prints the link (valid 7 days), and mails it when SMTP is set up",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			ii.Email = args[1]
			v, err := c.Invite(cmd.Context(), args[0], ii)
			if err != nil {
				return err
			}
			if g.output == "json" {
				return printJSON(cmd.OutOrStdout(), v)
			}
			out := cmd.OutOrStdout()
			fmt.Fprintf(out, "invited %s to %s as %s; the link works until %s:\n%s\n", v.Email, v.Team, v.Role, v.ExpiresAt.Local().Format("2006-01-02 15:04"), v.Link)
			switch {
			case v.Mailed:
				fmt.Fprintln(out, "it was emailed to them")
			case v.MailError != "":
				fmt.Fprintf(out, "the email could not be sent (%s): send them the link yourself\n", v.MailError)
			default:
				fmt.Fprintln(out, "no SMTP server is configured (--smtp-addr): send them the link yourself")
			}
			return nil
		},
	}
	inviteCmd.Flags().StringVar((*string)(&ii.Role), "role", "developer", "viewer, developer, admin or owner")
	inviteCmd.Flags().BoolVar(&ii.Approver, "approver", false, "grant the approver permission")
	invitationsCmd := &cobra.Command{
		Use:   "invitations TEAM",
		Short: "List a team's open invitations",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			vs, err := c.ListInvitations(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if g.output == "json" {
				if vs == nil {
					vs = []service.InvitationView{}
				}
				return printJSON(cmd.OutOrStdout(), vs)
			}
			tw := table(cmd.OutOrStdout())
			fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tINVITED BY\tEXPIRES")
			for _, v := range vs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.ID, v.Email, v.Role, v.InvitedBy, v.ExpiresAt.Local().Format("2006-01-02 15:04"))
			}
			return tw.Flush()
		},
	}
	revokeInviteCmd := &cobra.Command{
		Use:   "revoke-invite TEAM ID",
		Short: "Revoke an open invitation: its link stops working",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if err := c.RevokeInvitation(cmd.Context(), args[0], args[1]); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "invitation %s revoked\n", args[1])
			return nil
		},
	}
	cmd.AddCommand(listCmd, createCmd, deleteCmd, membersCmd, addCmd, removeCmd, inviteCmd, invitationsCmd, revokeInviteCmd)
	return cmd
}

func newSecretsCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{Use: "secrets", Short: "Manage the key secrets are sealed with (instance admins)"}
	cmd.AddCommand(&cobra.Command{
		Use:   "rotate-key",
		Short: "Make a new secret key, reseal every secret with it, retire the old one",
		Long: `Secret env values, git tokens and SSH keys are sealed with AES-256-GCM under
the key in <data-dir>/secret.key (or RIVETR_SECRET_KEY). rotate-key writes a new
key into the file ahead of the old one, seals every secret again with it, and
then drops the old key. Interrupted, it leaves both keys in the file: run it
again. Keys from RIVETR_SECRET_KEY are rotated by putting the new key first
(RIVETR_SECRET_KEY=new,old) and restarting: the server reseals at start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			r, err := c.RotateSecretKey(cmd.Context())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "new secret key %s; %d secrets sealed again with it. Back up <data-dir>/secret.key: without it they cannot be opened.\n", r.Key, r.Resealed)
			return nil
		},
	})
	return cmd
}

func newAuditCmd(g *globals) *cobra.Command {
	var q service.AuditQuery
	cmd := &cobra.Command{
		Use:   "audit [--team T] [--actor EMAIL] [--action A] [--target X] [--limit N] [--before ID]",
		Short: "Read the audit log: who did what, where, when (newest first)",
		Long: `Read the audit log, newest first. Instance admins read all of it; team owners
and admins read their teams' entries. --action takes an exact action
(deploy, app.update, member.put, ...) or a prefix ending in "." (app.).
Pages: pass the printed "older entries" ID as --before.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.client()
			if err != nil {
				return err
			}
			if q.Team == "" {
				q.Team = g.teamName()
			}
			page, err := c.Audit(cmd.Context(), q)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if g.output == "json" {
				return printJSON(out, page.Entries)
			}
			tw := table(out)
			fmt.Fprintln(tw, "ID\tTIME\tACTOR\tTEAM\tACTION\tTARGET\tCHANGE\tFROM")
			for _, e := range page.Entries {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", e.ID, e.Time.Local().Format("2006-01-02 15:04:05"),
					e.Actor, firstNonEmpty(e.Team, "-"), e.Action, firstNonEmpty(e.Target, "-"), change(e.Before, e.After), firstNonEmpty(e.SourceIP, "-"))
			}
			if err := tw.Flush(); err != nil {
				return err
			}
			if page.Next > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "older entries: --before %d\n", page.Next)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&q.Actor, "actor", "", "only this actor's entries (an email, or \"admin token\")")
	f.StringVar(&q.Action, "action", "", "only this action, or actions with this prefix (\"app.\")")
	f.StringVar(&q.Target, "target", "", "only entries about this app, deployment or user")
	f.IntVar(&q.Limit, "limit", 50, "entries per page (at most 500)")
	f.Uint64Var(&q.Before, "before", 0, "only entries older than this ID (paging)")
	return cmd
}

// change renders an entry's before and after compactly: key=old→new.
func change(before, after map[string]any) string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		b, hadB := before[k]
		a, hadA := after[k]
		switch {
		case hadB && hadA:
			parts = append(parts, fmt.Sprintf("%s=%v→%v", k, b, a))
		case hadA:
			parts = append(parts, fmt.Sprintf("%s=%v", k, a))
		default:
			parts = append(parts, fmt.Sprintf("-%s", k))
		}
	}
	s := strings.Join(parts, " ")
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return firstNonEmpty(s, "-")
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
			fmt.Fprintf(cmd.OutOrStdout(), "%d apps moved into team %s (owner %s)\n", res.MovedApps, res.Team.Name, res.User.Email)
			return nil
		},
	})
	return cmd
}
