package client

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// Deploy starts a deployment.
func (c *Client) Deploy(ctx context.Context, name string, req service.DeployRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(name)+"/deploy", req, &out)
}

// DeployUpload deploys a ZIP archive of an app's source, read from zip.
func (c *Client) DeployUpload(ctx context.Context, app string, zip io.Reader, trigger string) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(app)+"/deploy/upload?trigger="+url.QueryEscape(trigger), rawBody{zip, "application/zip"}, &out)
}

// Rollback starts a rollback.
func (c *Client) Rollback(ctx context.Context, name string, req service.RollbackRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/apps/"+esc(name)+"/rollback", req, &out)
}

// ListDeployments lists an app's deployments (every visible app's when
// name is ""), newest first.
func (c *Client) ListDeployments(ctx context.Context, name string, limit int) ([]service.DeploymentView, error) {
	var out []service.DeploymentView
	if name == "" { // every app the caller sees
		return out, c.do(ctx, "GET", "/api/deployments?limit="+strconv.Itoa(limit), nil, &out)
	}
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
func (c *Client) StreamLogs(ctx context.Context, id string, onLine func(service.LogLine)) (*service.Deployment, error) {
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

func (c *Client) streamOnce(ctx context.Context, id string, after *uint64, onLine func(service.LogLine)) (*service.Deployment, error) {
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
				var l service.LogLine
				if json.Unmarshal(data, &l) == nil {
					*after = l.ID
					onLine(l)
				}
			case "end":
				var d service.Deployment
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

// DeploymentLogs returns a deployment's log lines after a line ID.
func (c *Client) DeploymentLogs(ctx context.Context, id string, after uint64) ([]service.LogLine, error) {
	var out []service.LogLine
	return out, c.do(ctx, "GET", "/api/deployments/"+esc(id)+"/logs?after="+strconv.FormatUint(after, 10)+"&limit=5000", nil, &out)
}

// Reschedule moves a scheduled deployment.
func (c *Client) Reschedule(ctx context.Context, id string, in api.RescheduleRequest) (*service.DeploymentView, error) {
	var out service.DeploymentView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/reschedule", in, &out)
}

// Diff shows what a deployment changes against the serving one.
func (c *Client) Diff(ctx context.Context, id string) (*service.DiffView, error) {
	var out service.DiffView
	return &out, c.do(ctx, "GET", "/api/deployments/"+esc(id)+"/diff", nil, &out)
}
