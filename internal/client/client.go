// Package client is a Go client of Rivetr's HTTP API, used by the CLI.
package client

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
	"github.com/rivetr/rivetr/schema"
)

// DefaultURL is where the CLI looks for the API when RIVETR_URL is unset.
const DefaultURL = "http://127.0.0.1:8080"

// Client calls the API at BaseURL with Token.
type Client struct {
	BaseURL string
	Token   string
	HTTP    *http.Client
	// UserAgent names the caller in the server's audit log.
	UserAgent string
}

// New returns a client.
func New(baseURL, token string) *Client {
	return &Client{BaseURL: strings.TrimSuffix(baseURL, "/"), Token: token, HTTP: &http.Client{}, UserAgent: "rivetr-client"}
}

// Error is an error answer of the API.
type Error struct {
	Status  int
	Code    string
	Message string
	Fields  map[string]string
}

func (e *Error) Error() string { return e.Message }

// NotReachableError says the server could not be reached at all.
type NotReachableError struct {
	URL string
	Err error
}

func (e *NotReachableError) Error() string {
	return fmt.Sprintf("server not reachable at %s: is `rivetr server` running? set RIVETR_URL to its address (%v)", e.URL, e.Err)
}

func (e *NotReachableError) Unwrap() error { return e.Err }

// rawBody is a request body sent as it is, not as JSON.
type rawBody struct {
	r           io.Reader
	contentType string
}

func (c *Client) request(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	contentType := "application/json"
	switch v := in.(type) {
	case nil:
	case rawBody:
		body, contentType = v.r, v.contentType
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.BaseURL+path, body)
	if err != nil {
		return nil, fmt.Errorf("bad RIVETR_URL %q: %w", c.BaseURL, err)
	}
	if in != nil {
		req.Header.Set("Content-Type", contentType)
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	req.Header.Set("User-Agent", c.UserAgent)
	res, err := c.HTTP.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.Is(err, syscall.ECONNREFUSED) || errors.As(err, &op) {
			return nil, &NotReachableError{URL: c.BaseURL, Err: err}
		}
		return nil, err
	}
	if res.StatusCode >= 400 {
		defer res.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
		var eb api.ErrorBody
		if json.Unmarshal(b, &eb) == nil && eb.Error.Message != "" {
			e := &Error{Status: res.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message, Fields: eb.Error.Fields}
			if res.StatusCode == http.StatusUnauthorized {
				e.Message += " (sign in with rivetr login, set RIVETR_TOKEN, or pass --data-dir so the CLI can read <data-dir>/admin-token)"
			}
			return nil, e
		}
		return nil, &Error{Status: res.StatusCode, Code: "http", Message: fmt.Sprintf("%s %s: %s", method, path, res.Status)}
	}
	return res, nil
}

func (c *Client) do(ctx context.Context, method, path string, in, out any) error {
	res, err := c.request(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, res.Body)
		return nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("%s %s: unreadable answer: %w", method, path, err)
	}
	return nil
}

func esc(s string) string { return url.PathEscape(s) }

// DeployUpload deploys a ZIP archive of an app's source, read from zip.
func (c *Client) DeployUpload(ctx context.Context, app string, zip io.Reader, trigger string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/deploy/upload?trigger="+url.QueryEscape(trigger), rawBody{zip, "application/zip"}, &out)
}

// Status returns the server's health and counts.
func (c *Client) Status(ctx context.Context, team string) (service.Status, error) {
	var st service.Status
	path := "/api/status"
	if team != "" {
		path += "?team=" + url.QueryEscape(team)
	}
	return st, c.do(ctx, "GET", path, nil, &st)
}

// ListApps lists the apps of a team ("" for every team the caller is in).
func (c *Client) ListApps(ctx context.Context, team string) ([]service.AppView, error) {
	var out []service.AppView
	path := "/api/apps"
	if team != "" {
		path += "?team=" + url.QueryEscape(team)
	}
	return out, c.do(ctx, "GET", path, nil, &out)
}

// CreateApp creates an app.
func (c *Client) CreateApp(ctx context.Context, in service.AppInput) (*service.AppView, error) {
	var out service.AppView
	return &out, c.do(ctx, "POST", "/api/apps", in, &out)
}

// UpdateApp changes an app.
func (c *Client) UpdateApp(ctx context.Context, name string, in service.AppInput) (*service.AppView, error) {
	var out service.AppView
	return &out, c.do(ctx, "PATCH", "/api/apps/"+esc(name), in, &out)
}

