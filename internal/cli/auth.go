package cli

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/client"
	"github.com/spf13/cobra"
	"golang.org/x/term"
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
			url := cmp.Or(g.url, os.Getenv("RIVETR_URL"), client.DefaultURL)
			host, _ := os.Hostname()
			tok, err := newClient(url, "").Login(cmd.Context(), api.LoginRequest{Email: email, Password: pw, TokenName: "cli on " + cmp.Or(host, "unknown host")})
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
