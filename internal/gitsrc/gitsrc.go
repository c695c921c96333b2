// Package gitsrc fetches app sources from git with go-git: it resolves a
// branch to its head commit and checks a repository out at an exact commit,
// over HTTPS (with an optional token) or SSH (with a deploy key).
package gitsrc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"regexp"
	"strings"
	"time"

	git "github.com/go-git/go-git/v5"
	gitconfig "github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"github.com/go-git/go-git/v5/storage/memory"
	"golang.org/x/crypto/ssh"
	"golang.org/x/net/proxy"

	"github.com/rivetr/rivetr/internal/egress"
)

// Errors that are the user's to fix; retrying does not help.
var (
	ErrAuth     = errors.New("git authentication failed")
	ErrNotFound = errors.New("not found in repository")
	ErrBadURL   = errors.New("invalid git URL")
)

// Auth holds credentials for a private repository (both may be empty) and
// the egress policy connections to the remote obey.
type Auth struct {
	// Egress is where connections to the remote may go; nil refuses
	// loopback, private and link-local addresses (see package egress).
	Egress *egress.Policy
	// Token is an HTTPS access token. "user:token" sets the user name too
	// (default x-access-token, which GitHub, GitLab and Gitea accept).
	Token string
	// SSHKey is a PEM private key (a deploy key) for ssh:// and scp-style
	// URLs.
	SSHKey string
}

func (a Auth) method(url string) (transport.AuthMethod, error) {
	overSSH := isSSH(url)
	switch {
	case overSSH && a.SSHKey != "":
		keys, err := gitssh.NewPublicKeys("git", []byte(a.SSHKey), "")
		if err != nil {
			return nil, fmt.Errorf("%w: the SSH deploy key cannot be read: %v", ErrAuth, err)
		}
		if u := sshUser(url); u != "" {
			keys.User = u
		}
		// Deploy targets are named by the app's owner; like most PaaS we do
		// not pin host keys (documented in the README).
		keys.HostKeyCallback = ssh.InsecureIgnoreHostKey()
		return keys, nil
	case overSSH:
		// Without a key go-git would try an SSH agent, which a server has
		// none of ("SSH_AUTH_SOCK not-specified").
		return nil, fmt.Errorf("%w: %s is an SSH address and the app has no deploy key: give it one with --ssh-key-file FILE (add the key's public half to the repository as a deploy key), or use the repository's https address", ErrAuth, url)
	case !overSSH && a.Token != "":
		if PlainHTTP(url) {
			return nil, fmt.Errorf("%w: a git token is never sent over plain http (%s); use the https address", ErrAuth, url)
		}
		user, tok := "x-access-token", a.Token
		if i := strings.Index(tok, ":"); i > 0 {
			user, tok = tok[:i], tok[i+1:]
		}
		return &githttp.BasicAuth{Username: user, Password: tok}, nil
	}
	return nil, nil
}

func init() {
	// go-git takes one HTTP client per scheme for the whole process; it
	// dials with the policy each clone's context carries (connect).
	c := githttp.NewClient(&http.Client{Transport: egress.ContextTransport()})
	client.InstallProtocol("https", c)
	client.InstallProtocol("http", c)
	// SSH connections go through this "proxy", a dialer holding the
	// policy (go-git's SSH transport takes no dialer, only a proxy URL).
	proxy.RegisterDialerType(egressScheme, func(u *neturl.URL, _ proxy.Dialer) (proxy.Dialer, error) {
		p, err := egress.Parse(u.Query().Get("allow"))
		if err != nil {
			return nil, err
		}
		return policyDialer{p}, nil
	})
}

const egressScheme = "rivetr-egress"

type policyDialer struct{ p *egress.Policy }

