// Package client is a Go client of Rivetr's HTTP API, used by the CLI: one
// file per resource, like the API's.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
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
	// Unauthorized is what a refused token's error adds: where the caller
	// looked for a token (the CLI names the paths it tried).
	Unauthorized string
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
				hint := c.Unauthorized
				if hint == "" {
					hint = "sign in with rivetr login, set RIVETR_TOKEN, or pass --data-dir so the CLI can read <data-dir>/admin-token"
				}
				e.Message += " (" + hint + ")"
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

// Status returns the server's health and counts.
func (c *Client) Status(ctx context.Context, team string) (service.Status, error) {
	var st service.Status
	path := "/api/status"
	if team != "" {
		path += "?team=" + url.QueryEscape(team)
	}
	return st, c.do(ctx, "GET", path, nil, &st)
}
