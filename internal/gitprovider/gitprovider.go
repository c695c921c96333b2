// Package gitprovider reports back to GitHub, GitLab and Gitea through
// their REST APIs: a comment on a pull (merge) request, edited in place,
// and commit statuses. The base URL is configurable (GitHub Enterprise,
// self-hosted GitLab and Gitea, and the local stand-in the tests run).
package gitprovider

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Client talks to one provider's API with one token.
type Client struct {
	// Provider is github, gitlab or gitea.
	Provider string
	// BaseURL is the API root: https://api.github.com,
	// https://gitlab.example.com (…/api/v4 is added) or
	// https://gitea.example.com (…/api/v1 is added).
	BaseURL string
	Token   string
	HTTP    *http.Client
}

// DefaultBaseURL is the API of the public service, where there is one.
func DefaultBaseURL(provider string) string {
	switch provider {
	case "github":
		return "https://api.github.com"
	case "gitlab":
		return "https://gitlab.com"
	}
	return ""
}

// Commit states, mapped to each provider's words.
const (
	StatePending = "pending"
	StateSuccess = "success"
	StateFailure = "failure"
)

// Error is an answer other than 2xx.
type Error struct {
	Status int
	Body   string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d from the provider's API: %s", e.Status, strings.TrimSpace(e.Body))
}

// Permanent reports whether retrying cannot help (a 4xx other than 408
// and 429: a wrong token, a missing repository).
func (e *Error) Permanent() bool {
	return e.Status >= 400 && e.Status < 500 && e.Status != http.StatusRequestTimeout && e.Status != http.StatusTooManyRequests
}

func (c *Client) api(path string) string {
	base := strings.TrimRight(c.BaseURL, "/")
	switch c.Provider {
	case "gitlab":
		return base + "/api/v4" + path
	case "gitea":
		return base + "/api/v1" + path
	}
	return base + path
}

// repoPath is owner/name for URLs: GitHub and Gitea as two segments,
// GitLab as one URL-encoded project ID.
func (c *Client) repoPath(repo string) (string, error) {
	parts := strings.Split(repo, "/")
	if len(parts) < 2 {
		return "", fmt.Errorf("repository %q is not owner/name", repo)
	}
	for _, p := range parts {
		if p == "" || p == "." || p == ".." {
			return "", fmt.Errorf("repository %q is not owner/name", repo)
		}
	}
	if c.Provider == "gitlab" {
		return "/projects/" + url.PathEscape(repo), nil
	}
	if len(parts) != 2 {
		return "", fmt.Errorf("repository %q is not owner/name", repo)
	}
	return "/repos/" + url.PathEscape(parts[0]) + "/" + url.PathEscape(parts[1]), nil
}

func (c *Client) do(ctx context.Context, method, u string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	switch c.Provider {
	case "gitlab":
		req.Header.Set("PRIVATE-TOKEN", c.Token)
	case "gitea":
		req.Header.Set("Authorization", "token "+c.Token)
	default:
		req.Header.Set("Authorization", "Bearer "+c.Token)
		req.Header.Set("X-GitHub-Api-Version", "2022-11-28")
	}
	req.Header.Set("User-Agent", "rivetr")
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 20 * time.Second}
	}
	res, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if res.StatusCode/100 != 2 {
		return &Error{Status: res.StatusCode, Body: string(b)}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("the provider's answer is not JSON: %v", err)
		}
	}
	return nil
}

// commentID reads the id of a created comment (a number everywhere).
type commentID struct {
	ID json.Number `json:"id"`
}

// Comment adds a comment to pull request (merge request) number pr, or
// edits comment id when it is not empty; it returns the comment's ID.
func (c *Client) Comment(ctx context.Context, repo string, pr int, id, body string) (string, error) {
	rp, err := c.repoPath(repo)
	if err != nil {
		return "", err
	}
	var u, method string
	switch {
	case c.Provider == "gitlab" && id == "":
		method, u = "POST", c.api(rp+"/merge_requests/"+strconv.Itoa(pr)+"/notes")
	case c.Provider == "gitlab":
		method, u = "PUT", c.api(rp+"/merge_requests/"+strconv.Itoa(pr)+"/notes/"+url.PathEscape(id))
	case id == "":
		method, u = "POST", c.api(rp+"/issues/"+strconv.Itoa(pr)+"/comments")
	default:
		method, u = "PATCH", c.api(rp+"/issues/comments/"+url.PathEscape(id))
	}
	var out commentID
	if err := c.do(ctx, method, u, map[string]string{"body": body}, &out); err != nil {
		return "", err
	}
	if out.ID == "" {
		if id != "" {
			return id, nil
		}
		return "", errors.New("the provider did not say the comment's id")
	}
	return out.ID.String(), nil
}

// Status sets a commit's status under context name (GitHub and Gitea
// "context", GitLab "name"), linking to target.
func (c *Client) Status(ctx context.Context, repo, sha, state, name, target, description string) error {
	rp, err := c.repoPath(repo)
	if err != nil {
		return err
	}
	if len(description) > 140 {
		description = description[:137] + "..."
	}
	if c.Provider == "gitlab" {
		st := map[string]string{StatePending: "pending", StateSuccess: "success", StateFailure: "failed"}[state]
		return c.do(ctx, "POST", c.api(rp+"/statuses/"+url.PathEscape(sha)), map[string]string{
			"state": st, "name": name, "target_url": target, "description": description}, nil)
	}
	return c.do(ctx, "POST", c.api(rp+"/statuses/"+url.PathEscape(sha)), map[string]string{
		"state": state, "context": name, "target_url": target, "description": description}, nil)
}
