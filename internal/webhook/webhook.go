// Package webhook verifies and reads the webhooks of GitHub, GitLab and
// Gitea: each provider's signature scheme, and its push and pull/merge
// request payloads turned into one provider-neutral Event.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Provider names a git host.
type Provider string

// The providers Rivetr takes webhooks from.
const (
	GitHub Provider = "github"
	GitLab Provider = "gitlab"
	Gitea  Provider = "gitea"
)

// Providers lists them in a stable order.
var Providers = []Provider{GitHub, GitLab, Gitea}

// ParseProvider checks a provider name.
func ParseProvider(s string) (Provider, error) {
	for _, p := range Providers {
		if string(p) == s {
			return p, nil
		}
	}
	return "", fmt.Errorf("unknown provider %q (want github, gitlab or gitea)", s)
}

// ErrSignature is a missing or wrong signature.
var ErrSignature = errors.New("signature missing or wrong")

// Verify checks a delivery against the app's secret with the provider's
// own scheme, before anything else is read from it:
//   - GitHub: X-Hub-Signature-256 is "sha256=" + hex HMAC-SHA256 of the body;
//   - GitLab: X-Gitlab-Token is the secret itself;
//   - Gitea: X-Gitea-Signature is hex HMAC-SHA256 of the body.
//
// Comparisons take constant time.
func Verify(p Provider, h http.Header, body []byte, secret string) error {
	if secret == "" {
		return fmt.Errorf("%w: the app has no webhook secret", ErrSignature)
	}
	switch p {
	case GitHub:
		got, ok := strings.CutPrefix(h.Get("X-Hub-Signature-256"), "sha256=")
		if !ok {
			return fmt.Errorf("%w: no X-Hub-Signature-256 header", ErrSignature)
		}
		return compareHMAC(got, body, secret, "X-Hub-Signature-256")
	case Gitea:
		got := h.Get("X-Gitea-Signature")
		if got == "" {
			return fmt.Errorf("%w: no X-Gitea-Signature header", ErrSignature)
		}
		return compareHMAC(got, body, secret, "X-Gitea-Signature")
	case GitLab:
		got := h.Get("X-Gitlab-Token")
		if got == "" {
			return fmt.Errorf("%w: no X-Gitlab-Token header", ErrSignature)
		}
		if subtle.ConstantTimeCompare([]byte(got), []byte(secret)) != 1 {
			return fmt.Errorf("%w: X-Gitlab-Token does not match", ErrSignature)
		}
		return nil
	}
	return fmt.Errorf("%w: unknown provider", ErrSignature)
}

func compareHMAC(gotHex string, body []byte, secret, header string) error {
	got, err := hex.DecodeString(strings.TrimSpace(gotHex))
	if err != nil || len(got) != sha256.Size {
		return fmt.Errorf("%w: %s is not a hex SHA-256 HMAC", ErrSignature, header)
	}
	if !hmac.Equal(got, Sign(body, secret)) {
		return fmt.Errorf("%w: %s does not match the body", ErrSignature, header)
	}
	return nil
}

// Sign is the HMAC-SHA256 of body under secret (what GitHub and Gitea send,
// hex-encoded).
func Sign(body []byte, secret string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return m.Sum(nil)
}

// SignatureHeaders returns the headers a provider would send for body: the
// signature and the event name, for tests and `rivetr` users replaying
// deliveries.
func SignatureHeaders(p Provider, event string, body []byte, secret string) http.Header {
	h := http.Header{}
	switch p {
	case GitHub:
		h.Set("X-Hub-Signature-256", "sha256="+hex.EncodeToString(Sign(body, secret)))
		h.Set("X-GitHub-Event", event)
	case Gitea:
		h.Set("X-Gitea-Signature", hex.EncodeToString(Sign(body, secret)))
		h.Set("X-Gitea-Event", event)
	case GitLab:
		h.Set("X-Gitlab-Token", secret)
		h.Set("X-Gitlab-Event", event)
	}
	return h
}

// DeliveryID is the provider's ID of this delivery (the same on a
// redelivery): X-GitHub-Delivery, X-Gitlab-Event-UUID or X-Gitea-Delivery.
func DeliveryID(p Provider, h http.Header) string {
	var v string
	switch p {
	case GitHub:
		v = h.Get("X-GitHub-Delivery")
	case GitLab:
		v = h.Get("X-Gitlab-Event-UUID")
	case Gitea:
		v = h.Get("X-Gitea-Delivery")
	}
	v = strings.TrimSpace(v)
	if len(v) > 128 {
		v = v[:128]
	}
	return v
}

// Kinds of events.
const (
	KindPush        = "push"
	KindPullRequest = "pull_request"
	KindPing        = "ping"
	KindOther       = "other"
)