// GetApp returns an app.
func (c *Client) GetApp(ctx context.Context, name string) (*service.AppView, error) {
	var out service.AppView
	return &out, c.do(ctx, "GET", "/api/apps/"+esc(name), nil, &out)
}

// DeleteApp deletes an app.
func (c *Client) DeleteApp(ctx context.Context, name string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(name), nil, nil)
}

// ListEnv lists an app's env vars.
func (c *Client) ListEnv(ctx context.Context, name string) ([]service.EnvView, error) {
	var out []service.EnvView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(name)+"/env", nil, &out)
}

// SetEnv sets env vars.
func (c *Client) SetEnv(ctx context.Context, name string, vars []service.EnvInput) ([]service.EnvView, error) {
	var out []service.EnvView
	return out, c.do(ctx, "PUT", "/api/apps/"+esc(name)+"/env", api.EnvRequest{Vars: vars}, &out)
}

// UnsetEnv removes env vars.
func (c *Client) UnsetEnv(ctx context.Context, name string, keys []string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(name)+"/env/"+esc(strings.Join(keys, ",")), nil, nil)
}

// Deploy starts a deployment.
func (c *Client) Deploy(ctx context.Context, name string, req service.DeployRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(name)+"/deploy", req, &out)
}

// Rollback starts a rollback.
func (c *Client) Rollback(ctx context.Context, name string, req service.RollbackRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(name)+"/rollback", req, &out)
}

// ListDeployments lists an app's deployments, newest first.
func (c *Client) ListDeployments(ctx context.Context, name string, limit int) ([]service.DeploymentView, error) {
	var out []service.DeploymentView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(name)+"/deployments?limit="+strconv.Itoa(limit), nil, &out)
}

// GetDeployment returns a deployment.
func (c *Client) GetDeployment(ctx context.Context, id string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "GET", "/api/deployments/"+esc(id), nil, &out)
}

// CancelDeployment cancels a deployment.
func (c *Client) CancelDeployment(ctx context.Context, id string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/cancel", nil, &out)
}

// StreamLogs follows a deployment's log until it ends, calling onLine for
// each line and returning the deployment as it finished. A dropped stream is
// resumed from the last line seen.
func (c *Client) StreamLogs(ctx context.Context, id string, onLine func(schema.LogLine)) (*schema.Deployment, error) {
	var after uint64
	failures := 0
	for {
		d, err := c.streamOnce(ctx, id, &after, onLine)
		if d != nil || err == nil {
			return d, err
		}
		var apiErr *Error
		if errors.As(err, &apiErr) || ctx.Err() != nil {
			return nil, err
		}
		if failures++; failures > 30 {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (c *Client) streamOnce(ctx context.Context, id string, after *uint64, onLine func(schema.LogLine)) (*schema.Deployment, error) {
	res, err := c.request(ctx, "GET", "/api/deployments/"+esc(id)+"/logs/stream?after="+strconv.FormatUint(*after, 10), nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	event := ""
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			event = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data := []byte(strings.TrimPrefix(line, "data: "))
			switch event {
			case "log":
				var l schema.LogLine
				if json.Unmarshal(data, &l) == nil {
					*after = l.ID
					onLine(l)
				}
			case "end":
				var d schema.Deployment
				if err := json.Unmarshal(data, &d); err != nil {
					return nil, err
				}
				return &d, nil
			case "error":
				var e api.ErrorDetail
				_ = json.Unmarshal(data, &e)
				return nil, fmt.Errorf("log stream: %s", e.Message)
			}
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, io.ErrUnexpectedEOF
}

// AppLogs copies an app's runtime output to w.
func (c *Client) AppLogs(ctx context.Context, name string, tail int, follow bool, w io.Writer) error {
	q := "?tail=" + strconv.Itoa(tail)
	if follow {
		q += "&follow=1"
	}
	res, err := c.request(ctx, "GET", "/api/apps/"+esc(name)+"/logs"+q, nil)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, err = io.Copy(w, res.Body)
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// DeploymentLogs returns a deployment's log lines after a line ID.
func (c *Client) DeploymentLogs(ctx context.Context, id string, after uint64) ([]schema.LogLine, error) {
	var out []schema.LogLine
	return out, c.do(ctx, "GET", "/api/deployments/"+esc(id)+"/logs?after="+strconv.FormatUint(after, 10)+"&limit=5000", nil, &out)
}
