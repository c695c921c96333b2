package client

import (
	"context"
	"io"
	"net/url"
	"strconv"

	"github.com/rivetr/rivetr/internal/service"
)

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

// ShareApp lets another team see an app, read-only.
func (c *Client) ShareApp(ctx context.Context, app, team string) error {
	return c.do(ctx, "PUT", "/api/apps/"+esc(app)+"/shares/"+esc(team), nil, nil)
}

// UnshareApp stops sharing an app with a team.
func (c *Client) UnshareApp(ctx context.Context, app, team string) error {
	return c.do(ctx, "DELETE", "/api/apps/"+esc(app)+"/shares/"+esc(team), nil, nil)
}

// AppLogs copies an app's runtime output to w.
func (c *Client) AppLogs(ctx context.Context, name, service string, tail int, follow bool, w io.Writer) error {
	q := "?tail=" + strconv.Itoa(tail)
	if service != "" {
		q += "&service=" + url.QueryEscape(service)
	}
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

// Services lists a stack's containers by service.
func (c *Client) Services(ctx context.Context, name string) ([]service.ServiceView, error) {
	var out []service.ServiceView
	return out, c.do(ctx, "GET", "/api/apps/"+esc(name)+"/services", nil, &out)
}
