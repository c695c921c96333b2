package client

import (
	"context"

	"github.com/rivetr/rivetr/api"
	"github.com/rivetr/rivetr/internal/service"
)

// Approve approves a deployment waiting for approval.
func (c *Client) Approve(ctx context.Context, id, comment string) (*service.DecisionView, error) {
	var out service.DecisionView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/approve", api.DecisionRequest{Comment: comment}, &out)
}

// Reject rejects a deployment waiting for approval.
func (c *Client) Reject(ctx context.Context, id, comment string) (*service.DecisionView, error) {
	var out service.DecisionView
	return &out, c.do(ctx, "POST", "/api/deployments/"+esc(id)+"/reject", api.DecisionRequest{Comment: comment}, &out)
}

// PendingApprovals lists deployments waiting for approval.
func (c *Client) PendingApprovals(ctx context.Context) ([]service.DeploymentView, error) {
	var out []service.DeploymentView
	return out, c.do(ctx, "GET", "/api/approvals", nil, &out)
}