func (d policyDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func (d policyDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	return d.p.DialContext(ctx, network, addr)
}

// connect readies a connection to url: the credentials, and the egress
// policy in the context (HTTP), as a proxy (SSH), or checked on the
// resolved name (git://, whose transport dials by itself).
func (a Auth) connect(ctx context.Context, url string) (context.Context, transport.AuthMethod, transport.ProxyOptions, error) {
	var po transport.ProxyOptions
	am, err := a.method(url)
	if err != nil {
		return ctx, nil, po, err
	}
	switch {
	case Local(url):
	case isSSH(url):
		po.URL = egressScheme + "://policy/?" + neturl.Values{"allow": {a.Egress.String()}}.Encode()
	case strings.HasPrefix(url, "git://"):
		u, err := neturl.Parse(url)
		if err != nil {
			return ctx, nil, po, fmt.Errorf("%w: %v", ErrBadURL, err)
		}
		if err := a.Egress.Resolve(ctx, u.Hostname()); err != nil {
			return ctx, nil, po, err
		}
	}
	return egress.WithPolicy(ctx, a.Egress), am, po, nil
}

// PlainHTTP reports whether rawURL is http:// to a host other than this
// machine's loopback, where a credential would cross the network in the
// clear. (Loopback serves local mirrors and tests.)
func PlainHTTP(rawURL string) bool {
	u, err := neturl.Parse(rawURL)
	if err != nil || !strings.EqualFold(u.Scheme, "http") {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return false
	}
	ip := net.ParseIP(h)
	return ip == nil || !ip.IsLoopback()
}

// Local reports whether url names a repository on this machine (file://
// or a path), which reads whatever the server can.
func Local(url string) bool {
	return strings.HasPrefix(url, "file://") || strings.HasPrefix(url, "/")
}

// Host is the host name a git URL (or a provider API URL) connects to,
// lower-cased: "" for paths and what does not parse.
func Host(raw string) string {
	if u, err := neturl.Parse(raw); err == nil && u.Host != "" {
		return strings.ToLower(u.Hostname())
	}
	if at := strings.Index(raw, "@"); at >= 0 && !strings.Contains(raw, "://") {
		if colon := strings.Index(raw[at:], ":"); colon > 0 {
			return strings.ToLower(raw[at+1 : at+colon])
		}
	}
	return ""
}

func isSSH(url string) bool {
	return strings.HasPrefix(url, "ssh://") || (!strings.Contains(url, "://") && strings.Contains(url, "@") && strings.Contains(url, ":"))
}

func sshUser(url string) string {
	u := strings.TrimPrefix(url, "ssh://")
	if i := strings.Index(u, "@"); i > 0 {
		return u[:i]
	}
	return ""
}

var shaRE = regexp.MustCompile(`^[0-9a-f]{7,40}$`)

// ValidCommit reports whether s looks like a (possibly abbreviated) commit SHA.
func ValidCommit(s string) bool { return shaRE.MatchString(s) }

// ValidURL reports whether url is a git URL Rivetr can fetch: http(s)://,
// ssh://, git://, file://, an scp-style user@host:path, or an absolute path.
func ValidURL(url string) bool {
	for _, p := range []string{"https://", "http://", "ssh://", "git://", "file://"} {
		if strings.HasPrefix(url, p) && len(url) > len(p) {
			return true
		}
	}
	return strings.HasPrefix(url, "/") || isSSH(url)
}

func classify(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, egress.ErrRefused):
		return fmt.Errorf("%s: %w", what, err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		return fmt.Errorf("%s: %w (set the app's git token or SSH key)", what, ErrAuth)
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%s: repository %w", what, ErrNotFound)
	case errors.Is(err, plumbing.ErrReferenceNotFound), errors.Is(err, plumbing.ErrObjectNotFound):
		return fmt.Errorf("%s: %w", what, ErrNotFound)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%s: the repository is empty: %w", what, ErrNotFound)
	case strings.Contains(err.Error(), "ssh: unable to authenticate"):
		// x/crypto/ssh reports a rejected key with an untyped error; this
		// text is the only way to tell it from a network failure.
		return fmt.Errorf("%s: the SSH server refused the deploy key: %w (add the key to the repository's deploy keys)", what, ErrAuth)
	}
	if h := networkHint(err.Error()); h != "" {
		return fmt.Errorf("%s: %s: %w", what, h, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// networkHint says what to check when the git host cannot be talked to;
// "" for other errors.
func networkHint(msg string) string {
	low := strings.ToLower(msg)
	switch {
	case strings.Contains(low, "no such host"):
		return "the git host's name does not resolve (check the repository address, and the DNS of the Rivetr host)"
	case strings.Contains(low, "connection refused"):
		return "nothing answers at the git host's address and port (check the repository address; a self-hosted git server may be down)"
	case strings.Contains(low, "i/o timeout") || strings.Contains(low, "network is unreachable") || strings.Contains(low, "no route to host") ||
		strings.Contains(low, "context deadline exceeded"):
		return "the git host cannot be reached from the Rivetr host (check its network and firewall, then deploy again)"
	case strings.Contains(low, "x509:") || strings.Contains(low, "certificate"):
		return "the git host's TLS certificate is not trusted (an expired or self-signed certificate; fix it on the git host or add its CA to the Rivetr host)"
	}
	return ""
}

// refName is the reference a branch names: refs/heads/BRANCH, or BRANCH
// itself when it is a full ref such as refs/pull/7/head (a fork's pull
// request, for previews).
func refName(branch string) plumbing.ReferenceName {
	if strings.HasPrefix(branch, "refs/") {
		return plumbing.ReferenceName(branch)
	}
	return plumbing.NewBranchReferenceName(branch)
}

// ResolveBranch returns the commit at the head of branch in the repository
// at url, without cloning it.
func ResolveBranch(ctx context.Context, url, branch string, auth Auth) (string, error) {
	ctx, am, po, err := auth.connect(ctx, url)
	if err != nil {
		return "", err
	}
	rem := git.NewRemote(memory.NewStorage(), &gitconfig.RemoteConfig{Name: "origin", URLs: []string{url}})
	refs, err := rem.ListContext(ctx, &git.ListOptions{Auth: am, ProxyOptions: po})
	if err != nil {
		return "", classify(err, "list "+url)
	}
	want := refName(branch)
	for _, r := range refs {
		if r.Name() == want {
			return r.Hash().String(), nil
		}
	}
	return "", fmt.Errorf("branch %q: %w (check the app's branch)", branch, ErrNotFound)
}

// Commit is a checked-out commit.
type Commit struct {
	SHA     string
	Message string
}

// Checkout clones url into dir (which must not exist) and checks out commit,
// a full or abbreviated SHA on branch (the branch head when empty).
func Checkout(ctx context.Context, url, branch, commit, dir string, auth Auth) (Commit, error) {
	ctx, am, po, err := auth.connect(ctx, url)
	if err != nil {
		return Commit{}, err
	}
	repo, err := git.PlainCloneContext(ctx, dir, false, &git.CloneOptions{
		URL:           url,
		Auth:          am,
		ProxyOptions:  po,
		ReferenceName: refName(branch),
		SingleBranch:  true,
		NoCheckout:    true,
		Tags:          git.NoTags,
	})
	if err != nil {
		_ = os.RemoveAll(dir)
		return Commit{}, classify(err, "clone "+url)
	}
	rev := commit
	if rev == "" {
		rev = "HEAD"
	}
	hash, err := repo.ResolveRevision(plumbing.Revision(rev))
	if err != nil && commit != "" {
		// The commit may live on another branch: fetch every branch once.
		ferr := repo.FetchContext(ctx, &git.FetchOptions{
			Auth:         am,
			ProxyOptions: po,
			RefSpecs:     []gitconfig.RefSpec{"+refs/heads/*:refs/remotes/origin/*"},
			Tags:         git.NoTags,
		})
		if ferr != nil && !errors.Is(ferr, git.NoErrAlreadyUpToDate) {
			return Commit{}, classify(ferr, "fetch "+url)
		}
		hash, err = repo.ResolveRevision(plumbing.Revision(rev))
	}
	if err != nil {
		return Commit{}, fmt.Errorf("commit %s: %w", commit, ErrNotFound)
	}
	wt, err := repo.Worktree()
	if err != nil {
		return Commit{}, err
	}
	if err := wt.Checkout(&git.CheckoutOptions{Hash: *hash, Force: true}); err != nil {
		return Commit{}, classify(err, "checkout "+hash.String())
	}
	c, err := repo.CommitObject(*hash)
	if err != nil {
		return Commit{}, classify(err, "read commit "+hash.String())
	}
	return Commit{SHA: hash.String(), Message: strings.TrimSpace(c.Message)}, nil
}

// LogEntry is one commit of a range.
type LogEntry struct {
	SHA     string    `json:"sha"`
	Message string    `json:"message"`
	Author  string    `json:"author"`
	When    time.Time `json:"when"`
}

// Log returns the commits reachable from to but not from from, newest
// first, at most limit (more reports whether there were more). It clones
// the branch without a worktree into a temporary directory. With from
// empty it returns to's history up to limit.
func Log(ctx context.Context, url, branch, from, to string, auth Auth, limit int) (entries []LogEntry, more bool, err error) {
	ctx, am, po, err := auth.connect(ctx, url)
	if err != nil {
		return nil, false, err
	}
	dir, err := os.MkdirTemp("", "rivetr-log-")
	if err != nil {
		return nil, false, err
	}
	defer os.RemoveAll(dir)
	repo, err := git.PlainCloneContext(ctx, dir, true, &git.CloneOptions{
		URL: url, Auth: am, ProxyOptions: po, ReferenceName: refName(branch), SingleBranch: true, Tags: git.NoTags,
	})
	if err != nil {
		return nil, false, classify(err, "clone "+url)
	}
	start, err := repo.ResolveRevision(plumbing.Revision(to))
	if err != nil {
		return nil, false, fmt.Errorf("commit %s: %w", to, ErrNotFound)
	}
	stop := map[plumbing.Hash]bool{}
	if from != "" {
		if h, err := repo.ResolveRevision(plumbing.Revision(from)); err == nil {
			// Everything reachable from the old commit is not new.
			it, err := repo.Log(&git.LogOptions{From: *h})
			if err == nil {
				_ = it.ForEach(func(c *object.Commit) error { stop[c.Hash] = true; return nil })
			}
		}
	}
	it, err := repo.Log(&git.LogOptions{From: *start})
	if err != nil {
		return nil, false, err
	}
	err = it.ForEach(func(c *object.Commit) error {
		if stop[c.Hash] {
			return storer.ErrStop
		}
		if len(entries) == limit {
			more = true
			return storer.ErrStop
		}
		entries = append(entries, LogEntry{SHA: c.Hash.String(), Message: strings.TrimSpace(c.Message), Author: c.Author.Name, When: c.Author.When.UTC()})
		return nil
	})
	return entries, more, err
}

// Descends reports whether commit is old's descendant (or old itself) on
// branch: a bare clone of the branch, then a walk from commit. It tells a
// push that builds on what serves from an old one sent again.
func Descends(ctx context.Context, url, branch, old, commit string, auth Auth) (bool, error) {
	ctx, am, po, err := auth.connect(ctx, url)
	if err != nil {
		return false, err
	}
	dir, err := os.MkdirTemp("", "rivetr-ancestry-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(dir)
	repo, err := git.PlainCloneContext(ctx, dir, true, &git.CloneOptions{
		URL: url, Auth: am, ProxyOptions: po, ReferenceName: refName(branch), SingleBranch: true, Tags: git.NoTags,
	})
	if err != nil {
		return false, classify(err, "clone "+url)
	}
	c, err := repo.CommitObject(plumbing.NewHash(commit))
	if err != nil {
		return false, fmt.Errorf("commit %s: %w", commit, ErrNotFound)
	}
	o, err := repo.CommitObject(plumbing.NewHash(old))
	if err != nil {
		// What serves is not on the branch any more (a force push): the
		// branch's own history is all there is to go by.
		return false, nil
	}
	if o.Hash == c.Hash {
		return true, nil
	}
	return o.IsAncestor(c)
}