// Pull request actions, the same for every provider.
const (
	PROpen   = "open"   // opened or reopened
	PRUpdate = "update" // new commits on its branch
	PRClose  = "close"  // closed or merged
	PROther  = "other"  // edited, labelled, …
)

// Event is a delivery in provider-neutral form.
type Event struct {
	Provider Provider `json:"provider"`
	// Kind is push, pull_request, ping or other; Name the provider's own
	// event name.
	Kind string `json:"kind"`
	Name string `json:"name"`
	// Push: the ref, the branch or tag it names, the commits before and
	// after, whether the ref was deleted.
	Ref     string `json:"ref,omitempty"`
	Branch  string `json:"branch,omitempty"`
	Tag     string `json:"tag,omitempty"`
	Before  string `json:"before,omitempty"`
	After   string `json:"after,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
	// HeadMessage is the pushed head commit's message.
	HeadMessage string `json:"head_message,omitempty"`
	Pusher      string `json:"pusher,omitempty"`
	// PusherEmail is the pusher's account email, as the git host gives
	// it (GitLab may hide it): who asked, for the approval gate.
	PusherEmail string `json:"pusher_email,omitempty"`
	// Repo is the repository's full name (owner/name).
	Repo string `json:"repo,omitempty"`
	// Files are the paths the pushed commits add, change or remove; nil
	// when the payload does not list them.
	Files []string `json:"files,omitempty"`
	// PR is set for pull/merge request events.
	PR *PullRequest `json:"pr,omitempty"`
}

// PullRequest is a pull (merge) request event's request.
type PullRequest struct {
	Number int    `json:"number"`
	Action string `json:"action"`
	// RawAction is the provider's action name.
	RawAction  string `json:"raw_action"`
	Merged     bool   `json:"merged,omitempty"`
	HeadSHA    string `json:"head_sha"`
	HeadBranch string `json:"head_branch"`
	BaseBranch string `json:"base_branch"`
	// Fork is set when the head lives in another repository.
	Fork   bool   `json:"fork,omitempty"`
	Title  string `json:"title,omitempty"`
	URL    string `json:"url,omitempty"`
	Author string `json:"author,omitempty"`
}

// MaxBody is the largest payload read (GitHub caps its own at 25 MB; push
// payloads are far smaller).
const MaxBody = 5 << 20

// Parse reads a verified delivery.
func Parse(p Provider, h http.Header, body []byte) (*Event, error) {
	switch p {
	case GitHub:
		return parseHub(GitHub, h.Get("X-GitHub-Event"), body)
	case GitLab:
		return parseGitLab(h.Get("X-Gitlab-Event"), body)
	case Gitea:
		name := h.Get("X-Gitea-Event")
		if name == "" {
			name = h.Get("X-Gogs-Event")
		}
		return parseHub(Gitea, name, body)
	}
	return nil, fmt.Errorf("unknown provider %q", p)
}

// refParts splits refs/heads/x and refs/tags/x.
func (e *Event) refParts() {
	if b, ok := strings.CutPrefix(e.Ref, "refs/heads/"); ok {
		e.Branch = b
	} else if t, ok := strings.CutPrefix(e.Ref, "refs/tags/"); ok {
		e.Tag = t
	}
}

// zeroSHA is the "after" of a deleted ref.
func zeroSHA(s string) bool { return s != "" && strings.Trim(s, "0") == "" }

type commitFiles struct {
	ID       string   `json:"id"`
	Message  string   `json:"message"`
	Added    []string `json:"added"`
	Removed  []string `json:"removed"`
	Modified []string `json:"modified"`
}

// files gathers the changed paths of commits, each once; nil when no
// commit lists any.
func files(cs []commitFiles) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range cs {
		for _, l := range [][]string{c.Added, c.Removed, c.Modified} {
			for _, f := range l {
				if !seen[f] {
					seen[f] = true
					out = append(out, f)
				}
			}
		}
	}
	return out
}

func decode(body []byte, v any, what string) error {
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("the %s payload is not valid JSON: %v", what, err)
	}
	return nil
}

// validSHA accepts an empty value or 40 (SHA-1) or 64 (SHA-256) hex digits.
func validSHA(s string) bool {
	if s == "" {
		return true
	}
	if len(s) != 40 && len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// check refuses events whose commits are not SHAs (they become workflow
// inputs and git arguments).
func (e *Event) check() error {
	for _, s := range []string{e.Before, e.After} {
		if !validSHA(s) {
			return fmt.Errorf("%q is not a commit SHA", s)
		}
	}
	if e.PR != nil {
		if !validSHA(e.PR.HeadSHA) {
			return fmt.Errorf("%q is not a commit SHA", e.PR.HeadSHA)
		}
		if e.PR.Number <= 0 {
			return errors.New("the pull request has no number")
		}
	}
	if e.Kind == KindPush && e.Ref == "" {
		return errors.New("the push names no ref")
	}
	return nil
}
